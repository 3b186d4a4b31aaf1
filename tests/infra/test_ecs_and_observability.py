"""ECS services and their autoscaling; log groups and the alarms that page someone."""

from __future__ import annotations

import re

import pytest
from terraform_model import Terraform, as_list


def test_one_image_runs_web_worker_beat_and_migrate(tf: Terraform) -> None:
    ecs = tf.modules["ecs"]
    processes = ecs.locals["processes"]
    assert set(processes) == {"web", "worker", "beat", "migrate"}
    assert processes["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert processes["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert processes["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert processes["migrate"]["command"][:3] == ["python", "manage.py", "migrate_schemas"]
    assert ecs.locals["base_container"]["image"] == "${var.image}"


def test_containers_run_unprivileged_on_a_read_only_root(tf: Terraform) -> None:
    base = tf.modules["ecs"].locals["base_container"]
    assert base["user"] == "10001:10001"
    assert base["readonlyRootFilesystem"] is True
    assert base["privileged"] is False
    assert base["linuxParameters"]["capabilities"]["drop"] == ["ALL"]


def test_settings_module_is_production(tf: Terraform) -> None:
    environment = tf.modules["ecs"].locals["environment"]  # a merge(...) expression
    assert re.search(r'DJANGO_SETTINGS_MODULE\s*=\s*"config\.settings\.production"', environment), (
        environment
    )


def test_secrets_are_injected_not_passed_as_plain_environment(tf: Terraform) -> None:
    for env in tf.environments.values():
        (call,) = [c for c in env.module_calls.values() if c["source"].endswith("/ecs")]
        plain = call["environment"]
        for secret_name in (
            "DJANGO_SECRET_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "DATABASE_URL",
            "REDIS_URL",
        ):
            assert secret_name not in plain, (env.name, secret_name)
        assert "DATABASE_URL" in call["secret_arns"] and "REDIS_URL" in call["secret_arns"]


def test_services_run_in_private_subnets_without_public_ips(tf: Terraform) -> None:
    services = tf.modules["ecs"].of_type("aws_ecs_service")
    assert set(services) == {"web", "worker", "beat"}
    for name, service in services.items():
        network = as_list(service["network_configuration"])[0]
        assert network["assign_public_ip"] is False, name
        assert network["subnets"] == "${var.subnet_ids}", name
        assert as_list(service["deployment_circuit_breaker"])[0]["rollback"] is True, name
    for env in tf.environments.values():
        (call,) = [c for c in env.module_calls.values() if c["source"].endswith("/ecs")]
        assert call["subnet_ids"] == "${module.network.app_subnet_ids}"


def test_beat_is_a_singleton_even_during_deploys(tf: Terraform) -> None:
    beat = tf.modules["ecs"].of_type("aws_ecs_service")["beat"]
    assert beat["desired_count"] == 1
    assert beat["deployment_maximum_percent"] == 100
    assert "beat" not in {
        t["resource_id"].rsplit(".", 2)[-2]
        for t in tf.modules["ecs"].of_type("aws_appautoscaling_target").values()
    }


@pytest.mark.parametrize("service", ["web", "worker"])
def test_cpu_target_tracking(tf: Terraform, service: str) -> None:
    policies = tf.modules["ecs"].of_type("aws_appautoscaling_policy")
    policy = policies[f"{service}_cpu"]
    assert policy["policy_type"] == "TargetTrackingScaling"
    assert policy["resource_id"] == f"${{aws_appautoscaling_target.{service}.resource_id}}"
    configuration = as_list(policy["target_tracking_scaling_policy_configuration"])[0]
    metric = as_list(configuration["predefined_metric_specification"])[0]
    assert metric["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"


def test_workers_scale_on_queue_depth_through_cloudwatch_alarms(tf: Terraform) -> None:
    ecs = tf.modules["ecs"]
    policies = ecs.of_type("aws_appautoscaling_policy")
    alarms = ecs.of_type("aws_cloudwatch_metric_alarm")
    for direction, alarm_name in (("out", "worker_queue_high"), ("in", "worker_queue_low")):
        policy = policies[f"worker_queue_{direction}"]
        assert policy["policy_type"] == "StepScaling"
        assert policy["resource_id"] == "${aws_appautoscaling_target.worker.resource_id}"
        alarm = alarms[alarm_name]
        assert alarm["metric_name"] == "CeleryQueueDepth"
        assert alarm["alarm_actions"] == [
            f"${{aws_appautoscaling_policy.worker_queue_{direction}.arn}}"
        ]
    steps = as_list(
        as_list(policies["worker_queue_out"]["step_scaling_policy_configuration"])[0][
            "step_adjustment"
        ]
    )
    assert all(step["scaling_adjustment"] > 0 for step in steps)


def test_log_groups_encrypted_and_retained(tf: Terraform) -> None:
    found = 0
    for stack in tf.modules.values():
        for name, group in stack.of_type("aws_cloudwatch_log_group").items():
            found += 1
            assert group["kms_key_id"].startswith("${var.") and group["kms_key_id"].endswith(
                "kms_key_arn}"
            ), (stack.name, name)
            for retention in tf.effective_values(stack.name, group["retention_in_days"]):
                assert isinstance(retention, int) and retention >= 365, (
                    stack.name,
                    name,
                    retention,
                )
    assert found >= 4  # flow logs, elasticache, WAF, the ECS processes (each a for_each or single)


def test_alarm_topic_encrypted(tf: Terraform) -> None:
    topic = tf.modules["cloudwatch"].of_type("aws_sns_topic")["alarms"]
    assert topic["kms_master_key_id"] == "${var.logs_kms_key_arn}"


def test_the_four_alarms_exist_and_notify(tf: Terraform) -> None:
    alarms = tf.modules["cloudwatch"].of_type("aws_cloudwatch_metric_alarm")
    # 5xx rate: a ratio of 5xx responses to requests, not a raw count.
    queries = {q["id"]: q for q in as_list(alarms["http_5xx_rate"]["metric_query"])}
    assert "requests" in queries["rate"]["expression"]
    assert {as_list(q["metric"])[0]["metric_name"] for k, q in queries.items() if k != "rate"} == {
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "RequestCount",
    }
    assert alarms["queue_depth"]["metric_name"] == "CeleryQueueDepth"
    assert (alarms["db_cpu"]["namespace"], alarms["db_cpu"]["metric_name"]) == (
        "AWS/RDS",
        "CPUUtilization",
    )
    assert alarms["webhook_failures"]["metric_name"].endswith("metric_transformation[0].name}")
    metric_filter = tf.modules["cloudwatch"].of_type("aws_cloudwatch_log_metric_filter")[
        "webhook_failures"
    ]
    assert as_list(metric_filter["metric_transformation"])[0]["name"] == "StripeWebhookFailures"
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"], name
