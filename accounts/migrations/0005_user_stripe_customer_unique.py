from django.db import migrations, models


class Migration(migrations.Migration):
    """One Stripe Customer id belongs to one user (the field itself comes with 0004)."""

    dependencies = [
        ("accounts", "0004_user_is_guest_stripe_customer_id"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("stripe_customer_id", ""), _negated=True), fields=("stripe_customer_id",),
                name="user_stripe_customer_unique",
            ),
        ),
    ]
