variable "name" {
  description = "Prefix for every resource name (the NLB name is limited to 32 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 26
    error_message = "name must leave room for the -edge suffix within the 32-character limit."
  }
}

variable "domain" {
  description = "Platform domain: the proxy forwards to it and asks it before obtaining a certificate."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone of the platform domain (holds custom.<domain>, the CNAME target)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the target groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the network load balancer, one static address each."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "The load balancer needs subnets in at least two availability zones."
  }
}

variable "app_subnet_ids" {
  description = "Private subnets of the proxy tasks and of the certificate store's mount targets."
  type        = list(string)
}

variable "lb_security_group_id" {
  description = "Security group of the network load balancer."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the proxy tasks."
  type        = string
}

variable "storage_security_group_id" {
  description = "Security group of the certificate store's mount targets."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster the proxy service runs in."
  type        = string
}

variable "image" {
  description = "Caddy 2 image (official, pinned by digest in production)."
  type        = string
  default     = "public.ecr.aws/docker/library/caddy:2.8-alpine"
}

variable "desired_count" {
  description = "Proxy tasks; two or more so a deploy or a zone outage keeps the domains up."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 2
    error_message = "Run at least two proxy tasks."
  }
}

variable "acme_email" {
  description = "Contact address given to the ACME certificate authority (expiry notices)."
  type        = string
}

variable "ask_path" {
  description = "Path of the platform's ask endpoint (config/urls_public.py: tls-ask)."
  type        = string
  default     = "/internal/tls/ask"
}

variable "storage_kms_key_arn" {
  description = "KMS key encrypting the certificate store."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the proxy's log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the proxy's logs."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "Keep logs for at least a year."
  }
}

variable "access_logs_bucket" {
  description = "Bucket receiving the load balancer's access logs."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
