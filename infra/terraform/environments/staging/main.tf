# Staging: the same composition as production at a smaller size, in two AZs. It keeps Multi-AZ,
# encryption and deletion protection so that what is tested here is what runs in production.

data "aws_caller_identity" "current" {}

locals {
  environment = "staging"
  name        = "marketplace-${local.environment}"

  tags = {
    Project     = "marketplace"
    Environment = local.environment
    ManagedBy   = "terraform"
  }
}

module "kms" {
  source = "../../modules/kms"

  name = local.name
  tags = local.tags
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cidr_block         = "10.41.0.0/16"
  availability_zones = ["${var.region}a", "${var.region}b"]
  single_nat_gateway = true
  logs_kms_key_arn   = module.kms.logs_key_arn
  tags               = local.tags
}

module "s3" {
  source = "../../modules/s3"

  # Bucket names are global: the account ID keeps them unique.
  name                    = "${local.name}-${data.aws_caller_identity.current.account_id}"
  domain                  = var.domain
  kms_key_arn             = module.kms.storage_key_arn
  exports_expiration_days = 7
  tags                    = local.tags
}

module "secrets" {
  source = "../../modules/secrets"

  name        = local.name
  kms_key_arn = module.kms.secrets_key_arn
  tags        = local.tags
}

module "rds" {
  source = "../../modules/rds"

  name                                = local.name
  subnet_ids                          = module.network.data_subnet_ids
  security_group_id                   = module.network.database_security_group_id
  kms_key_arn                         = module.kms.data_key_arn
  secrets_kms_key_arn                 = module.kms.secrets_key_arn
  instance_class                      = "db.t4g.medium"
  read_replica_count                  = 0
  allocated_storage_gb                = 50
  max_allocated_storage_gb            = 200
  backup_retention_days               = 7
  performance_insights_retention_days = 7
  tags                                = local.tags
}

module "elasticache" {
  source = "../../modules/elasticache"

  name                = local.name
  subnet_ids          = module.network.data_subnet_ids
  security_group_id   = module.network.cache_security_group_id
  kms_key_arn         = module.kms.data_key_arn
  secrets_kms_key_arn = module.kms.secrets_key_arn
  logs_kms_key_arn    = module.kms.logs_key_arn
  node_type           = "cache.t4g.small"
  node_count          = 2
  tags                = local.tags
}

module "alb" {
  source = "../../modules/alb"

  name               = local.name
  domain             = var.domain
  zone_id            = var.zone_id
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  security_group_id  = module.network.alb_security_group_id
  access_logs_bucket = module.s3.logs_bucket_name
  logs_kms_key_arn   = module.kms.logs_key_arn
  tags               = local.tags
}

# Custom vendor domains: on-demand TLS in front of the ALB (ADR 0092).
module "edge" {
  source = "../../modules/edge"

  name                      = local.name
  domain                    = var.domain
  zone_id                   = var.zone_id
  vpc_id                    = module.network.vpc_id
  public_subnet_ids         = module.network.public_subnet_ids
  app_subnet_ids            = module.network.app_subnet_ids
  lb_security_group_id      = module.network.edge_lb_security_group_id
  security_group_id         = module.network.edge_security_group_id
  storage_security_group_id = module.network.edge_storage_security_group_id
  cluster_name              = module.ecs.cluster_name
  acme_email                = var.acme_email
  storage_kms_key_arn       = module.kms.storage_key_arn
  logs_kms_key_arn          = module.kms.logs_key_arn
  log_retention_days        = 365
  access_logs_bucket        = module.s3.logs_bucket_name
  tags                      = local.tags
}

module "cloudfront" {
  source = "../../modules/cloudfront"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                              = local.name
  domain                            = var.domain
  zone_id                           = var.zone_id
  media_bucket_regional_domain_name = module.s3.media_bucket_regional_domain_name
  logs_bucket_domain_name           = module.s3.logs_bucket_domain_name
  price_class                       = "PriceClass_100"
  tags                              = local.tags
}

module "cloudwatch" {
  source = "../../modules/cloudwatch"

  name                   = local.name
  logs_kms_key_arn       = module.kms.logs_key_arn
  log_retention_days     = 365
  alarm_emails           = var.alarm_emails
  alb_arn_suffix         = module.alb.arn_suffix
  db_instance_identifier = module.rds.instance_identifier
  celery_queues          = var.celery_queues
  tags                   = local.tags
}

module "ecs" {
  source = "../../modules/ecs"

  name                    = local.name
  image                   = var.image
  subnet_ids              = module.network.app_subnet_ids
  security_group_id       = module.network.app_security_group_id
  target_group_arn        = module.alb.target_group_arn
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  log_group_names         = module.cloudwatch.log_group_names
  log_group_arns          = module.cloudwatch.log_group_arns
  secrets_kms_key_arn     = module.kms.secrets_key_arn
  storage_kms_key_arn     = module.kms.storage_key_arn
  ecr_kms_key_arn         = module.kms.data_key_arn
  bucket_arns             = module.s3.bucket_arns

  environment = {
    PLATFORM_DOMAIN         = var.domain
    PLATFORM_SCHEME         = "https"
    ALLOWED_HOSTS           = ".${var.domain}"
    # No CSRF_TRUSTED_ORIGINS: forms post to their own host, which needs none (docs/deployment.md).
    AWS_STORAGE_BUCKET_NAME = module.s3.media_bucket_name
    AWS_PRIVATE_BUCKET_NAME = module.s3.documents_bucket_name
    AWS_EXPORTS_BUCKET_NAME = module.s3.exports_bucket_name
    AWS_S3_REGION_NAME      = var.region
    AWS_S3_CUSTOM_DOMAIN    = module.cloudfront.cdn_domain
    DEFAULT_FROM_EMAIL      = "no-reply@${var.domain}"
    # The ALB is the one proxy in front of the web tasks: client addresses for rate limits.
    TRUSTED_PROXY_COUNT     = "1"
  }

  secret_arns = merge(
    module.secrets.secret_arns,
    {
      DATABASE_URL = module.rds.database_url_secret_arn
      REDIS_URL    = module.elasticache.redis_url_secret_arn
    },
    module.rds.replica_secret_arns,
  )

  web = {
    cpu                = 512
    memory             = 1024
    min_count          = 2
    max_count          = 4
    cpu_target_percent = 60
  }

  worker = {
    cpu                = 512
    memory             = 1024
    min_count          = 1
    max_count          = 4
    cpu_target_percent = 70
  }

  tags = local.tags
}
