# Secrets Manager entries for the Django, Stripe and SMTP secrets, encrypted with a customer-managed
# key. Terraform generates the Django key; the Stripe and SMTP values are put by an operator (never in
# Terraform state or code): see infra/terraform/README.md, "First deployment".

locals {
  operator_secrets = {
    STRIPE_SECRET_KEY      = "Stripe secret key (sk_live_... / sk_test_...) of the platform account"
    STRIPE_WEBHOOK_SECRET  = "Signing secret (whsec_...) of the platform's webhook endpoint"
    STRIPE_PUBLISHABLE_KEY = "Stripe publishable key (pk_...) used by checkout pages"
    EMAIL_URL              = "SMTP URL with credentials, e.g. smtp+tls://USER:PASSWORD@email-smtp.REGION.amazonaws.com:587"
  }
}

resource "aws_secretsmanager_secret" "operator" {
  #checkov:skip=CKV2_AWS_57:Stripe keys are rolled in the Stripe dashboard (which keeps the old key valid for a grace period) and SMTP credentials in SES, then put here; Secrets Manager cannot rotate them at their issuer.
  for_each = local.operator_secrets

  name                    = "${var.name}/${lower(replace(each.key, "_", "-"))}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days

  tags = var.tags
}

resource "random_password" "django_secret_key" {
  length           = 64
  special          = true
  override_special = "!#%&*()-_=+[]{}<>:?"
}

resource "aws_secretsmanager_secret" "django_secret_key" {
  #checkov:skip=CKV2_AWS_57:Rotating signs out every user and voids signed links, so it is a deliberate runbook step (with Django's SECRET_KEY_FALLBACKS), not a schedule.
  name                    = "${var.name}/django-secret-key"
  description             = "DJANGO_SECRET_KEY"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "django_secret_key" {
  secret_id     = aws_secretsmanager_secret.django_secret_key.id
  secret_string = random_password.django_secret_key.result

  lifecycle {
    ignore_changes = [secret_string]
  }
}
