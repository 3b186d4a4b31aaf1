output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones the subnets are spread over."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Subnets for the load balancer and NAT gateways."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "Private subnets for the ECS tasks."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private subnets without internet route, for RDS and ElastiCache."
  value       = aws_subnet.data[*].id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the ECS tasks."
  value       = aws_security_group.app.id
}

output "database_security_group_id" {
  description = "Security group of RDS."
  value       = aws_security_group.database.id
}

output "cache_security_group_id" {
  description = "Security group of ElastiCache."
  value       = aws_security_group.cache.id
}

output "edge_lb_security_group_id" {
  description = "Security group of the custom domains' network load balancer (ADR 0092)."
  value       = aws_security_group.edge_lb.id
}

output "edge_security_group_id" {
  description = "Security group of the TLS proxy tasks of custom domains."
  value       = aws_security_group.edge.id
}

output "edge_storage_security_group_id" {
  description = "Security group of the TLS proxy's certificate store (EFS)."
  value       = aws_security_group.edge_storage.id
}
