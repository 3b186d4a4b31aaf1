# CDN at cdn.<domain>: media objects from S3 (origin access control, SSE-KMS) and static files
# from the app (WhiteNoise serves hashed, immutable names under /static/ on the platform domain).
# "cdn" is therefore a reserved store slug.

locals {
  cdn_domain = "${var.cdn_subdomain}.${var.domain}"

  # AWS managed policies (identical IDs in every account).
  caching_optimized_policy_id    = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  cors_s3_origin_request_policy  = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
  all_viewer_except_host_request = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_acm_certificate" "cdn" {
  provider = aws.us_east_1

  domain_name       = local.cdn_domain
  validation_method = "DNS"

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "cdn_validation" {
  for_each = {
    for o in aws_acm_certificate.cdn.domain_validation_options : o.domain_name => o
  }

  zone_id         = var.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "cdn" {
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.cdn.arn
  validation_record_fqdns = [for r in aws_route53_record.cdn_validation : r.fqdn]
}

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "${var.name}-media"
  description                       = "CloudFront reads the media bucket with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  name    = "${var.name}-cdn"
  comment = "Security headers and CORS for static and media files"

  cors_config {
    access_control_allow_credentials = false
    access_control_max_age_sec       = 86400
    origin_override                  = true

    access_control_allow_headers {
      items = ["*"]
    }

    access_control_allow_methods {
      items = ["GET", "HEAD"]
    }

    access_control_allow_origins {
      items = ["https://${var.domain}", "https://*.${var.domain}"]
    }
  }

  security_headers_config {
    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:Serves public, immutable static and media files only; the application (forms, APIs, webhooks) sits behind the ALB's WAF.
  #checkov:skip=CKV2_AWS_47:No WAF on this static-only distribution (see CKV_AWS_68), so no Log4j rule group to attach.
  #checkov:skip=CKV_AWS_310:Each path has one origin (the regional media bucket, the Multi-AZ ALB for static); a failover group would point at the same origin.
  #checkov:skip=CKV_AWS_305:A CDN for asset URLs has no root document; / is not a page here.
  #checkov:skip=CKV_AWS_374:The marketplace sells worldwide; geo-blocking public asset URLs would protect nothing the application does not already control.
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name} static and media"
  aliases         = [local.cdn_domain]
  price_class     = var.price_class
  http_version    = "http2and3"

  origin {
    origin_id                = "media"
    domain_name              = var.media_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  origin {
    origin_id   = "app"
    domain_name = var.domain

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = "media"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    origin_request_policy_id   = local.cors_s3_origin_request_policy
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  ordered_cache_behavior {
    path_pattern               = "/static/*"
    target_origin_id           = "app"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    origin_request_policy_id   = local.all_viewer_except_host_request
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  logging_config {
    bucket          = var.logs_bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.cdn.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = var.tags
}

resource "aws_route53_record" "cdn" {
  for_each = toset(["A", "AAAA"])

  zone_id = var.zone_id
  name    = local.cdn_domain
  type    = each.value

  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}
