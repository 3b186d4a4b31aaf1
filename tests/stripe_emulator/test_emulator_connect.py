"""Connect through the emulator: Express accounts, the hosted onboarding page, account scoping."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from emulator_helpers import available, http, onboard, pay, press


def test_express_account_starts_restricted(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        params={"type": "express", "email": "vendor@example.com", "metadata": {"vendor": "7"}}
    )

    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert "external_account" in account.requirements.currently_due
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.metadata["vendor"] == "7"


def test_onboarding_through_the_account_link_page_enables_the_account(
    client: stripe.StripeClient, receiver: Any, emulator: Any
) -> None:
    account = onboard(client, email="vendor@example.com")

    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.requirements.currently_due == []
    assert account.requirements.disabled_reason is None
    assert account.capabilities.transfers == "active"
    assert account.external_accounts.data[0].object == "bank_account"
    emulator.flush_webhooks()
    updated = [e for e in receiver.received if e["type"] == "account.updated"]
    assert len(updated) == 1
    assert updated[0]["account"] == account.id
    assert updated[0]["data"]["object"]["charges_enabled"] is True
    assert updated[0]["data"]["previous_attributes"]["charges_enabled"] is False


def test_account_link_is_single_use_and_leaving_early_keeps_the_account_restricted(
    client: stripe.StripeClient,
) -> None:
    account = client.v1.accounts.create(params={"type": "express"})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://m.example/refresh",
            "return_url": "https://m.example/return",
        }
    )
    page = http(link.url)

    later = press(page, "leave-onboarding")
    again = http(link.url)

    assert later.status == 303 and later.location == "https://m.example/return"
    assert client.v1.accounts.retrieve(account.id).charges_enabled is False
    assert again.status == 303 and again.location == "https://m.example/refresh"


def test_expired_account_link_redirects_to_refresh_url(
    client: stripe.StripeClient, ctl: Any
) -> None:
    account = client.v1.accounts.create(params={"type": "express"})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://m.example/refresh",
            "return_url": "https://m.example/return",
        }
    )
    ctl("/_emulator/clock/advance", {"seconds": 600})

    page = http(link.url)

    assert page.status == 303 and page.location == "https://m.example/refresh"


def test_account_update_and_list(client: stripe.StripeClient) -> None:
    first = client.v1.accounts.create(params={"type": "express"})
    second = client.v1.accounts.create(params={"type": "express"})

    client.v1.accounts.update(first.id, params={"metadata": {"tier": "gold"}})
    listed = client.v1.accounts.list()

    assert [a.id for a in listed.data] == [second.id, first.id]
    assert client.v1.accounts.retrieve(first.id).metadata.to_dict() == {"tier": "gold"}


def test_login_link_requires_completed_onboarding(client: stripe.StripeClient) -> None:
    fresh = client.v1.accounts.create(params={"type": "express"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.login_links.create(fresh.id)

    ready = onboard(client)
    link = client.v1.accounts.login_links.create(ready.id)

    assert link.object == "login_link"
    assert http(link.url).status == 200


def test_stripe_account_header_scopes_balance_and_payouts(client: stripe.StripeClient) -> None:
    alpha = onboard(client)
    bravo = onboard(client)
    charge = pay(client, 20_000).latest_charge
    client.v1.transfers.create(
        params={"amount": 5_000, "currency": "usd", "destination": alpha.id,
                "source_transaction": charge.id}
    )  # fmt: skip
    payout = client.v1.payouts.create(
        params={"amount": 1_000, "currency": "usd"}, options={"stripe_account": alpha.id}
    )

    alpha_balance = client.v1.balance.retrieve(options={"stripe_account": alpha.id})
    bravo_balance = client.v1.balance.retrieve(options={"stripe_account": bravo.id})
    bravo_payouts = client.v1.payouts.list(options={"stripe_account": bravo.id})
    platform_payouts = client.v1.payouts.list()

    assert available(alpha_balance) == 4_000
    assert available(bravo_balance) == 0
    assert bravo_payouts.data == [] and platform_payouts.data == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payouts.retrieve(payout.id, options={"stripe_account": bravo.id})
    assert missing.value.code == "resource_missing"
    assert client.v1.payouts.retrieve(payout.id, options={"stripe_account": alpha.id}).id


def test_unknown_stripe_account_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as refused:
        client.v1.balance.retrieve(options={"stripe_account": "acct_doesnotexist"})

    assert refused.value.http_status == 403
    assert refused.value.json_body["error"]["code"] == "account_invalid"


def test_transfer_to_an_account_that_has_not_onboarded_is_refused(
    client: stripe.StripeClient,
) -> None:
    account = client.v1.accounts.create(params={"type": "express"})
    pay(client, 5_000)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": 1_000, "currency": "usd", "destination": account.id}
        )

    assert refused.value.code == "insufficient_capabilities_for_transfer"
