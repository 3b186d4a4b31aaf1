output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "repository_url" {
  description = "ECR repository to push the image to."
  value       = aws_ecr_repository.app.repository_url
}

output "service_names" {
  description = "ECS services by process."
  value = {
    web    = aws_ecs_service.web.name
    worker = aws_ecs_service.worker.name
    beat   = aws_ecs_service.beat.name
  }
}

output "migrate_task_definition_arn" {
  description = "Run this once per deploy before updating the services (aws ecs run-task)."
  value       = aws_ecs_task_definition.process["migrate"].arn
}

output "task_role_arn" {
  description = "Role the app runs as."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role the ECS agent uses for the tasks."
  value       = aws_iam_role.execution.arn
}
