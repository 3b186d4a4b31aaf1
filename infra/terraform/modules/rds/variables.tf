variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "subnet_ids" {
  description = "Private data subnets, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS Multi-AZ needs subnets in at least two availability zones."
  }
}

variable "security_group_id" {
  description = "Security group that admits PostgreSQL from the tasks only."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage and Performance Insights."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "KMS key for the DATABASE_URL secret."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version (major.minor)."
  type        = string
  default     = "16.4"
}

variable "instance_class" {
  description = "Instance class of the primary."
  type        = string
  default     = "db.r6g.large"
}

variable "replica_instance_class" {
  description = "Instance class of the read replicas; the primary's when null."
  type        = string
  default     = null
}

variable "read_replica_count" {
  description = "Number of read replicas for marketplace reads."
  type        = number
  default     = 0

  validation {
    condition     = var.read_replica_count >= 0 && var.read_replica_count <= 5
    error_message = "Between 0 and 5 read replicas."
  }
}

variable "database_name" {
  description = "Name of the database."
  type        = string
  default     = "marketplace"
}

variable "master_username" {
  description = "Master user; django-tenants needs CREATE on the database to create vendor schemas."
  type        = string
  default     = "marketplace"
}

variable "allocated_storage_gb" {
  description = "Initial storage."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Ceiling for storage autoscaling."
  type        = number
  default     = 1000
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 30

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Keep between 7 and 35 days of backups."
  }
}

variable "performance_insights_retention_days" {
  description = "Performance Insights retention: 7 (free tier) or a multiple of 31."
  type        = number
  default     = 7
}

variable "slow_query_ms" {
  description = "Statements slower than this are logged."
  type        = number
  default     = 500
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
