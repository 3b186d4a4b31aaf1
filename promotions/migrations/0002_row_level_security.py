"""Row-level security on promotions, keyed by vendor (docs/adr/0047, 0094): a vendor host sees and
writes only its own sales and codes (the platform's, without a vendor, not at all)."""

from django.db import migrations

from vendors.row_security import table_policy_sql


class Migration(migrations.Migration):
    dependencies = [("promotions", "0001_initial"), ("vendors", "0003_row_level_security")]

    operations = [migrations.RunSQL(*table_policy_sql("promotions_promotion"))]
