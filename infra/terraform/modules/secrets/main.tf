# Secrets Manager entries for the Django and Stripe secrets, encrypted with a customer-managed
# key. Terraform generates the Django key; the Stripe values are put by an operator (never in
# Terraform state or code): see infra/terraform/README.md, "First deployment".

locals {
  operator_secrets = {
    STRIPE_SECRET_KEY      = "Stripe secret key (sk_live_... / sk_test_...) of the platform account"
    STRIPE_WEBHOOK_SECRET  = "Signing secret (whsec_...) of the platform's webhook endpoint"
    STRIPE_PUBLISHABLE_KEY = "Stripe publishable key (pk_...) used by checkout pages"
  }
}

resource "aws_secretsmanager_secret" "operator" {
  #checkov:skip=CKV2_AWS_57:Stripe keys are rolled in the Stripe dashboard (which keeps the old key valid for a grace period), then put here; Secrets Manager cannot call Stripe to rotate them.
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
  #checkov:skip=CKV2_AWS_57:Rotated by a runbook: the old value moves to DJANGO_SECRET_KEY_FALLBACKS for one session lifetime, so sessions and signed links survive the roll.
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
