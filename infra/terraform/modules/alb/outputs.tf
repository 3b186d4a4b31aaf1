output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "arn_suffix" {
  description = "LoadBalancer dimension of the ALB's CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "Target group of the web service."
  value       = aws_lb_target_group.web.arn
}

output "target_group_arn_suffix" {
  description = "TargetGroup dimension of the target group's CloudWatch metrics."
  value       = aws_lb_target_group.web.arn_suffix
}

output "https_listener_arn" {
  description = "HTTPS listener (the web service depends on it)."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "Validated certificate for the domain and *.domain."
  value       = aws_acm_certificate_validation.this.certificate_arn
}
