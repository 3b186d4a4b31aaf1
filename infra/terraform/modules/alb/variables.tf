variable "name" {
  description = "Prefix for every resource name (the ALB name is limited to 32 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 28
    error_message = "name must leave room for the -web suffix within the 32-character limit."
  }
}

variable "domain" {
  description = "Platform domain, for example marketplace.example.com; storefronts are *.<domain>."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds the domain."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the target group."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An ALB needs subnets in at least two availability zones."
  }
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "app_port" {
  description = "Port of the web containers."
  type        = number
  default     = 8000
}

variable "access_logs_bucket" {
  description = "Bucket receiving ALB access logs (SSE-S3)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the WAF log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the WAF log group."
  type        = number
  default     = 365
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests per client IP per 5 minutes before WAF blocks it."
  type        = number
  default     = 2000
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
