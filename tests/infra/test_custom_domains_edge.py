"""The custom domains' edge (ADR 0092): on-demand TLS in Caddy, which asks the platform before
obtaining any certificate, behind a TCP-passthrough NLB; certificates on encrypted EFS."""

from __future__ import annotations

import re

from terraform_model import REPO_ROOT, TERRAFORM_ROOT, Terraform, as_list

CADDYFILE = TERRAFORM_ROOT / "modules" / "edge" / "Caddyfile.tftpl"


def test_certificates_are_on_demand_and_only_for_names_the_ask_endpoint_admits() -> None:
    text = CADDYFILE.read_text(encoding="utf-8")
    assert re.search(r"on_demand_tls \{\s*ask https://\$\{domain\}\$\{ask_path\}\s*\}", text)
    assert re.search(r"https:// \{\s*tls \{\s*on_demand\s*\}", text)
    assert "header_up Host {host}" in text  # the app routes the custom domain by its Host
    assert "redir https://{host}{uri} 308" in text


def test_the_ask_path_is_the_one_the_application_serves(tf: Terraform) -> None:
    ask_path = tf.modules["edge"].variables["ask_path"]["default"]
    urls = (REPO_ROOT / "config" / "urls_public.py").read_text(encoding="utf-8")
    assert f'path("{ask_path.lstrip("/")}", tenants_views.tls_ask' in urls


def test_the_load_balancer_passes_tcp_through_on_80_and_443_from_static_addresses(tf: Terraform) -> None:
    edge = tf.modules["edge"]
    lb = edge.of_type("aws_lb")["edge"]
    assert lb["load_balancer_type"] == "network" and lb["internal"] is False
    assert lb["enable_deletion_protection"] is True
    assert edge.locals["listener_ports"] == {"http": 80, "https": 443}
    listener = edge.of_type("aws_lb_listener")["edge"]
    assert listener["protocol"] == "TCP"
    assert edge.of_type("aws_eip")["edge"]["domain"] == "vpc"


def test_the_proxy_runs_unprivileged_on_a_read_only_root_in_private_subnets(tf: Terraform) -> None:
    edge = tf.modules["edge"]
    service = edge.of_type("aws_ecs_service")["edge"]
    network = as_list(service["network_configuration"])[0]
    assert network["assign_public_ip"] is False and network["subnets"] == "${var.app_subnet_ids}"
    definition = edge.of_type("aws_ecs_task_definition")["edge"]["container_definitions"]
    for needle in ("readonlyRootFilesystem = true", "privileged = false", 'user = "10001:10001"',
                   'drop = ["ALL"]'):
        assert needle.replace(" ", "") in definition.replace(" ", ""), needle


def test_certificates_are_encrypted_at_rest_and_in_transit(tf: Terraform) -> None:
    edge = tf.modules["edge"]
    store = edge.of_type("aws_efs_file_system")["certificates"]
    assert store["encrypted"] is True and store["kms_key_id"] == "${var.storage_kms_key_arn}"
    (volume,) = [v for v in as_list(edge.of_type("aws_ecs_task_definition")["edge"]["volume"])
                 if v["name"] == "certificates"]
    efs = as_list(volume["efs_volume_configuration"])[0]
    assert efs["transit_encryption"] == "ENABLED"
    assert as_list(efs["authorization_config"])[0]["iam"] == "ENABLED"
