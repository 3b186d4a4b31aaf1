output "log_group_names" {
  description = "Log group of each ECS process (web, worker, beat, migrate)."
  value       = { for k, g in aws_cloudwatch_log_group.process : k => g.name }
}

output "log_group_arns" {
  description = "ARNs of the process log groups."
  value       = [for g in aws_cloudwatch_log_group.process : g.arn]
}

output "alarm_topic_arn" {
  description = "SNS topic that receives every alarm."
  value       = aws_sns_topic.alarms.arn
}
