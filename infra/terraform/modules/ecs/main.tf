# ECS on Fargate: one image, four task definitions (web = gunicorn, worker and beat = Celery,
# migrate = one-off django-tenants migrations), services in private subnets, autoscaling of web
# on CPU and requests and of the workers on CPU and Celery queue depth.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name

  environment = merge(
    {
      DJANGO_SETTINGS_MODULE       = "config.settings.production"
      CLOUDWATCH_METRICS_NAMESPACE = var.metrics_namespace
      LOG_LEVEL                    = "INFO"
      PORT                   = tostring(var.app_port)
      WEB_CONCURRENCY        = tostring(var.web_concurrency)
    },
    var.environment,
  )

  # The same image for every process, started as the image's unprivileged user with a read-only
  # root filesystem; only /tmp (task storage) is writable.
  base_container = {
    image                  = var.image
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    environment            = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    secrets                = [for k in sort(keys(var.secret_arns)) : { name = k, valueFrom = var.secret_arns[k] }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
  }

  processes = {
    web = {
      cpu    = var.web.cpu
      memory = var.web.memory
      command = [
        "gunicorn", "config.wsgi:application",
        "--bind", "0.0.0.0:${var.app_port}",
        "--worker-tmp-dir", "/tmp",
        "--access-logfile", "-",
        "--forwarded-allow-ips", "*",
        # Longer than the ALB's 60 s idle timeout, so the ALB always closes first.
        "--keep-alive", "75",
        "--timeout", "30",
        "--graceful-timeout", "30",
      ]
      portMappings = [{ containerPort = var.app_port, protocol = "tcp" }]
      healthCheck = {
        command     = ["CMD", "python", "-c", "import sys,urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:${var.app_port}/healthz', timeout=4).status == 200 else 1)"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      stopTimeout = 35
    }
    worker = {
      cpu    = var.worker.cpu
      memory = var.worker.memory
      command = [
        "celery", "-A", "config", "worker",
        "--loglevel", "INFO",
        "--concurrency", tostring(var.worker_concurrency),
        "--max-tasks-per-child", "1000",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
      ]
      portMappings = []
      healthCheck = {
        command     = ["CMD-SHELL", "celery -A config inspect ping --destination celery@$HOSTNAME --timeout 10 || exit 1"]
        interval    = 60
        timeout     = 20
        retries     = 3
        startPeriod = 60
      }
      # Celery finishes the tasks in hand on SIGTERM (warm shutdown); Fargate allows 120 s.
      stopTimeout = 120
    }
    beat = {
      cpu    = var.beat.cpu
      memory = var.beat.memory
      command = [
        "celery", "-A", "config", "beat",
        "--loglevel", "INFO",
        "--schedule", "/tmp/celerybeat-schedule",
        "--pidfile", "/tmp/celerybeat.pid",
      ]
      portMappings = []
      healthCheck  = null
      stopTimeout  = 30
    }
    migrate = {
      cpu          = var.migrate.cpu
      memory       = var.migrate.memory
      command      = ["python", "manage.py", "migrate_schemas", "--noinput"]
      portMappings = []
      healthCheck  = null
      stopTimeout  = 30
    }
  }

  containers = {
    for name, p in local.processes : name => merge(local.base_container, {
      name         = name
      command      = p.command
      portMappings = p.portMappings
      healthCheck  = p.healthCheck
      stopTimeout  = p.stopTimeout
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_names[name]
          awslogs-region        = local.region
          awslogs-stream-prefix = name
          mode                  = "non-blocking"
          max-buffer-size       = "25m"
        }
      }
    })
  }
}

# --- image registry --------------------------------------------------------------------------

resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.ecr_kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 images (rollbacks); deploys reference immutable tags"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}

# --- cluster ---------------------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 1
  }
}

# --- task definitions ------------------------------------------------------------------------

resource "aws_ecs_task_definition" "process" {
  for_each = local.containers

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.processes[each.key].cpu
  memory                   = local.processes[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([each.value])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  tags = var.tags
}

# --- services --------------------------------------------------------------------------------

resource "aws_ecs_service" "web" {
  name                              = "web"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.process["web"].arn
  desired_count                     = var.web.min_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = false

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "web"
    container_port   = var.app_port
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_ecs_service" "worker" {
  name                   = "worker"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.process["worker"].arn
  desired_count          = var.worker.min_count
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# Exactly one scheduler: a deployment stops the old beat before starting the new one, so no
# periodic task is ever enqueued twice by two schedulers.
resource "aws_ecs_service" "beat" {
  name                   = "beat"
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.process["beat"].arn
  desired_count          = 1
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  tags = var.tags
}

# --- autoscaling: web ------------------------------------------------------------------------

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web.min_count
  max_capacity       = var.web.max_count
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.web.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "web_requests" {
  name               = "${var.name}-web-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.web_requests_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}

# --- autoscaling: worker ---------------------------------------------------------------------

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker.min_count
  max_capacity       = var.worker.max_count
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Queue depth: I/O-bound tasks (Stripe calls, S3 exports) pile up without raising CPU, so the
# backlog itself drives scale-out, in steps proportional to how far it is over the threshold.
resource "aws_appautoscaling_policy" "worker_queue_out" {
  name               = "${var.name}-worker-queue-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      metric_interval_upper_bound = var.queue_depth_scale_out * 4
      scaling_adjustment          = 1
    }

    step_adjustment {
      metric_interval_lower_bound = var.queue_depth_scale_out * 4
      scaling_adjustment          = 3
    }
  }
}

resource "aws_appautoscaling_policy" "worker_queue_in" {
  name               = "${var.name}-worker-queue-in"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 300
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = -1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_queue_high" {
  alarm_name          = "${var.name}-worker-scale-out-queue"
  alarm_description   = "Celery queue ${var.scaling_queue} backlog: add workers."
  namespace           = var.metrics_namespace
  metric_name         = "CeleryQueueDepth"
  dimensions          = { Queue = var.scaling_queue }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.queue_depth_scale_out
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_queue_out.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "worker_queue_low" {
  alarm_name          = "${var.name}-worker-scale-in-queue"
  alarm_description   = "Celery queue ${var.scaling_queue} drained: remove workers down to the minimum."
  namespace           = var.metrics_namespace
  metric_name         = "CeleryQueueDepth"
  dimensions          = { Queue = var.scaling_queue }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 15
  threshold           = var.queue_depth_scale_in
  comparison_operator = "LessThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.worker_queue_in.arn]

  tags = var.tags
}
