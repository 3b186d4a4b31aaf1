output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "cdn_domain" {
  description = "Host of static and media files."
  value       = module.cloudfront.cdn_domain
}

output "ecr_repository_url" {
  description = "Push images here."
  value       = module.ecs.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster."
  value       = module.ecs.cluster_name
}

output "migrate_task_definition_arn" {
  description = "Run once per deploy before updating the services."
  value       = module.ecs.migrate_task_definition_arn
}

output "app_subnet_ids" {
  description = "Subnets for `aws ecs run-task` (the migrate task)."
  value       = module.network.app_subnet_ids
}

output "app_security_group_id" {
  description = "Security group for `aws ecs run-task` (the migrate task)."
  value       = module.network.app_security_group_id
}

output "database_endpoint" {
  description = "Host of the RDS primary."
  value       = module.rds.endpoint
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.cloudwatch.alarm_topic_arn
}

output "custom_domain_cname_target" {
  description = "Vendors point their own domains here (CNAME), or at custom_domain_addresses for an apex."
  value       = module.edge.cname_target
}

output "custom_domain_addresses" {
  description = "Static addresses of the custom domains' load balancer (A records of apex domains)."
  value       = module.edge.addresses
}
