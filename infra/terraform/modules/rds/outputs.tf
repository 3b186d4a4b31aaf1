output "instance_identifier" {
  description = "Identifier of the primary (the DBInstanceIdentifier alarm dimension)."
  value       = aws_db_instance.primary.identifier
}

output "endpoint" {
  description = "Host name of the primary."
  value       = aws_db_instance.primary.address
}

output "replica_endpoints" {
  description = "Host names of the read replicas."
  value       = aws_db_instance.replica[*].address
}

output "database_url_secret_arn" {
  description = "Secret holding DATABASE_URL."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "replica_url_secret_arn" {
  description = "Secret holding DATABASE_REPLICA_URL, or null without replicas."
  value       = try(aws_secretsmanager_secret.replica_url[0].arn, null)
}
