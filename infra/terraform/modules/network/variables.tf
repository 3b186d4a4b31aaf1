variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC; a /16 leaves room for /20 app subnets per AZ."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 16
    error_message = "cidr_block must be a valid CIDR of size /16 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = length(distinct(var.availability_zones)) >= 2
    error_message = "The deployment spans at least two distinct availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway instead of one per AZ (cheaper, loses egress if its AZ fails)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the VPC flow log group."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}

variable "app_port" {
  description = "Port the web containers listen on (gunicorn)."
  type        = number
  default     = 8000
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
