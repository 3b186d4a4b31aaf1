"""Row-level security on reviews, keyed by vendor (docs/adr/0047): a vendor host sees its own."""

from django.db import migrations

from vendors.row_security import table_policy_sql


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial"), ("vendors", "0003_row_level_security")]

    operations = [migrations.RunSQL(*table_policy_sql("reviews_review"))]
