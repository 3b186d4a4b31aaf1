"""Row-level security on the disputes tables keyed by vendor (docs/adr/0047)."""

from django.db import migrations

from vendors.row_security import table_policy_sql

TABLES = ["disputes_claim", "disputes_chargebackshare", "disputes_vendorclaimpolicy"]


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial"), ("vendors", "0003_row_level_security")]

    operations = [
        *(migrations.RunSQL(*table_policy_sql(table)) for table in TABLES),
    ]
