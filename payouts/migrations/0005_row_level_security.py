"""Row-level security on the payouts tables keyed by vendor (docs/adr/0047)."""

from django.db import migrations

from vendors.row_security import table_policy_sql

TABLES = ["payouts_transfer", "payouts_payout", "payouts_vendorpayoutpolicy"]


class Migration(migrations.Migration):
    dependencies = [("payouts", "0004_transfer_events"), ("vendors", "0003_row_level_security")]

    operations = [
        *(migrations.RunSQL(*table_policy_sql(table)) for table in TABLES),
    ]
