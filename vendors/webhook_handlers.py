"""Connect webhooks applied to vendors: `account.updated` keeps the account state current."""

from __future__ import annotations

from datetime import UTC, datetime

from payments.models import WebhookEvent
from payments.webhooks import webhook_handler
from vendors import services


@webhook_handler("account.updated")
def account_updated(event: WebhookEvent) -> None:
    """Idempotent and order-tolerant: an event older than the state held is ignored."""
    account = event.payload.get("data", {}).get("object") or {}
    if not account.get("id"):
        return
    created = datetime.fromtimestamp(int(event.created), tz=UTC) if event.created else None
    services.vendor_stripe_account_sync(account=account, event_created=created)
