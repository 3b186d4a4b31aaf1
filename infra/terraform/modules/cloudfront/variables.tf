variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "domain" {
  description = "Platform domain; the app origin for /static/* and the parent of the CDN name."
  type        = string
}

variable "cdn_subdomain" {
  description = "Label of the CDN host under the domain (a reserved store slug)."
  type        = string
  default     = "cdn"
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds the domain."
  type        = string
}

variable "media_bucket_regional_domain_name" {
  description = "Regional domain name of the media bucket."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "Domain name of the bucket receiving CloudFront standard logs."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
