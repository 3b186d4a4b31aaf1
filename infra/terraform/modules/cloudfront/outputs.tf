output "cdn_domain" {
  description = "Host of the CDN (AWS_S3_CUSTOM_DOMAIN, and the host of STATIC_URL)."
  value       = local.cdn_domain
}

output "distribution_id" {
  description = "ID of the distribution (for cache invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the distribution."
  value       = aws_cloudfront_distribution.this.arn
}
