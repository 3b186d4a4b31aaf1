variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "subnet_ids" {
  description = "Private data subnets, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Multi-AZ failover needs subnets in at least two availability zones."
  }
}

variable "security_group_id" {
  description = "Security group that admits Redis from the tasks only."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "KMS key for the REDIS_URL secret."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the slow-log and engine-log groups."
  type        = string
}

variable "engine" {
  description = "redis, or valkey (same protocol, lower price) once the team has tried it."
  type        = string
  default     = "redis"

  validation {
    condition     = contains(["redis", "valkey"], var.engine)
    error_message = "engine is redis or valkey."
  }
}

variable "engine_version" {
  description = "Engine version."
  type        = string
  default     = "7.1"
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "node_count" {
  description = "Primary plus replicas; at least 2 for automatic failover."
  type        = number
  default     = 2

  validation {
    condition     = var.node_count >= 2
    error_message = "Automatic failover needs a primary and at least one replica."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Retention of the ElastiCache log groups."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
