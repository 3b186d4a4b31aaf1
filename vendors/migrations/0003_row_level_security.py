"""Row-level security on the vendors tables keyed by vendor (docs/adr/0047)."""

from django.db import migrations

from vendors.row_security import ROLE_CREATE_SQL, ROLE_DROP_SQL, table_policy_sql

TABLES = ["vendors_membership", "vendors_invitation"]


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_vendor_onboarding_error_and_more")]

    operations = [
        migrations.RunSQL(ROLE_CREATE_SQL, ROLE_DROP_SQL),
        *(migrations.RunSQL(*table_policy_sql(table)) for table in TABLES),
    ]
