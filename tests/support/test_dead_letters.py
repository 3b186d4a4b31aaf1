"""Dead letters: tasks that fail for good are recorded by a real worker, and ops retry or discard them."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app
from support.models import DeadLetter, DeadLetterEvent
from tests.support.waiting import wait_until

PLATFORM = "marketplace.localhost"


def _switch() -> redis.Redis:
    # A flag the probe tasks read, outside the cache's per-schema keys and the test's transaction.
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


class Refused(Exception):
    pass


@app.task(name="tests.support.refused_for_good")
def refused_for_good(order_id: int, *, reason: str) -> dict[str, Any]:
    """Fails (a non-retryable error) until the switch is on; then says where it ran and with what."""
    if not _switch().get("tests.support.fixed"):
        raise Refused(f"order {order_id}: {reason}")
    return {"schema": connection.schema_name, "order_id": order_id, "reason": reason}  # type: ignore[attr-defined]


@app.task(name="tests.support.flaky", autoretry_for=(ConnectionError,), max_retries=2,
          default_retry_delay=0, bind=True)
def flaky(self: Any, n: int) -> int:
    _switch().incr(f"tests.support.flaky.{n}")
    raise ConnectionError(f"still down (try {self.request.retries + 1})")


@pytest.fixture
def switch() -> Any:
    client = _switch()
    client.delete("tests.support.fixed", "tests.support.flaky.7")
    yield client
    client.delete("tests.support.fixed", "tests.support.flaky.7")


def _letter(task_name: str, timeout: float = 30) -> DeadLetter:
    return wait_until(lambda: DeadLetter.objects.filter(task_name=task_name).first(), timeout=timeout,
                      message=f"(dead letter of {task_name})")


def test_a_task_failing_for_good_in_a_vendor_schema_is_recorded(task_worker, switch, vendor_a) -> None:
    schema = vendor_a.store.schema_name
    with schema_context(schema):
        sent = refused_for_good.delay(41, reason="card expired")

    letter = _letter("tests.support.refused_for_good")
    assert (letter.args, letter.kwargs, letter.schema_name) == ([41], {"reason": "card expired"}, schema)
    assert letter.exception_type.endswith("Refused")
    assert letter.exception_message == "order 41: card expired"
    assert "raise Refused" in letter.traceback
    assert (letter.attempts, letter.failures, letter.status, letter.task_id) == (1, 1, "open", sent.id)
    assert letter.first_failed_at == letter.last_failed_at
    assert list(letter.events.values_list("action", flat=True)) == ["recorded"]


def test_retries_end_in_one_letter_and_the_same_call_failing_again_adds_to_it(task_worker, switch) -> None:
    flaky.delay(7)
    letter = _letter("tests.support.flaky")
    assert int(switch.get("tests.support.flaky.7")) == 3, "two retries before the letter"
    assert (letter.attempts, letter.failures, letter.exception_message) == (3, 1, "still down (try 3)")
    assert DeadLetter.objects.count() == 1, "no letter while retries remained"

    flaky.delay(7)
    wait_until(lambda: DeadLetter.objects.get(pk=letter.pk).failures == 2, timeout=30)
    letter.refresh_from_db()
    assert DeadLetter.objects.count() == 1
    assert letter.last_failed_at > letter.first_failed_at
    assert list(letter.events.values_list("action", flat=True)) == ["recorded", "failed_again"]


def test_ops_retry_sends_the_same_call_to_the_same_schema(task_worker, switch, vendor_b, client_for,
                                                         admin_user) -> None:
    schema = vendor_b.store.schema_name
    with schema_context(schema):
        refused_for_good.delay(5, reason="gateway down")
    letter = _letter("tests.support.refused_for_good")
    admin = client_for(PLATFORM, admin_user)

    page = admin.get("/ops/dead-letters/")
    assert page.status_code == 200
    assert f'data-dead-letter="{letter.pk}"'.encode() in page.content
    detail = admin.get(f"/ops/dead-letters/{letter.pk}/")
    assert b"gateway down" in detail.content and b'id="retry-button"' in detail.content

    switch.set("tests.support.fixed", 1)  # the cause was fixed
    response = admin.post(f"/ops/dead-letters/{letter.pk}/retry/", follow=True)
    assert b"sent again" in response.content and b'id="retry-button"' not in response.content

    letter.refresh_from_db()
    assert (letter.status, letter.resolved_by) == ("retried", admin_user)
    result = AsyncResult(letter.retry_task_id, app=app).get(timeout=30)
    assert result == {"schema": schema, "order_id": 5, "reason": "gateway down"}
    event = letter.events.get(action=DeadLetterEvent.Action.RETRIED)
    assert (event.actor, event.data) == (admin_user, {"retry_task_id": letter.retry_task_id})

    refused = admin.post(f"/ops/dead-letters/{letter.pk}/retry/", follow=True)
    assert b"already retried" in refused.content
    assert letter.events.filter(action=DeadLetterEvent.Action.RETRIED).count() == 1


def test_discard_closes_the_letter_without_running_it(db, client_for, admin_user) -> None:
    letter = _record("tests.support.refused_for_good", [9])
    admin = client_for(PLATFORM, admin_user)

    response = admin.post(f"/ops/dead-letters/{letter.pk}/discard/", follow=True)
    assert b"discarded" in response.content
    letter.refresh_from_db()
    assert (letter.status, letter.resolved_by, letter.retry_task_id) == ("discarded", admin_user, "")
    assert letter.events.get(action="discarded").actor == admin_user
    assert f'data-dead-letter="{letter.pk}"'.encode() not in admin.get("/ops/dead-letters/").content
    assert f'data-dead-letter="{letter.pk}"'.encode() in admin.get("/ops/dead-letters/?status=discarded").content
    assert b"already discarded" in admin.post(f"/ops/dead-letters/{letter.pk}/retry/", follow=True).content
    assert DeadLetter.objects.get(pk=letter.pk).status == "discarded"


def test_a_task_that_no_longer_exists_cannot_be_retried(db, client_for, admin_user) -> None:
    letter = _record("orders.tasks.renamed_long_ago", [1])
    response = client_for(PLATFORM, admin_user).post(f"/ops/dead-letters/{letter.pk}/retry/", follow=True)
    assert b"No task named orders.tasks.renamed_long_ago" in response.content
    letter.refresh_from_db()
    assert letter.status == "open"


def _record(task_name: str, args: list[Any]) -> DeadLetter:
    from support.services import dead_letter_record

    return dead_letter_record(task_name=task_name, task_id="t-1", args=args, kwargs={}, schema_name="public",
                              exc=RuntimeError("boom"), traceback="Traceback...\nRuntimeError: boom", attempts=1)


def test_only_platform_admins_reach_dead_letters(db, platform_client, client_for, finance_user, owner_a,
                                                 vendor_a) -> None:
    letter = _record("tests.support.refused_for_good", [3])
    assert platform_client.get("/ops/dead-letters/").status_code == 302  # to the sign-in page
    finance = client_for(PLATFORM, finance_user)
    assert finance.get("/ops/dead-letters/").status_code == 403
    assert finance.post(f"/ops/dead-letters/{letter.pk}/retry/").status_code == 403
    assert finance.post(f"/ops/dead-letters/{letter.pk}/discard/").status_code == 403
    # A vendor (its owner, on the platform or its own host) sees no letter, of its schema or another's.
    assert client_for(PLATFORM, owner_a).get(f"/ops/dead-letters/{letter.pk}/").status_code == 403
    assert client_for(vendor_a, owner_a).get("/ops/dead-letters/").status_code == 404
    letter.refresh_from_db()
    assert letter.status == "open" and not letter.events.exclude(action="recorded").exists()


def test_unknown_letters_are_404_and_actions_need_post(db, client_for, admin_user) -> None:
    admin = client_for(PLATFORM, admin_user)
    assert admin.get("/ops/dead-letters/999999/").status_code == 404
    assert admin.post("/ops/dead-letters/999999/retry/").status_code == 404
    letter = _record("tests.support.refused_for_good", [4])
    assert admin.get(f"/ops/dead-letters/{letter.pk}/retry/").status_code == 405


def test_the_ops_nav_links_to_dead_letters_for_admins_only(client_for, admin_user, finance_user) -> None:
    assert b'href="/ops/dead-letters/"' in client_for(PLATFORM, admin_user).get("/ops/").content
    assert b'href="/ops/dead-letters/"' not in client_for(PLATFORM, finance_user).get("/ops/").content
