output "data_key_arn" {
  description = "Key for RDS storage, Performance Insights, ElastiCache and ECR."
  value       = aws_kms_key.this["data"].arn
}

output "storage_key_arn" {
  description = "Key for the S3 buckets."
  value       = aws_kms_key.this["storage"].arn
}

output "secrets_key_arn" {
  description = "Key for Secrets Manager."
  value       = aws_kms_key.this["secrets"].arn
}

output "logs_key_arn" {
  description = "Key for CloudWatch log groups and the alarm topic."
  value       = aws_kms_key.this["logs"].arn
}
