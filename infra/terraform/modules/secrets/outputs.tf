output "secret_arns" {
  description = "Secret ARNs by the environment variable they fill."
  value = merge(
    { for k, s in aws_secretsmanager_secret.operator : k => s.arn },
    { DJANGO_SECRET_KEY = aws_secretsmanager_secret.django_secret_key.arn },
  )
}
