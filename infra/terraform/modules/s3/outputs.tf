output "media_bucket_name" {
  description = "AWS_STORAGE_BUCKET_NAME: product images and storefront media."
  value       = aws_s3_bucket.data["media"].id
}

output "documents_bucket_name" {
  description = "AWS_PRIVATE_BUCKET_NAME: evidence files and payout reports."
  value       = aws_s3_bucket.data["documents"].id
}

output "exports_bucket_name" {
  description = "AWS_EXPORTS_BUCKET_NAME: finance exports (expire by lifecycle)."
  value       = aws_s3_bucket.data["exports"].id
}

output "bucket_arns" {
  description = "ARNs of the data buckets by purpose (media, documents, exports)."
  value       = { for k, b in aws_s3_bucket.data : k => b.arn }
}

output "media_bucket_regional_domain_name" {
  description = "Origin domain of the media bucket for CloudFront."
  value       = aws_s3_bucket.data["media"].bucket_regional_domain_name
}

output "logs_bucket_name" {
  description = "Bucket receiving S3, ALB and CloudFront access logs."
  value       = aws_s3_bucket.logs.id
}

output "logs_bucket_domain_name" {
  description = "Domain name of the log bucket (CloudFront logging target)."
  value       = aws_s3_bucket.logs.bucket_domain_name
}
