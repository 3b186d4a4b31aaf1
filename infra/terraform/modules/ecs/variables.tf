variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "image" {
  description = "Image URI with an immutable tag, e.g. <account>.dkr.ecr.<region>.amazonaws.com/marketplace-production:<git-sha>."
  type        = string
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (Graviton; build the image for linux/arm64)."
  type        = string
  default     = "X86_64"
}

variable "subnet_ids" {
  description = "Private app subnets for the tasks."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Spread tasks over at least two availability zones."
  }
}

variable "security_group_id" {
  description = "Security group of the tasks."
  type        = string
}

variable "target_group_arn" {
  description = "ALB target group of the web service."
  type        = string
}

variable "alb_arn_suffix" {
  description = "LoadBalancer dimension (request-count scaling)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "TargetGroup dimension (request-count scaling)."
  type        = string
}

variable "app_port" {
  description = "Port gunicorn listens on."
  type        = number
  default     = 8000
}

variable "environment" {
  description = "Plain environment variables for every process (no secrets here)."
  type        = map(string)
}

variable "secret_arns" {
  description = "Secrets Manager ARNs by the environment variable they fill."
  type        = map(string)
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the secrets (the execution role decrypts through Secrets Manager)."
  type        = string
}

variable "storage_kms_key_arn" {
  description = "KMS key of the S3 buckets."
  type        = string
}

variable "ecr_kms_key_arn" {
  description = "KMS key of the image repository."
  type        = string
}

variable "bucket_arns" {
  description = "ARNs of the buckets the app reads and writes, by purpose."
  type        = map(string)
}

variable "log_group_names" {
  description = "Log group name of each process (web, worker, beat, migrate)."
  type        = map(string)
}

variable "log_group_arns" {
  description = "ARNs of those log groups."
  type        = list(string)
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the app publishes to (queue depth)."
  type        = string
  default     = "Marketplace"
}

variable "scaling_queue" {
  description = "Celery queue whose depth drives worker scaling."
  type        = string
  default     = "celery"
}

variable "web" {
  description = "Size and scaling of the web service."
  type = object({
    cpu                = number
    memory             = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
  })
  default = {
    cpu                = 1024
    memory             = 2048
    min_count          = 2
    max_count          = 20
    cpu_target_percent = 60
  }

  validation {
    condition     = var.web.min_count >= 2 && var.web.max_count >= var.web.min_count
    error_message = "At least two web tasks (one per AZ), and max_count >= min_count."
  }
}

variable "web_concurrency" {
  description = "Gunicorn worker processes per web task (WEB_CONCURRENCY)."
  type        = number
  default     = 3
}

variable "web_requests_per_task" {
  description = "Target of ALB requests per web task per minute; see docs/benchmarks.md (to be measured)."
  type        = number
  default     = 1000
}

variable "worker" {
  description = "Size and scaling of the Celery workers."
  type = object({
    cpu                = number
    memory             = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
  })
  default = {
    cpu                = 1024
    memory             = 2048
    min_count          = 2
    max_count          = 30
    cpu_target_percent = 70
  }

  validation {
    condition     = var.worker.min_count >= 1 && var.worker.max_count >= var.worker.min_count
    error_message = "At least one worker, and max_count >= min_count."
  }
}

variable "worker_concurrency" {
  description = "Celery worker processes per task."
  type        = number
  default     = 4
}

variable "queue_depth_scale_out" {
  description = "Add workers when the scaling queue holds at least this many messages for 2 minutes."
  type        = number
  default     = 500
}

variable "queue_depth_scale_in" {
  description = "Remove workers when the scaling queue holds at most this many messages for 15 minutes."
  type        = number
  default     = 10
}

variable "beat" {
  description = "Size of the Celery beat task (always exactly one)."
  type = object({
    cpu    = number
    memory = number
  })
  default = {
    cpu    = 256
    memory = 512
  }
}

variable "migrate" {
  description = "Size of the one-off migration task."
  type = object({
    cpu    = number
    memory = number
  })
  default = {
    cpu    = 1024
    memory = 2048
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
