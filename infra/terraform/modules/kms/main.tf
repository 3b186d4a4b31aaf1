# Customer-managed KMS keys, one per kind of data, so that a grant on one (CloudFront reading
# media, CloudWatch writing logs) never opens another (secrets, the database).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  region       = data.aws_region.current.name
  account_root = "arn:${local.partition}:iam::${local.account_id}:root"

  keys = {
    data    = "RDS, Performance Insights, ElastiCache and ECR for ${var.name}"
    storage = "S3 buckets (media, documents, exports) for ${var.name}"
    secrets = "Secrets Manager secrets for ${var.name}"
    logs    = "CloudWatch Logs, VPC flow logs and alarm notifications for ${var.name}"
  }
}

# The account-root statement is AWS's default key policy: it delegates access to IAM, so every
# other use of a key is granted by a least-privilege IAM policy (see the ecs module) or by an AWS
# service through a grant made on the caller's behalf (RDS, ElastiCache, Secrets Manager).
data "aws_iam_policy_document" "key_policy_base" {
  #checkov:skip=CKV_AWS_109:Key policy, not an IAM policy: "*" is the key itself, and the statement only delegates to this account's IAM (AWS's default key policy).
  #checkov:skip=CKV_AWS_111:Key policy, not an IAM policy: "*" is the key itself, and the statement only delegates to this account's IAM (AWS's default key policy).
  #checkov:skip=CKV_AWS_356:Key policy, not an IAM policy: a key policy's Resource must be "*", meaning the key it is attached to.
  statement {
    sid       = "EnableIAMPolicies"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }
}

data "aws_iam_policy_document" "key_policy_storage" {
  source_policy_documents = [data.aws_iam_policy_document.key_policy_base.json]

  # CloudFront's origin access control decrypts media objects; only this account's distributions.
  statement {
    sid       = "AllowCloudFrontToReadMedia"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudfront::${local.account_id}:distribution/*"]
    }
  }
}

data "aws_iam_policy_document" "key_policy_logs" {
  source_policy_documents = [data.aws_iam_policy_document.key_policy_base.json]

  statement {
    sid    = "AllowCloudWatchLogs"
    effect = "Allow"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # CloudWatch alarms publish to the KMS-encrypted SNS alarm topic.
  statement {
    sid       = "AllowCloudWatchAlarmsToPublish"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

locals {
  key_policies = {
    data    = data.aws_iam_policy_document.key_policy_base.json
    storage = data.aws_iam_policy_document.key_policy_storage.json
    secrets = data.aws_iam_policy_document.key_policy_base.json
    logs    = data.aws_iam_policy_document.key_policy_logs.json
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = each.value
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = local.key_policies[each.key]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
