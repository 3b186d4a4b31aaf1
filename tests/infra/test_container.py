"""The Dockerfile and compose.yaml: one non-root image for every process, health-checked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from terraform_model import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_multi_stage_on_python_311_slim() -> None:
    stages = [rest for keyword, rest in _instructions() if keyword == "FROM"]
    assert len(stages) >= 2
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE)
    assert "COPY --from=build /opt/venv /opt/venv" in DOCKERFILE


def test_runs_as_non_root_after_build_steps() -> None:
    instructions = _instructions()
    users = [i for i, (keyword, _) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER instruction"
    final_user = instructions[users[-1]][1]
    assert final_user.split(":")[0] not in {"root", "0"}
    runs_after_user = [k for k, _ in instructions[users[-1] :] if k == "RUN"]
    assert not runs_after_user


def test_collects_static_and_checks_health() -> None:
    instructions = _instructions()
    assert any(
        k == "RUN" and "manage.py collectstatic --noinput" in rest for k, rest in instructions
    )
    assert any(k == "HEALTHCHECK" and "/healthz" in rest for k, rest in instructions)
    (cmd,) = [rest for k, rest in instructions if k == "CMD"]
    assert "gunicorn config.wsgi:application" in cmd


def test_dockerignore_keeps_secrets_and_venvs_out() -> None:
    patterns = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env"} <= patterns


def _dockerignore_patterns(directory: Path) -> set[str]:
    lines = (directory / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_production_image_leaves_the_stripe_emulator_out() -> None:
    # The emulator, the tests and the benchmarks never reach the build context, so no COPY can
    # put them in the image; the image's own instructions do not name the emulator either.
    assert {"stripe_emulator", "tests", "bench"} <= _dockerignore_patterns(REPO_ROOT)
    assert not any("stripe_emulator" in rest for _, rest in _instructions())


def test_stripe_emulator_has_an_image_of_its_own() -> None:
    dockerfile = (REPO_ROOT / "stripe_emulator" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY . stripe_emulator/" in dockerfile
    assert 'CMD ["python", "-m", "stripe_emulator", "--host", "0.0.0.0", "--port", "12111"]' in (
        dockerfile
    )
    assert "USER 10001:10001" in dockerfile
    # The same Werkzeug range as the project, its only dependency outside the standard library.
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (werkzeug,) = [d for d in project["project"]["dependencies"] if d.startswith("werkzeug")]
    assert f'pip install "{werkzeug}"' in dockerfile
    assert "**/__pycache__" in _dockerignore_patterns(REPO_ROOT / "stripe_emulator")


def test_compose_runs_the_whole_stack_from_one_image() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "stripe"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    app_services = ("web", "worker", "beat", "migrate")
    assert len({services[name]["image"] for name in app_services}) == 1
    assert services["stripe"]["image"] != services["web"]["image"]
    assert services["stripe"]["build"]["context"] == "./stripe_emulator"
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["stripe"]["command"] == [
        "python",
        "-m",
        "stripe_emulator",
        "--host",
        "0.0.0.0",
        "--port",
        "12111",
    ]
    environment = services["web"]["environment"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert environment["STRIPE_API_BASE"] == "http://stripe:12111"
    assert environment["CELERY_TASK_ALWAYS_EAGER"] == "false"
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SECRET_KEY",
        "PLATFORM_DOMAIN",
        "ALLOWED_HOSTS",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "AWS_STORAGE_BUCKET_NAME",
    ):
        assert name in environment, name


def test_every_compose_variable_is_documented() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    documented = (REPO_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for name in compose["services"]["web"]["environment"]:
        assert f"`{name}`" in documented, f"{name} is missing from docs/deployment.md"


def test_compose_keeps_the_emulator_control_api_off_the_host() -> None:
    """The emulator's control API hands out the webhook signing secret: its port is published on
    the loopback address only (the browser loads the stand-in Stripe.js from it), and its control
    calls need a token."""
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    stripe = compose["services"]["stripe"]
    assert stripe.get("ports", []) == ["127.0.0.1:12111:12111"]
    assert stripe["environment"]["STRIPE_EMULATOR_CONTROL_TOKEN"]
    assert compose["services"]["web"]["environment"]["STRIPE_JS_URL"].endswith("localhost:12111/v3/}")


def test_no_wildcard_csrf_origin_anywhere() -> None:
    """Same-origin posts need no trusted origin; a wildcard would trust every vendor's host."""
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert "*" not in compose["services"]["web"]["environment"].get("CSRF_TRUSTED_ORIGINS", "")
    for path in (REPO_ROOT / "infra" / "terraform").rglob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "CSRF_TRUSTED_ORIGINS" in line:
                assert "*" not in line, f"{path}: {line.strip()}"

