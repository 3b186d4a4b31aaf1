# Log groups of the ECS processes and the alarms that page someone: 5xx rate at the load
# balancer, Celery queue depth, database CPU and failed Stripe webhooks.

locals {
  processes = toset(["web", "worker", "beat", "migrate"])
}

resource "aws_cloudwatch_log_group" "process" {
  for_each = local.processes

  name              = "/${var.name}/ecs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- 5xx rate ---------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  alarm_name          = "${var.name}-http-5xx-rate"
  alarm_description   = "More than ${var.http_5xx_rate_percent}% of requests answered 5xx (ALB or targets) for 3 of 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / IF(requests > 0, requests, 1)"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "target5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "elb5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  tags = var.tags
}

# --- Celery queue depth -------------------------------------------------------------------------

# Published by the app (see docs/deployment.md, "Metrics the app publishes"); the worker service
# scales on the same metric at a lower threshold, so this alarm means scaling is not keeping up.
resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  for_each = toset(var.celery_queues)

  alarm_name          = "${var.name}-celery-queue-depth-${each.value}"
  alarm_description   = "Celery queue ${each.value} above ${var.queue_depth_alarm_threshold} messages for 10 minutes despite worker autoscaling."
  namespace           = var.metrics_namespace
  metric_name         = "CeleryQueueDepth"
  dimensions          = { Queue = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 10
  threshold           = var.queue_depth_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  # No data means the publisher (beat) is down: that needs a human as much as a full queue.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# --- database CPU ----------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name}-db-cpu"
  alarm_description   = "RDS primary CPU above ${var.db_cpu_percent}% for 15 minutes: add a read replica or scale the instance (docs/scaling.md)."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.db_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${var.name}-db-free-storage"
  alarm_description   = "RDS free storage below ${var.db_free_storage_gb} GB."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.db_free_storage_gb * 1024 * 1024 * 1024
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# --- failed Stripe webhooks -------------------------------------------------------------------

# The web process logs one JSON line per rejected or failed webhook; the filter counts them.
resource "aws_cloudwatch_log_metric_filter" "webhook_failures" {
  name           = "${var.name}-stripe-webhook-failures"
  log_group_name = aws_cloudwatch_log_group.process["web"].name
  pattern        = "{ $.event = \"${var.webhook_failure_event}\" }"

  metric_transformation {
    name          = "StripeWebhookFailures"
    namespace     = var.metrics_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "webhook_failures" {
  alarm_name          = "${var.name}-stripe-webhook-failures"
  alarm_description   = "More than ${var.webhook_failures_threshold} Stripe webhooks failed in 5 minutes: orders may not be marked paid."
  namespace           = var.metrics_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.webhook_failures.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.webhook_failures_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}
