"""Shape of infra/terraform: every file parses, modules are complete, environments compose them."""

from __future__ import annotations

import re

import pytest
from terraform_model import ENVIRONMENT_NAMES, MODULE_NAMES, TERRAFORM_ROOT, Terraform, parse_tf


def test_every_tf_file_parses() -> None:
    files = sorted(TERRAFORM_ROOT.rglob("*.tf"))
    assert len(files) >= 40
    for path in files:
        parse_tf(path)  # raises on a syntax error


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_module_has_main_variables_outputs(tf: Terraform, module_name: str) -> None:
    module = tf.modules[module_name]
    assert {"main.tf", "variables.tf", "outputs.tf"} <= set(module.files)
    assert module.variables, "a module takes its configuration as variables"
    assert module.outputs, "a module exposes what others need as outputs"


@pytest.mark.parametrize("module_name", MODULE_NAMES)
def test_variables_and_outputs_are_documented(tf: Terraform, module_name: str) -> None:
    module = tf.modules[module_name]
    for name, variable in module.variables.items():
        assert variable.get("description"), f"{module_name}: variable {name} has no description"
        assert variable.get("type"), f"{module_name}: variable {name} has no type"
    for name, output in module.outputs.items():
        assert output.get("description"), f"{module_name}: output {name} has no description"


def test_no_unexpected_modules(tf: Terraform) -> None:
    assert set(tf.modules) == set(MODULE_NAMES)
    assert set(tf.environments) == set(ENVIRONMENT_NAMES)


@pytest.mark.parametrize("env_name", ENVIRONMENT_NAMES)
def test_environment_composes_every_module(tf: Terraform, env_name: str) -> None:
    env = tf.environments[env_name]
    sources = {call["source"] for call in env.module_calls.values()}
    assert sources == {f"../../modules/{name}" for name in MODULE_NAMES}


@pytest.mark.parametrize("env_name", ENVIRONMENT_NAMES)
def test_environment_passes_only_declared_variables(tf: Terraform, env_name: str) -> None:
    meta = {"source", "providers", "depends_on", "count", "for_each", "__is_block__"}
    for call_name, call in tf.environments[env_name].module_calls.items():
        module = tf.modules[call["source"].rsplit("/", 1)[-1]]
        unknown = set(call) - meta - set(module.variables)
        assert not unknown, f"{env_name}: module.{call_name} is passed undeclared {unknown}"
        required = {n for n, v in module.variables.items() if "default" not in v}
        missing = required - set(call)
        assert not missing, f"{env_name}: module.{call_name} misses required {missing}"


@pytest.mark.parametrize("env_name", ENVIRONMENT_NAMES)
def test_environment_pins_aws_provider_5_and_remote_state(tf: Terraform, env_name: str) -> None:
    env = tf.environments[env_name]
    (terraform_block,) = env.terraform_blocks
    aws = (
        terraform_block["required_providers"][0]["aws"]
        if isinstance(terraform_block["required_providers"], list)
        else terraform_block["required_providers"]["aws"]
    )
    assert aws["source"] == "hashicorp/aws"
    assert re.fullmatch(r"~> 5\.\d+", aws["version"]), aws["version"]
    assert (
        "s3" in terraform_block["backend"][0]
        if isinstance(terraform_block["backend"], list)
        else "s3" in terraform_block["backend"]
    )
    aliases = {body.get("alias") for name, body in env.providers if name == "aws"}
    assert "us_east_1" in aliases, "CloudFront certificates need a us-east-1 provider"


def test_staging_and_production_differ_only_in_size_not_in_safety(tf: Terraform) -> None:
    staging = tf.environments["staging"].module_calls
    production = tf.environments["production"].module_calls
    assert set(staging) == set(production)
    for call_name in staging:
        assert set(staging[call_name]) == set(production[call_name]), (
            f"module.{call_name}: staging and production set different arguments"
        )
