variable "name" {
  description = "Prefix for every bucket name; bucket names are global, so include the account or org."
  type        = string
}

variable "domain" {
  description = "Platform domain; storefronts are its subdomains (CORS origins for direct uploads)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS on the data buckets."
  type        = string
}

variable "exports_expiration_days" {
  description = "Finance exports are deleted this many days after creation."
  type        = number
  default     = 30

  validation {
    condition     = var.exports_expiration_days >= 1 && var.exports_expiration_days <= 90
    error_message = "Exports expire after 1 to 90 days."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version of media and documents is kept."
  type        = number
  default     = 90
}

variable "access_log_retention_days" {
  description = "Days access logs are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
