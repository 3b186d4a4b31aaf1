"""Journey 9: a vendor's background task fails for good in the real worker; a platform admin (with
two-factor) finds it under Ops › Dead letters, reads the error, retries it once the cause is fixed
(it runs again in the vendor's schema) and discards another that must not run."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from config.celery import app
from tests.e2e.journeys import assert_accessible, follow, login
from tests.factories.accounts import PASSWORD
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIXED = "tests.e2e.label_printer_fixed"


class LabelPrinterOffline(Exception):
    pass


@app.task(name="tests.e2e.shipping_labels_print")
def shipping_labels_print(batch: int) -> str:
    """Stands for a vendor's task that fails on an error no retry fixes, until someone fixes it."""
    if not redis.Redis.from_url(settings.CELERY_BROKER_URL).get(FIXED):
        raise LabelPrinterOffline(f"label printer offline for batch {batch}")
    return f"printed batch {batch} in {connection.schema_name}"  # type: ignore[attr-defined]


@pytest.fixture
def printer() -> Any:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(FIXED)
    yield client
    client.delete(FIXED)


def test_ops_retries_and_discards_dead_letters(page, site, shot, live_server, task_worker, printer, vendor_a,
                                               admin_user) -> None:
    from support.models import DeadLetter

    schema = vendor_a.store.schema_name
    with schema_context(schema):
        shipping_labels_print.delay(12)
        shipping_labels_print.delay(13)
    wait_until(lambda: DeadLetter.objects.filter(status="open").count() == 2, message="two dead letters")
    first = DeadLetter.objects.get(args=[12])
    second = DeadLetter.objects.get(args=[13])

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/")
    follow(page, page.get_by_role("navigation", name="Operations").get_by_role("link", name="Dead letters"))
    expect(page.locator(f'tr[data-dead-letter="{first.pk}"]')).to_contain_text("tests.e2e.shipping_labels_print")
    expect(page.locator(f'tr[data-dead-letter="{first.pk}"]')).to_contain_text(schema)
    expect(page.locator('[data-status-count="open"]')).to_contain_text("2")
    assert_accessible(page)
    shot(page, "j9-01-dead-letters")

    follow(page, page.locator(f'tr[data-dead-letter="{first.pk}"] a'))
    expect(page.locator("#dead-letter-error")).to_contain_text("label printer offline for batch 12")
    expect(page.locator("#dead-letter-traceback")).to_contain_text("LabelPrinterOffline")
    expect(page.locator("#dead-letter-arguments")).to_contain_text("12")
    assert_accessible(page)
    shot(page, "j9-02-dead-letter-detail")

    printer.set(FIXED, 1)  # the printer is back
    page.locator("#retry-button").click()
    expect(page.locator("#toasts")).to_contain_text("sent again")
    expect(page.locator("#dead-letter-status")).to_have_text("retried")
    expect(page.locator("#retry-button")).to_have_count(0)
    expect(page.locator("#dead-letter-history")).to_contain_text(admin_user.email)
    shot(page, "j9-03-dead-letter-retried")
    first.refresh_from_db()
    assert AsyncResult(first.retry_task_id, app=app).get(timeout=30) == f"printed batch 12 in {schema}"

    page.goto(f"{site.platform}/ops/dead-letters/{second.pk}/")
    page.locator("#discard-button").click()
    expect(page.locator("#dead-letter-status")).to_have_text("discarded")
    page.goto(f"{site.platform}/ops/dead-letters/")
    expect(page.locator("#no-dead-letters")).to_be_visible()
    second.refresh_from_db()
    assert (second.status, second.resolved_by, second.retry_task_id) == ("discarded", admin_user, "")
