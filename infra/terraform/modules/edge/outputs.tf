output "cname_target" {
  description = "What a vendor points its domain at (CNAME); apex domains use the addresses."
  value       = aws_route53_record.custom.fqdn
}

output "addresses" {
  description = "Static IPv4 addresses of the load balancer, for apex domains' A records."
  value       = [for eip in aws_eip.edge : eip.public_ip]
}

output "service_name" {
  description = "ECS service of the TLS proxy."
  value       = aws_ecs_service.edge.name
}

output "certificate_store_id" {
  description = "EFS file system holding certificates and the ACME account."
  value       = aws_efs_file_system.certificates.id
}
