"""S3, the ALB with its wildcard certificate, CloudFront and the WAF."""

from __future__ import annotations

from terraform_model import Terraform, as_list, policy_statements


def _bucket_keys(tf: Terraform) -> set[str]:
    return set(tf.modules["s3"].locals["data_buckets"])


def test_three_data_buckets(tf: Terraform) -> None:
    assert _bucket_keys(tf) == {"media", "documents", "exports"}


def test_no_bucket_is_public(tf: Terraform) -> None:
    s3 = tf.modules["s3"]
    blocks = s3.of_type("aws_s3_bucket_public_access_block")
    assert set(blocks) == set(s3.of_type("aws_s3_bucket")) == {"data", "logs"}
    assert blocks["data"]["for_each"] == "${local.data_buckets}"
    for name, block in blocks.items():
        for flag in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ):
            assert block[flag] is True, (name, flag)
    for rtype in ("aws_s3_bucket_acl", "aws_s3_bucket_website_configuration"):
        assert not s3.of_type(rtype), f"{rtype} is not used"


def test_data_buckets_use_kms_and_versioning(tf: Terraform) -> None:
    s3 = tf.modules["s3"]
    sse = s3.of_type("aws_s3_bucket_server_side_encryption_configuration")["data"]
    assert sse["for_each"] == "${local.data_buckets}"
    default = as_list(as_list(sse["rule"])[0]["apply_server_side_encryption_by_default"])[0]
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"] == "${var.kms_key_arn}"
    for name, versioning in s3.of_type("aws_s3_bucket_versioning").items():
        assert as_list(versioning["versioning_configuration"])[0]["status"] == "Enabled", name


def test_data_buckets_log_access_to_the_log_bucket(tf: Terraform) -> None:
    logging = tf.modules["s3"].of_type("aws_s3_bucket_logging")["data"]
    assert logging["for_each"] == "${local.data_buckets}"
    assert logging["target_bucket"] == "${aws_s3_bucket.logs.id}"


def test_every_data_bucket_has_a_lifecycle_and_exports_expire(tf: Terraform) -> None:
    lifecycles = tf.modules["s3"].of_type("aws_s3_bucket_lifecycle_configuration")
    assert _bucket_keys(tf) <= set(lifecycles)
    exports_rules = as_list(lifecycles["exports"]["rule"])
    expirations = [as_list(r["expiration"])[0]["days"] for r in exports_rules if "expiration" in r]
    assert expirations == ["${var.exports_expiration_days}"]
    values = tf.effective_values("s3", expirations[0])
    assert all(isinstance(v, int) and 1 <= v <= 90 for v in values), values
    for name in _bucket_keys(tf):
        rules = as_list(lifecycles[name]["rule"])
        assert any("abort_incomplete_multipart_upload" in r for r in rules), name


def test_bucket_policies_deny_plain_http(tf: Terraform) -> None:
    s3 = tf.modules["s3"]
    for name in ("data_bucket", "logs_bucket"):
        statements = policy_statements(s3.data_of_type("aws_iam_policy_document")[name])
        deny = [s for s in statements if s.get("effect") == "Deny"]
        assert deny, name
        condition = as_list(deny[0]["condition"])[0]
        assert (condition["variable"], condition["values"]) == ("aws:SecureTransport", ["false"])


def test_only_cloudfront_of_this_account_reads_media(tf: Terraform) -> None:
    statements = policy_statements(
        tf.modules["s3"].data_of_type("aws_iam_policy_document")["data_bucket"]
    )
    allows = [s for s in statements if s.get("effect") == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["actions"] == ["s3:GetObject"]
    assert as_list(allow["principals"])[0]["identifiers"] == ["cloudfront.amazonaws.com"]
    assert {c["variable"] for c in as_list(allow["condition"])} == {
        "aws:SourceAccount",
        "aws:SourceArn",
    }


def test_certificate_covers_domain_and_every_storefront(tf: Terraform) -> None:
    certificate = tf.modules["alb"].of_type("aws_acm_certificate")["this"]
    assert certificate["domain_name"] == "${var.domain}"
    assert certificate["subject_alternative_names"] == ["*.${var.domain}"]
    assert certificate["validation_method"] == "DNS"


def test_http_redirects_to_https_and_https_uses_tls12_or_better(tf: Terraform) -> None:
    listeners = tf.modules["alb"].of_type("aws_lb_listener")
    http = as_list(listeners["http"]["default_action"])[0]
    assert http["type"] == "redirect"
    redirect = as_list(http["redirect"])[0]
    assert (redirect["protocol"], redirect["port"], redirect["status_code"]) == (
        "HTTPS",
        "443",
        "HTTP_301",
    )
    https = listeners["https"]
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"].startswith(("ELBSecurityPolicy-TLS13", "ELBSecurityPolicy-TLS-1-2"))
    assert https["certificate_arn"] == "${aws_acm_certificate_validation.this.certificate_arn}"


def test_alb_hardened(tf: Terraform) -> None:
    alb = tf.modules["alb"].of_type("aws_lb")["this"]
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is True
    assert as_list(alb["access_logs"])[0]["enabled"] is True
    assert (
        tf.modules["alb"].of_type("aws_wafv2_web_acl_association")["this"]["resource_arn"]
        == "${aws_lb.this.arn}"
    )


def test_alb_health_check_hits_healthz(tf: Terraform) -> None:
    group = tf.modules["alb"].of_type("aws_lb_target_group")["web"]
    assert as_list(group["health_check"])[0]["path"] == "/healthz"


def test_cloudfront_https_only_via_origin_access_control(tf: Terraform) -> None:
    cloudfront = tf.modules["cloudfront"]
    distribution = cloudfront.of_type("aws_cloudfront_distribution")["this"]
    behaviors = as_list(distribution["default_cache_behavior"]) + as_list(
        distribution["ordered_cache_behavior"]
    )
    assert {b["viewer_protocol_policy"] for b in behaviors} <= {"redirect-to-https", "https-only"}
    assert any(b.get("path_pattern") == "/static/*" for b in behaviors)
    origins = {o["origin_id"]: o for o in as_list(distribution["origin"])}
    assert (
        origins["media"]["origin_access_control_id"]
        == "${aws_cloudfront_origin_access_control.media.id}"
    )
    assert (
        as_list(origins["app"]["custom_origin_config"])[0]["origin_protocol_policy"] == "https-only"
    )
    certificate = as_list(distribution["viewer_certificate"])[0]
    assert certificate["minimum_protocol_version"].startswith("TLSv1.2")
    acm = cloudfront.of_type("aws_acm_certificate")["cdn"]
    assert acm["provider"] == "${aws.us_east_1}"
