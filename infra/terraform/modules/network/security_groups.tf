# The tiers' security groups live together so the whole traffic policy reads in one place:
# internet -> ALB (443, 80 for the redirect) -> tasks (app port) -> PostgreSQL / Redis.

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached to the ALB (alb module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-alb"
  description = "Public load balancer: HTTPS in, app port out to the tasks"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 only reaches the listener that answers 301 to HTTPS; no target serves plain HTTP.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet, answered with a redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the web tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:Attached to the ECS services (ecs module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-app"
  description = "ECS tasks: web, worker, beat"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to Stripe and AWS APIs (through the NAT gateways)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_to_database" {
  security_group_id            = aws_security_group.app.id
  description                  = "To PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_cache" {
  security_group_id            = aws_security_group.app.id
  description                  = "To Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.cache.id
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached to the RDS instances (rds module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-database"
  description = "RDS PostgreSQL: reachable from the tasks only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_vpc_security_group_ingress_rule" "database_from_app" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "cache" {
  #checkov:skip=CKV2_AWS_5:Attached to the replication group (elasticache module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-cache"
  description = "ElastiCache Redis: reachable from the tasks only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-cache" })
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_app" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis from the tasks"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.app.id
}

# --- custom vendor domains (ADR 0092): internet -> NLB -> Caddy (on-demand TLS) -> the ALB -----

resource "aws_security_group" "edge_lb" {
  #checkov:skip=CKV2_AWS_5:Attached to the network load balancer (edge module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-edge-lb"
  description = "Network load balancer of custom vendor domains: HTTP and HTTPS in, to the TLS proxy"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-edge-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "edge_lb_https" {
  security_group_id = aws_security_group.edge_lb.id
  description       = "HTTPS to custom vendor domains from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "edge_lb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 answers ACME HTTP-01 challenges and redirects everything else to HTTPS (Caddy); nothing is served over plain HTTP.
  security_group_id = aws_security_group.edge_lb.id
  description       = "HTTP to custom vendor domains: ACME challenges and the redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "edge_lb_to_proxy" {
  for_each = toset(["8080", "8443"])

  security_group_id            = aws_security_group.edge_lb.id
  description                  = "To the TLS proxy tasks"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.edge.id
}

resource "aws_security_group" "edge" {
  #checkov:skip=CKV2_AWS_5:Attached to the TLS proxy service (edge module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-edge"
  description = "TLS proxy of custom vendor domains (Caddy, on-demand certificates)"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-edge" })
}

resource "aws_vpc_security_group_ingress_rule" "edge_from_lb" {
  for_each = toset(["8080", "8443"])

  security_group_id            = aws_security_group.edge.id
  description                  = "From the network load balancer"
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  referenced_security_group_id = aws_security_group.edge_lb.id
}

resource "aws_vpc_security_group_egress_rule" "edge_https" {
  security_group_id = aws_security_group.edge.id
  description       = "HTTPS to the ALB (the app and its ask endpoint) and to the ACME CA, through the NAT gateways"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "edge_to_certificates" {
  security_group_id            = aws_security_group.edge.id
  description                  = "NFS to the certificate store (EFS)"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.edge_storage.id
}

resource "aws_security_group" "edge_storage" {
  #checkov:skip=CKV2_AWS_5:Attached to the EFS mount targets (edge module) through the environment; checkov does not follow module outputs, tests/infra/test_network.py checks the attachment.
  name        = "${var.name}-edge-storage"
  description = "EFS holding the TLS proxy's certificates and ACME account: reachable from the proxy only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-edge-storage" })
}

resource "aws_vpc_security_group_ingress_rule" "edge_storage_from_edge" {
  security_group_id            = aws_security_group.edge_storage.id
  description                  = "NFS from the TLS proxy"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.edge.id
}
