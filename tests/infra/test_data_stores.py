"""RDS PostgreSQL and ElastiCache Redis: Multi-AZ, encrypted, backed up, protected."""

from __future__ import annotations

from terraform_model import Terraform, as_list


def test_rds_primary_is_multi_az_encrypted_protected_and_private(tf: Terraform) -> None:
    primary = tf.modules["rds"].of_type("aws_db_instance")["primary"]
    assert primary["engine"] == "postgres"
    assert primary["multi_az"] is True
    assert primary["storage_encrypted"] is True
    assert primary["kms_key_id"] == "${var.kms_key_arn}"
    assert primary["deletion_protection"] is True
    assert primary["skip_final_snapshot"] is False
    assert primary["publicly_accessible"] is False
    assert primary["copy_tags_to_snapshot"] is True


def test_rds_performance_insights_on_and_encrypted(tf: Terraform) -> None:
    for name, instance in tf.modules["rds"].of_type("aws_db_instance").items():
        assert instance["performance_insights_enabled"] is True, name
        assert instance["performance_insights_kms_key_id"] == "${var.kms_key_arn}", name


def test_rds_backups_kept_at_least_seven_days_everywhere(tf: Terraform) -> None:
    primary = tf.modules["rds"].of_type("aws_db_instance")["primary"]
    values = tf.effective_values("rds", primary["backup_retention_period"])
    assert len(values) >= 3  # the default and both environments
    assert all(isinstance(v, int) and v >= 7 for v in values), values


def test_rds_replicas_are_encrypted_and_protected(tf: Terraform) -> None:
    replica = tf.modules["rds"].of_type("aws_db_instance")["replica"]
    assert replica["replicate_source_db"] == "${aws_db_instance.primary.identifier}"
    assert replica["storage_encrypted"] is True
    assert replica["deletion_protection"] is True
    assert replica["publicly_accessible"] is False


def test_rds_forces_tls(tf: Terraform) -> None:
    group = tf.modules["rds"].of_type("aws_db_parameter_group")["this"]
    parameters = {p["name"]: p["value"] for p in as_list(group["parameter"])}
    assert parameters["rds.force_ssl"] == "1"


def test_database_url_secret_requires_tls(tf: Terraform) -> None:
    version = tf.modules["rds"].of_type("aws_secretsmanager_secret_version")["database_url"]
    assert version["secret_string"].endswith("?sslmode=require")


def test_production_has_a_read_replica(tf: Terraform) -> None:
    calls = dict(tf.calls_of("rds"))
    assert calls["production"]["read_replica_count"] >= 1


def test_redis_encrypted_at_rest_and_in_transit_with_failover(tf: Terraform) -> None:
    group = tf.modules["elasticache"].of_type("aws_elasticache_replication_group")["this"]
    assert group["at_rest_encryption_enabled"] is True
    assert group["kms_key_id"] == "${var.kms_key_arn}"
    assert group["transit_encryption_enabled"] is True
    assert group["transit_encryption_mode"] == "required"
    assert group["auth_token"] == "${random_password.auth.result}"
    assert group["automatic_failover_enabled"] is True
    assert group["multi_az_enabled"] is True
    node_counts = tf.effective_values("elasticache", group["num_cache_clusters"])
    assert all(isinstance(n, int) and n >= 2 for n in node_counts), node_counts


def test_redis_url_uses_tls(tf: Terraform) -> None:
    version = tf.modules["elasticache"].of_type("aws_secretsmanager_secret_version")["redis_url"]
    assert version["secret_string"].startswith("rediss://")


def test_redis_never_evicts_queues(tf: Terraform) -> None:
    group = tf.modules["elasticache"].of_type("aws_elasticache_parameter_group")["this"]
    parameters = {p["name"]: p["value"] for p in as_list(group["parameter"])}
    assert parameters["maxmemory-policy"].startswith("volatile-")
