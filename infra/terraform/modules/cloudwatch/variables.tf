variable "name" {
  description = "Prefix for every resource name, for example marketplace-production."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the log groups and the alarm topic."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the process log groups."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "Keep application logs at least a year (payments and disputes are audited)."
  }
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by email)."
  type        = list(string)
  default     = []
}

variable "alb_arn_suffix" {
  description = "LoadBalancer dimension of the ALB."
  type        = string
}

variable "db_instance_identifier" {
  description = "Identifier of the RDS primary."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the app's own metrics."
  type        = string
  default     = "Marketplace"
}

variable "celery_queues" {
  description = "Celery queues whose depth is published and alarmed on."
  type        = list(string)
  default     = ["celery"]
}

variable "http_5xx_rate_percent" {
  description = "Alarm when this percentage of requests answer 5xx."
  type        = number
  default     = 2
}

variable "queue_depth_alarm_threshold" {
  description = "Alarm when a queue holds more messages than this for 10 minutes."
  type        = number
  default     = 5000
}

variable "db_cpu_percent" {
  description = "Alarm when the primary's CPU stays above this."
  type        = number
  default     = 80
}

variable "db_free_storage_gb" {
  description = "Alarm when free storage falls below this many GB."
  type        = number
  default     = 20
}

variable "webhook_failure_event" {
  description = "Value of the `event` key of the JSON log line the app writes when a webhook fails."
  type        = string
  default     = "stripe_webhook_failed"
}

variable "webhook_failures_threshold" {
  description = "Alarm when more webhooks than this fail in 5 minutes."
  type        = number
  default     = 5
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
