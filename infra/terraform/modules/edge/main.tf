# Custom vendor domains (ADR 0092): on-demand TLS. A network load balancer with static addresses
# passes TCP 80/443 to Caddy tasks, which obtain a certificate for a name on its first handshake
# once the platform's ask endpoint confirms the name is a verified custom domain, and forward to
# the platform's ALB. Certificates and the ACME account live on encrypted EFS, shared by the tasks.

data "aws_region" "current" {}

locals {
  caddyfile = templatefile("${path.module}/Caddyfile.tftpl", {
    domain     = var.domain
    ask_path   = var.ask_path
    acme_email = var.acme_email
  })
  ports = { http = 8080, https = 8443 }
  listener_ports = { http = 80, https = 443 }
}

# --- load balancer ---------------------------------------------------------------------------

resource "aws_eip" "edge" {
  #checkov:skip=CKV2_AWS_19:The addresses belong to the network load balancer (subnet_mapping), not to an EC2 instance.
  for_each = toset(var.public_subnet_ids)

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-edge" })
}

resource "aws_lb" "edge" {
  #checkov:skip=CKV2_AWS_20:TCP passthrough network load balancer: Caddy answers port 80 with the redirect to HTTPS (Caddyfile.tftpl), after ACME challenges.
  name                             = "${var.name}-edge"
  internal                         = false
  load_balancer_type               = "network"
  security_groups                  = [var.lb_security_group_id]
  enable_deletion_protection       = true
  enable_cross_zone_load_balancing = true

  dynamic "subnet_mapping" {
    for_each = aws_eip.edge
    content {
      subnet_id     = subnet_mapping.key
      allocation_id = subnet_mapping.value.id
    }
  }

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "edge"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_target_group" "edge" {
  for_each = local.ports

  name                 = "${var.name}-e${each.value}"
  port                 = each.value
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  preserve_client_ip   = "true"

  health_check {
    protocol            = "TCP"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = var.tags
}

resource "aws_lb_listener" "edge" {
  #checkov:skip=CKV_AWS_2:TCP passthrough: TLS is terminated by Caddy with each domain's certificate (on-demand), which the load balancer cannot hold.
  #checkov:skip=CKV_AWS_103:TCP passthrough: Caddy negotiates TLS 1.2 or 1.3 only (its default).
  for_each = local.listener_ports

  load_balancer_arn = aws_lb.edge.arn
  port              = each.value
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.edge[each.key].arn
  }

  tags = var.tags
}

# What vendors point their domains at: CNAME to custom.<domain> (apex: A records to `addresses`).
resource "aws_route53_record" "custom" {
  zone_id = var.zone_id
  name    = "custom.${var.domain}"
  type    = "A"

  alias {
    name                   = aws_lb.edge.dns_name
    zone_id                = aws_lb.edge.zone_id
    evaluate_target_health = true
  }
}

# --- certificate store -----------------------------------------------------------------------

resource "aws_efs_file_system" "certificates" {
  creation_token   = "${var.name}-edge-certificates"
  encrypted        = true
  kms_key_id       = var.storage_kms_key_arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  tags = merge(var.tags, { Name = "${var.name}-edge-certificates" })
}

resource "aws_efs_backup_policy" "certificates" {
  file_system_id = aws_efs_file_system.certificates.id

  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_mount_target" "certificates" {
  for_each = toset(var.app_subnet_ids)

  file_system_id  = aws_efs_file_system.certificates.id
  subnet_id       = each.value
  security_groups = [var.storage_security_group_id]
}

resource "aws_efs_access_point" "certificates" {
  file_system_id = aws_efs_file_system.certificates.id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/caddy"
    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0700"
    }
  }

  tags = var.tags
}

# --- the proxy service -----------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "edge" {
  name              = "/${var.name}/edge"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-edge-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.edge.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-edge-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "MountCertificateStore"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.certificates.arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.certificates.arn]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "certificate-store"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_ecs_task_definition" "edge" {
  family                   = "${var.name}-edge"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  # Unprivileged on a read-only root: the Caddyfile is written to a task volume at start, and
  # ports above 1024 need no capability (the load balancer maps 80 and 443 to them).
  container_definitions = jsonencode([{
    name                   = "caddy"
    image                  = var.image
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    command = [
      "sh", "-c",
      "printf '%s' \"$CADDYFILE\" > /config/Caddyfile && exec caddy run --adapter caddyfile --config /config/Caddyfile",
    ]
    environment = [
      { name = "CADDYFILE", value = local.caddyfile },
      { name = "XDG_CONFIG_HOME", value = "/config" },
      { name = "XDG_DATA_HOME", value = "/data" },
    ]
    portMappings = [for port in values(local.ports) : { containerPort = port, protocol = "tcp" }]
    mountPoints = [
      { sourceVolume = "config", containerPath = "/config", readOnly = false },
      { sourceVolume = "certificates", containerPath = "/data", readOnly = false },
    ]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.edge.name
        "awslogs-region"        = data.aws_region.current.name
        "awslogs-stream-prefix" = "caddy"
      }
    }
  }])

  volume {
    name = "config"
  }

  volume {
    name = "certificates"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.certificates.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.certificates.id
        iam             = "ENABLED"
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_service" "edge" {
  name                   = "edge"
  cluster                = var.cluster_name
  task_definition        = aws_ecs_task_definition.edge.arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"
  wait_for_steady_state  = false

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = local.ports
    content {
      target_group_arn = aws_lb_target_group.edge[load_balancer.key].arn
      container_name   = "caddy"
      container_port   = load_balancer.value
    }
  }

  depends_on = [aws_lb_listener.edge, aws_efs_mount_target.certificates]

  tags = var.tags
}
