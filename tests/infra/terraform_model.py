"""Parsed view of infra/terraform (python-hcl2) for the infra tests."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO_ROOT / "infra" / "terraform"
VENV = REPO_ROOT / ".venv-infra"

# checkov's fork (bc-python-hcl2) and python-hcl2 both install a top-level `hcl2` package, so
# infra/check.sh keeps python-hcl2 in its own --target folder; it must win over the fork here.
_HCL2_TARGET = VENV / "python-hcl2"
if _HCL2_TARGET.is_dir() and str(_HCL2_TARGET) not in sys.path:
    sys.path.insert(0, str(_HCL2_TARGET))
for _name in [m for m in sys.modules if m == "hcl2" or m.startswith("hcl2.")]:
    del sys.modules[_name]

import hcl2  # noqa: E402
from hcl2.utils import SerializationOptions  # noqa: E402

_OPTIONS = SerializationOptions(strip_string_quotes=True, with_comments=False)

MODULE_NAMES = (
    "kms",
    "network",
    "ecs",
    "rds",
    "elasticache",
    "s3",
    "alb",
    "cloudfront",
    "secrets",
    "cloudwatch",
    "edge",
)
ENVIRONMENT_NAMES = ("staging", "production")

_VAR_REF = re.compile(r"^\$\{var\.([A-Za-z0-9_]+)\}$")


def parse_tf(path: Path) -> dict[str, Any]:
    """python-hcl2's dict of one file (string quotes stripped, expressions as ${...})."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


@dataclass
class Stack:
    """One Terraform root or module folder: its blocks merged over all its .tf files."""

    name: str
    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    module_calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform_blocks: list[dict[str, Any]] = field(default_factory=list)
    providers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: body for (rtype, name), body in self.resources.items() if rtype == resource_type
        }

    def data_of_type(self, data_type: str) -> dict[str, dict[str, Any]]:
        return {name: body for (dtype, name), body in self.data.items() if dtype == data_type}

    def text(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8") for p in sorted(self.path.glob("*.tf")))


def load_terraform() -> Terraform:
    modules = {
        path.name: load_stack(path.name, path)
        for path in sorted((TERRAFORM_ROOT / "modules").iterdir())
        if path.is_dir()
    }
    environments = {
        path.name: load_stack(path.name, path)
        for path in sorted((TERRAFORM_ROOT / "environments").iterdir())
        if path.is_dir()
    }
    return Terraform(modules=modules, environments=environments)


def load_stack(name: str, path: Path) -> Stack:
    stack = Stack(name=name, path=path)
    for tf_file in sorted(path.glob("*.tf")):
        parsed = parse_tf(tf_file)
        stack.files[tf_file.name] = parsed
        for block in parsed.get("resource", []):
            for rtype, by_name in block.items():
                for rname, body in by_name.items():
                    stack.resources[(rtype, rname)] = body
        for block in parsed.get("data", []):
            for dtype, by_name in block.items():
                for dname, body in by_name.items():
                    stack.data[(dtype, dname)] = body
        for block in parsed.get("variable", []):
            stack.variables.update(block)
        for block in parsed.get("output", []):
            stack.outputs.update(block)
        for block in parsed.get("locals", []):
            stack.locals.update({k: v for k, v in block.items() if k != "__is_block__"})
        for block in parsed.get("module", []):
            stack.module_calls.update(block)
        stack.terraform_blocks.extend(parsed.get("terraform", []))
        for block in parsed.get("provider", []):
            for pname, body in block.items():
                stack.providers.append((pname, body))
    return stack


@dataclass
class Terraform:
    modules: dict[str, Stack]
    environments: dict[str, Stack]

    def calls_of(self, module_name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(environment, arguments) of every environment's call of a module."""
        for env_name, env in self.environments.items():
            for call in env.module_calls.values():
                if call.get("source") == f"../../modules/{module_name}":
                    yield env_name, call

    def effective_values(self, module_name: str, value: Any) -> list[Any]:
        """What an attribute can be: itself if literal; for ${var.x}, the default (if any) and
        every value an environment passes for x. Expressions other than var refs are returned
        as they are, so a test comparing them to a literal fails loudly."""
        match = _VAR_REF.match(value) if isinstance(value, str) else None
        if not match:
            return [value]
        var_name = match.group(1)
        variable = self.modules[module_name].variables[var_name]
        values = []
        if "default" in variable:
            values.append(variable["default"])
        for _, call in self.calls_of(module_name):
            if var_name in call:
                values.append(call[var_name])
        return values


def as_list(value: Any) -> list[Any]:
    """HCL blocks and attributes that may hold one item or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements of an aws_iam_policy_document, including the content of dynamic ones."""
    statements = list(as_list(document.get("statement")))
    for dynamic in as_list(document.get("dynamic")):
        for name, body in dynamic.items():
            if name == "statement":
                statements.extend(as_list(body.get("content")))
    return statements
