"""Least privilege: no "*" action on "*" resource, wildcards only where AWS offers no scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from terraform_model import Terraform, as_list, policy_statements

# Actions that have no resource-level permissions in IAM, so "*" is their only possible resource.
UNSCOPABLE_ACTIONS = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}


def _documents(tf: Terraform) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack in list(tf.modules.values()) + list(tf.environments.values()):
        for name, document in stack.data_of_type("aws_iam_policy_document").items():
            yield stack.name, name, document


def _is_key_policy(name: str) -> bool:
    return name.startswith("key_policy")


def test_policies_are_documents_not_inline_json(tf: Terraform) -> None:
    # Every policy goes through aws_iam_policy_document, so the checks below see all of them.
    for stack in list(tf.modules.values()) + list(tf.environments.values()):
        for rtype in (
            "aws_iam_role_policy",
            "aws_iam_policy",
            "aws_s3_bucket_policy",
            "aws_kms_key",
        ):
            for name, resource in stack.of_type(rtype).items():
                policy = resource.get("policy", "")
                assert "jsonencode" not in policy, f"{stack.name}: {rtype}.{name}"
                assert policy.startswith(
                    ("${data.aws_iam_policy_document.", "${local.key_policies")
                ), f"{stack.name}: {rtype}.{name} policy {policy!r}"
        for name, role in stack.of_type("aws_iam_role").items():
            assert role["assume_role_policy"].startswith("${data.aws_iam_policy_document."), name
            assert "inline_policy" not in role and "managed_policy_arns" not in role, name


def test_there_are_policies_to_check(tf: Terraform) -> None:
    assert sum(1 for _ in _documents(tf)) >= 10


def test_no_star_action_on_star_resource(tf: Terraform) -> None:
    for stack_name, name, document in _documents(tf):
        for statement in policy_statements(document):
            if statement.get("effect", "Allow") != "Allow":
                continue
            actions = as_list(statement.get("actions"))
            resources = as_list(statement.get("resources"))
            assert "*" not in actions, f"{stack_name}: {name} allows every action"
            if "*" in resources and not _is_key_policy(name):
                assert not any(a.endswith(":*") for a in actions), f"{stack_name}: {name} {actions}"


def test_wildcard_resources_only_for_unscopable_actions(tf: Terraform) -> None:
    for stack_name, name, document in _documents(tf):
        if _is_key_policy(name):
            continue  # a key policy's resource "*" is the key itself
        for statement in policy_statements(document):
            if statement.get("effect", "Allow") != "Allow":
                continue
            if "*" in as_list(statement.get("resources")):
                assert set(as_list(statement["actions"])) <= UNSCOPABLE_ACTIONS, (
                    f"{stack_name}: {name} grants {statement['actions']} on *"
                )


def test_metric_publishing_is_scoped_to_the_app_namespace(tf: Terraform) -> None:
    document = tf.modules["ecs"].data_of_type("aws_iam_policy_document")["task"]
    (statement,) = [
        s for s in policy_statements(document) if "cloudwatch:PutMetricData" in s["actions"]
    ]
    (condition,) = as_list(statement["condition"])
    assert condition["variable"] == "cloudwatch:namespace"


def test_no_service_wide_wildcards_in_identity_policies(tf: Terraform) -> None:
    for stack_name, name, document in _documents(tf):
        if _is_key_policy(name):
            continue
        for statement in policy_statements(document):
            if statement.get("effect", "Allow") != "Allow":
                continue
            for action in as_list(statement.get("actions")):
                assert not action.endswith(":*"), f"{stack_name}: {name} allows {action}"


def test_key_policies_never_name_an_anonymous_principal(tf: Terraform) -> None:
    kms = tf.modules["kms"]
    key_policies = {
        n: d for n, d in kms.data_of_type("aws_iam_policy_document").items() if _is_key_policy(n)
    }
    assert key_policies
    for name, document in key_policies.items():
        for statement in policy_statements(document):
            for principal in as_list(statement.get("principals")):
                assert "*" not in principal["identifiers"], name


def test_kms_keys_rotate(tf: Terraform) -> None:
    key = tf.modules["kms"].of_type("aws_kms_key")["this"]
    assert key["enable_key_rotation"] is True


@pytest.mark.parametrize("module_name", ["secrets", "rds", "elasticache"])
def test_every_secret_uses_a_customer_managed_key(tf: Terraform, module_name: str) -> None:
    secrets = tf.modules[module_name].of_type("aws_secretsmanager_secret")
    assert secrets
    for name, secret in secrets.items():
        assert (
            secret["kms_key_id"] == "${var.secrets_kms_key_arn}"
            or secret["kms_key_id"] == "${var.kms_key_arn}"
        ), name


def test_stripe_and_django_secrets_are_in_secrets_manager(tf: Terraform) -> None:
    names = set(tf.modules["secrets"].locals["operator_secrets"])
    assert {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"} <= names
    assert "django_secret_key" in tf.modules["secrets"].of_type("aws_secretsmanager_secret")


def test_no_secret_value_is_written_in_the_code(tf: Terraform) -> None:
    for stack in list(tf.modules.values()) + list(tf.environments.values()):
        text = stack.text()
        for marker in ("sk_live_", "sk_test_", "whsec_", "rk_live_"):
            for line in text.splitlines():
                if marker in line:
                    assert "description" in line or line.strip().startswith(("#", "STRIPE_")), (
                        stack.name,
                        line,
                    )
