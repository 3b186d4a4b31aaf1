"""Row-level security on the orders tables keyed by vendor (docs/adr/0047)."""

from django.db import migrations

from vendors.row_security import table_policy_sql

TABLES = ["orders_suborder", "orders_orderline"]


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_fraud_review"), ("vendors", "0003_row_level_security")]

    operations = [
        *(migrations.RunSQL(*table_policy_sql(table)) for table in TABLES),
    ]
