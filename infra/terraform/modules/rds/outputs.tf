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

output "replica_secret_arns" {
  description = "{ DATABASE_REPLICA_URL = secret ARN } with replicas, {} without (merged into the tasks' secrets)."
  value       = { for s in aws_secretsmanager_secret.replica_url : "DATABASE_REPLICA_URL" => s.arn }
}
