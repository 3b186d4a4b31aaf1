variable "region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "eu-west-1"
}

variable "domain" {
  description = "Platform domain; storefronts are <slug>.<domain>, the CDN is cdn.<domain>."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone of the domain."
  type        = string
}

variable "image" {
  description = "Image to run, with an immutable tag (the git SHA), from the ECR repository."
  type        = string
}

variable "alarm_emails" {
  description = "Who receives the alarms."
  type        = list(string)
  default     = []
}

variable "celery_queues" {
  description = "Celery queues whose depth the app publishes."
  type        = list(string)
  default     = ["celery"]
}

variable "acme_email" {
  description = "Contact the ACME certificate authority writes to about custom domains' certificates (ADR 0092)."
  type        = string
}
