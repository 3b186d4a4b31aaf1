"""Requirements coming due on a connected account (control API) and their `account.updated`."""

from __future__ import annotations

from typing import Any
from urllib.error import HTTPError

import pytest
import stripe
from emulator_helpers import http, onboard, press


def test_new_requirements_arrive_as_account_updated(client: stripe.StripeClient, ctl: Any, receiver: Any,
                                                    emulator: Any) -> None:
    account = onboard(client)
    ctl(f"/_emulator/accounts/{account.id}/requirements", {
        "currently_due": ["individual.verification.document"], "past_due": ["external_account"],
        "current_deadline": 1_900_000_000, "disabled_reason": "requirements.past_due",
    })

    now = client.v1.accounts.retrieve(account.id)
    assert now.requirements.currently_due == ["individual.verification.document"]
    assert now.requirements.past_due == ["external_account"]
    assert set(now.requirements.eventually_due) >= {"individual.verification.document", "external_account"}
    assert now.requirements.current_deadline == 1_900_000_000
    assert now.requirements.disabled_reason == "requirements.past_due"
    assert not now.charges_enabled and not now.payouts_enabled
    emulator.flush_webhooks()
    event = [e for e in receiver.received if e["type"] == "account.updated"][-1]
    assert event["account"] == account.id
    assert event["data"]["object"]["requirements"]["past_due"] == ["external_account"]
    assert event["data"]["previous_attributes"]["requirements"]["past_due"] == []


def test_the_onboarding_page_clears_requirements_that_came_due(client: stripe.StripeClient, ctl: Any) -> None:
    account = onboard(client)
    ctl(f"/_emulator/accounts/{account.id}/requirements", {"currently_due": ["company.tax_id"]})
    link = client.v1.account_links.create(params={
        "account": account.id, "type": "account_onboarding",
        "refresh_url": "https://m.example/r", "return_url": "https://m.example/d"})

    press(http(link.url), "complete-onboarding")

    assert client.v1.accounts.retrieve(account.id).requirements.currently_due == []


@pytest.mark.parametrize("body", [
    {"currently_due": "external_account"}, {"past_due": [1]}, {"disabled_reason": "bored"},
    {"current_deadline": "soon"}, {"colour": "red"},
])  # fmt: skip
def test_bad_requirements_are_refused(client: stripe.StripeClient, ctl: Any, body: dict[str, Any]) -> None:
    account = client.v1.accounts.create(params={"type": "express"})
    with pytest.raises(HTTPError) as refused:
        ctl(f"/_emulator/accounts/{account.id}/requirements", body)
    assert refused.value.code == 400
