"""The API keeps the promises of its OpenAPI schemas: schemathesis on both hosts, four credentials.

Each host's schema is read from the live server (`/api/v1/schema/`, as clients get it); every
operation in it is called with requests generated from the schema (valid ones, then invalid
ones), as anonymous, a buyer, a staff member of the vendor and a platform admin with 2FA. Every
answer must be no server error, a status the operation documents, a body of the documented shape
and content type, and a valid request must never be refused as malformed (issue 18, hole 11).

Bounded and deterministic: a fixed number of examples per operation, derandomised generation, no
shrinking. The run commits (live server), so the vendor side is a vendor of its own whose schema
is dropped afterwards, and the public tables are flushed as after every committing test.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tenants.services import public_tenant_ensure
from tests.factories import UserFactory, live_vendor
from tests.factories.accounts import PASSWORD, totp_code
from tests.factories.orders import sellable_variant
from tests.factories.vendors import MembershipFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

PLATFORM = "marketplace.localhost"
# Examples per operation and generation mode for the credential each host is for (a buyer and an
# admin on the marketplace, the vendor's staff on its host), and for the others (refused early);
# `SCHEMA_FUZZ_EXAMPLES=50` for a deeper local run.
EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "2"))
EXAMPLES_OTHERS = max(1, EXAMPLES // 2)
PRIMARY = {("marketplace", "buyer"), ("marketplace", "admin"), ("vendor", "vendor staff")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, positive_data_acceptance]
# A valid request may still be refused for what the schema cannot know: credentials (401, 403),
# ids that do not exist for this account (404), the state of an object (409), a domain rule on
# values (400 with the rule's own code: see `_malformed`), limits (429).
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "429"]


def _malformed(case: Any, response: Any) -> str | None:
    """A request the schema calls valid, answered 400 `invalid`: the schema and the input
    validation disagree (the finding positive_data_acceptance would miss with 400 accepted)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return "400 without the error body"
    if error.get("code") == "invalid":
        return f"valid request refused as invalid: {error.get('message')} {error.get('fields')}"
    return None


@dataclass
class Run:
    host: str
    credential: str
    operations: int = 0
    examples: int = 0
    primary: bool = True

    @property
    def per_operation(self) -> int:
        return EXAMPLES if self.primary else EXAMPLES_OTHERS
    findings: list[str] = field(default_factory=list)


def _config() -> Any:
    return schemathesis.Config.from_dict({
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    })


def _schema(base: str, host: str, token: str) -> Any:
    raw = requests.get(f"{base}/api/v1/schema/?format=json", timeout=60,
                       headers={"Host": host, "Authorization": f"Token {token}"})
    assert raw.status_code == 200, raw.text[:500]
    return schemathesis.openapi.from_dict(raw.json(), config=_config())


def _fuzz(schema: Any, run: Run, base: str, headers: dict[str, str]) -> None:
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        run.operations += 1
        # Invalid input matters where the request gets past authentication and permissions.
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if run.primary else [])
        for mode in modes:
            _fuzz_operation(operation, mode, run, base, headers, session)


def _fuzz_operation(operation: Any, mode: Any, run: Run, base: str, headers: dict[str, str],
                    session: requests.Session) -> None:
    reported: list[bool] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=run.per_operation, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        if mode == GenerationMode.POSITIVE and isinstance(case.query, dict):
            case.query.pop("cursor", None)  # opaque: only a `next_cursor` is valid (documented)
        run.examples += 1
        response = case.call(base_url=base, session=session, headers=headers, timeout=60)
        problems = []
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as failure:  # schemathesis' FailureGroup: every failed check
            problems.append(" | ".join(str(failure).strip().splitlines()[:12]))
        malformed = _malformed(case, response)
        if malformed:
            problems.append(malformed)
        if problems and not reported:  # the first example per operation and mode is enough
            reported.append(True)
            request = response.request
            run.findings.append(
                f"[{run.host} / {run.credential}] {operation.label} ({mode.value}) -> "
                f"{response.status_code}\n    request: {request.method} {request.url} "
                f"body={(request.body or b'')[:300]!r}\n    answer: {response.text[:300]}\n    "
                + "\n    ".join(problems))

    try:
        call()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE, operation.label  # nothing to make invalid


@pytest.fixture
def fuzz_vendor(live_server: Any) -> Iterator[Any]:
    """A vendor of this test alone: what the fuzzing writes into its schema goes with it."""
    public_tenant_ensure()  # a committing test before this one may have flushed the platform's hosts
    vendor = live_vendor("fuzz")
    sellable_variant(vendor)
    schema_name = vendor.store.schema_name
    yield vendor
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


@pytest.fixture
def generous_limits(settings: Any) -> None:
    """Rate limits stay on (429 is documented and checked) but far above what the run sends, so
    a slow machine never turns them into a flaky result; the limits have tests of their own."""
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m")
    settings.ACCOUNT_RATE_LIMITS = dict.fromkeys(settings.ACCOUNT_RATE_LIMITS, "100000/m/ip")


def _token(base: str, host: str, email: str, **extra: str) -> str:
    answer = requests.post(f"{base}/api/v1/auth/token/", timeout=60, headers={"Host": host},
                           json={"email": email, "password": PASSWORD, "device": "fuzz", **extra})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_both_hosts_keep_their_schemas_for_every_credential(
    live_server: Any, fuzz_vendor: Any, emulator: Any, generous_limits: None,
) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"  # *.localhost does not resolve here: the Host header routes
    hosts = {"marketplace": f"{PLATFORM}:{port}", "vendor": f"{fuzz_vendor.host}:{port}"}
    buyer = UserFactory(email="fuzz-buyer@example.com")
    staff = UserFactory(email="fuzz-staff@example.com")
    MembershipFactory(user=staff, vendor=fuzz_vendor, role="staff")
    admin = UserFactory(email="fuzz-admin@example.com", platform_role="admin")
    tokens = {
        "anonymous": None,
        "buyer": _token(base, hosts["marketplace"], buyer.email),
        "vendor staff": _token(base, hosts["vendor"], staff.email),
        "admin": _token(base, hosts["marketplace"], admin.email, code=totp_code(admin)),
    }
    started = time.monotonic()
    runs = []
    for host_name, host in hosts.items():
        schema = _schema(base, host, str(tokens["buyer"]))
        for credential, token in tokens.items():
            headers = {"Host": host}
            if token:
                headers["Authorization"] = f"Token {token}"
            run = Run(host_name, credential, primary=(host_name, credential) in PRIMARY)
            _fuzz(schema, run, base, headers)
            runs.append(run)
    elapsed = time.monotonic() - started
    print(f"\nschemathesis {schemathesis.__version__}, {EXAMPLES} (others {EXAMPLES_OTHERS}) examples "
          f"per operation and mode, {elapsed:.0f} s")
    for run in runs:
        print(f"  {run.host:<11} {run.credential:<12} operations {run.operations:>3}  "
              f"examples {run.examples:>5}  findings {len(run.findings)}")
    findings = [finding for run in runs for finding in run.findings]
    assert runs and all(run.operations > 0 for run in runs)
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings)
