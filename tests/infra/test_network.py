"""Network: two or more AZs, private subnets for tasks and data, tight security groups."""

from __future__ import annotations

from terraform_model import ENVIRONMENT_NAMES, Terraform, as_list


def test_azs_are_validated_and_every_environment_uses_two_or_more(tf: Terraform) -> None:
    variable = tf.modules["network"].variables["availability_zones"]
    conditions = [v["condition"] for v in as_list(variable.get("validation"))]
    assert any(">= 2" in c for c in conditions)
    for env_name, call in tf.calls_of("network"):
        zones = call["availability_zones"]
        assert isinstance(zones, list) and len(set(zones)) >= 2, env_name
    assert len(list(tf.calls_of("network"))) == len(ENVIRONMENT_NAMES)


def test_subnet_tiers_exist_per_az_and_never_assign_public_ips(tf: Terraform) -> None:
    subnets = tf.modules["network"].of_type("aws_subnet")
    assert set(subnets) == {"public", "app", "data"}
    for name, subnet in subnets.items():
        assert subnet["count"] == "${length(local.azs)}", name
        assert subnet["map_public_ip_on_launch"] is False, name


def test_data_subnets_have_no_route_out(tf: Terraform) -> None:
    network = tf.modules["network"]
    routes = network.of_type("aws_route")
    assert all("aws_route_table.data" not in r["route_table_id"] for r in routes.values())
    assert (
        "aws_route_table.data"
        in network.of_type("aws_route_table_association")["data"]["route_table_id"]
    )


def test_app_subnets_leave_through_nat_not_the_internet_gateway(tf: Terraform) -> None:
    route = tf.modules["network"].of_type("aws_route")["app_nat"]
    assert "nat_gateway_id" in route and "gateway_id" not in route


def test_flow_logs_on(tf: Terraform) -> None:
    flow_log = tf.modules["network"].of_type("aws_flow_log")["this"]
    assert flow_log["traffic_type"] == "ALL"


def test_default_security_group_has_no_rules(tf: Terraform) -> None:
    default = tf.modules["network"].of_type("aws_default_security_group")["this"]
    assert "ingress" not in default and "egress" not in default


def test_only_the_load_balancers_are_open_to_the_internet_and_only_on_80_and_443(tf: Terraform) -> None:
    # The ALB (platform names) and the custom domains' NLB in front of the TLS proxy (ADR 0092).
    rules = tf.modules["network"].of_type("aws_vpc_security_group_ingress_rule")
    world = {
        n: r for n, r in rules.items() if r.get("cidr_ipv4") == "0.0.0.0/0" or "cidr_ipv6" in r
    }
    assert world, "the ALB must be reachable"
    for name, rule in world.items():
        assert rule["security_group_id"] in {
            "${aws_security_group.alb.id}", "${aws_security_group.edge_lb.id}"}, name
        assert (rule["from_port"], rule["to_port"]) in {(80, 80), (443, 443)}, name
    for name, rule in rules.items():
        assert rule["ip_protocol"] != "-1", f"{name} opens every protocol"


def test_database_and_cache_admit_only_the_app_tier(tf: Terraform) -> None:
    rules = tf.modules["network"].of_type("aws_vpc_security_group_ingress_rule")
    for tier, port in (("database", 5432), ("cache", 6379)):
        tier_rules = [
            r
            for r in rules.values()
            if r["security_group_id"] == f"${{aws_security_group.{tier}.id}}"
        ]
        assert tier_rules, tier
        for rule in tier_rules:
            assert rule["referenced_security_group_id"] == "${aws_security_group.app.id}"
            assert rule["from_port"] == rule["to_port"] == port


def test_every_security_group_is_attached_by_each_environment(tf: Terraform) -> None:
    # checkov cannot follow module outputs (CKV2_AWS_5 is skipped for these): this does.
    attachments = {
        "alb_security_group_id": "alb",
        "app_security_group_id": "ecs",
        "database_security_group_id": "rds",
        "cache_security_group_id": "elasticache",
    }
    edge_inputs = {
        "edge_lb_security_group_id": "lb_security_group_id",
        "edge_security_group_id": "security_group_id",
        "edge_storage_security_group_id": "storage_security_group_id",
    }
    for env in tf.environments.values():
        (edge,) = [c for c in env.module_calls.values() if c["source"].endswith("/edge")]
        for output, variable in edge_inputs.items():
            assert edge[variable] == f"${{module.network.{output}}}", (env.name, output)
    assert set(attachments) <= set(tf.modules["network"].outputs)
    for env in tf.environments.values():
        for output, module_name in attachments.items():
            calls = [
                c for c in env.module_calls.values() if c["source"].endswith(f"/{module_name}")
            ]
            assert calls and calls[0]["security_group_id"] == f"${{module.network.{output}}}", (
                env.name,
                output,
            )
    # ... and each module uses its input on the resource it protects.
    used = {
        "alb": ("aws_lb", "this", "security_groups"),
        "rds": ("aws_db_instance", "primary", "vpc_security_group_ids"),
        "elasticache": ("aws_elasticache_replication_group", "this", "security_group_ids"),
    }
    for module_name, (rtype, rname, attribute) in used.items():
        assert tf.modules[module_name].of_type(rtype)[rname][attribute] == [
            "${var.security_group_id}"
        ]
    for service in tf.modules["ecs"].of_type("aws_ecs_service").values():
        network = as_list(service["network_configuration"])[0]
        assert network["security_groups"] == ["${var.security_group_id}"]
    edge = tf.modules["edge"]
    assert edge.of_type("aws_lb")["edge"]["security_groups"] == ["${var.lb_security_group_id}"]
    assert as_list(edge.of_type("aws_ecs_service")["edge"]["network_configuration"])[0][
        "security_groups"] == ["${var.security_group_id}"]
    assert edge.of_type("aws_efs_mount_target")["certificates"]["security_groups"] == [
        "${var.storage_security_group_id}"]
