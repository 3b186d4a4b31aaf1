"""Notifications: preferences per kind and channel, emails (versions, language, unsubscribe), the
bell and the list, and the events of lower apps that raise them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail, signing
from django.utils import timezone
from django_tenants.utils import schema_context

from catalog.models import Variant
from notifications import services
from notifications.errors import UnknownNotificationKind
from notifications.models import Notification, NotificationPreference
from notifications.services import notify, unsubscribe_token
from notifications.tasks import low_stock_scan
from orders.events import order_event_record
from payments.models import WebhookEvent
from payments.webhooks import webhook_event_apply
from tests.factories import OrderFactory, UserFactory
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

PAYOUT = {"amount": 12345, "currency": "eur", "arrival_date": 1_800_000_000}


def _message(recipient: Any, **extra: Any) -> Notification | None:
    return notify("message_received", recipient=recipient, link="http://marketplace.localhost/messages/1/",
                  context={"sender_name": "Acme", "subject": "Kettle", "excerpt": "Yes"}, **extra)


def test_preferences_per_kind_and_channel(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory()
    services.preference_set(user=user, kind="message_received", channel="email", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notice = _message(user)
    assert notice is not None and notice.in_app and notice.emailed_at is None and mail.outbox == []
    services.preference_set(user=user, kind="message_received", channel="in_app", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert _message(user) is None  # every channel off: nothing at all
    services.preference_set(user=user, kind="message_received", channel="email", enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        emailed = _message(user)
    assert emailed is not None and not emailed.in_app and len(mail.outbox) == 1
    # Other kinds keep their defaults.
    assert services.channel_enabled(user=user, kind="payout_sent", channel="in_app")


def test_transactional_emails_cannot_be_turned_off(client_for: Any, django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory()
    client = client_for("marketplace.localhost", user)
    # The page posts no box at all: every changeable channel off.
    assert client.post("/notifications/preferences/", {}).status_code == 302
    assert not services.channel_enabled(user=user, kind="message_received", channel="email")
    assert not NotificationPreference.objects.filter(user=user, kind="order_shipped", channel="email").exists()
    with django_capture_on_commit_callbacks(execute=True):
        notify("order_shipped", recipient=user, link="http://x/", context={"order_number": "M1"})
    assert len(mail.outbox) == 1 and "List-Unsubscribe" not in mail.outbox[0].extra_headers
    assert "unsubscribe" not in mail.outbox[0].body.lower()
    page = client.get("/notifications/preferences/").content.decode()
    assert 'value="order_shipped:email" id="pref-order_shipped-email" checked disabled' in page


def test_email_has_text_and_html_in_the_recipients_language(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory(language="de")
    with django_capture_on_commit_callbacks(execute=True):
        notify("order_shipped", recipient=user, link="http://marketplace.localhost/orders/7/",
               context={"order_number": "M000007", "vendor_name": "Acme", "carrier": "DHL",
                        "tracking_number": "JD0001", "tracking_url": ""})
    message = mail.outbox[0]
    assert message.subject == "Ihre Bestellung M000007 wurde versandt"
    assert "JD0001" in message.body and "DHL" in message.body and "http://marketplace.localhost/orders/7/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and 'lang="de"' in html and "JD0001" in html
    assert "Follow the parcel" not in message.body  # no tracking link without a carrier registry
    french = UserFactory(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        notify("order_shipped", recipient=french, link="http://x/", context={"order_number": "M8"})
    assert mail.outbox[1].subject == "Votre commande M8 a été expédiée"


def test_html_email_escapes_what_people_wrote(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify("message_received", recipient=user, link="http://x/",
               context={"sender_name": "<b>Eve</b>", "subject": "S", "excerpt": "<script>alert(1)</script>"})
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<b>Eve</b>" not in html


def test_unsubscribe_link_works_in_one_post_without_sign_in(client_for: Any,
                                                            django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _message(user)
    message = mail.outbox[0]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body and url in message.alternatives[0][0]
    path = url.split("localhost", 1)[1].lstrip(":0123456789")
    anonymous = client_for("marketplace.localhost")
    page = anonymous.get(path)
    assert page.status_code == 200 and user.email in page.content.decode()
    assert services.channel_enabled(user=user, kind="message_received", channel="email")  # GET changes nothing
    done = anonymous.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.content.decode()
    assert not services.channel_enabled(user=user, kind="message_received", channel="email")
    assert services.channel_enabled(user=user, kind="message_received", channel="in_app")
    with django_capture_on_commit_callbacks(execute=True):
        _message(user)
    assert len(mail.outbox) == 1  # no second email


def test_tampered_or_transactional_unsubscribe_links_are_refused(client_for: Any) -> None:
    user, victim = UserFactory(), UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind="message_received")
    payload, signature = token.rsplit(":", 1)
    forged = signing.dumps({"u": victim.pk, "k": "message_received"}, salt="another-salt")
    transactional = unsubscribe_token(user_id=user.pk, kind="refund_issued")
    client = client_for("marketplace.localhost")
    for bad in (f"{payload}:{signature[:-2]}xx", forged, transactional, "garbage"):
        response = client.post(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_bell_list_and_marking_read(client_for: Any) -> None:
    user, other = UserFactory(), UserFactory()
    first, second = _message(user), _message(user)
    theirs = _message(other)
    assert first and second and theirs
    client = client_for("marketplace.localhost", user)
    bell = client.get("/notifications/bell/").content.decode()
    assert 'data-unread-count="2"' in bell and 'hx-trigger="every 30s"' in bell
    assert 'id="notification-bell"' in client.get("/").content.decode()
    listing = client.get("/notifications/").content.decode()
    assert listing.count('data-notification="message_received"') == 2 and "New message from Acme" in listing
    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == first.link
    assert 'data-unread-count="1"' in client.get("/notifications/bell/").content.decode()
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/notifications/")
    assert 'data-unread-count' not in client.get("/notifications/bell/").content.decode()
    assert client_for("marketplace.localhost").get("/notifications/bell/").status_code == 204


def test_unknown_kind_and_replayed_events(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory()
    with pytest.raises(UnknownNotificationKind):
        notify("nonsense", recipient=user, context={}, link="")
    with django_capture_on_commit_callbacks(execute=True):
        assert _message(user, dedupe_key="evt_1") is not None
        assert _message(user, dedupe_key="evt_1") is None
    assert Notification.objects.filter(recipient=user).count() == 1 and len(mail.outbox) == 1


def test_a_shipment_tells_the_buyer_with_the_tracking_number(vendor_b: Any,
                                                            django_capture_on_commit_callbacks: Any) -> None:
    buyer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = OrderFactory(buyer=buyer, items=[(vendor_b, sellable_variant(vendor_b), 2)],
                             status="partially_fulfilled")
    sub = order.sub_orders.get()
    notice = Notification.objects.get(recipient=buyer, kind="order_shipped")
    assert notice.context["tracking_number"] == f"JD{sub.pk:018d}" and notice.context["carrier"] == "DHL"
    assert notice.link.endswith(f"/orders/{order.pk}/")
    shipped = [m for m in mail.outbox if m.to == [buyer.email] and "shipped" in m.subject]
    assert len(shipped) == 1 and f"JD{sub.pk:018d}" in shipped[0].body


def test_refunds_from_cancelled_units_and_from_claims_tell_the_buyer(
        vendor_b: Any, django_capture_on_commit_callbacks: Any) -> None:
    from disputes.models import ClaimRefund
    from tests.factories import ClaimFactory

    buyer = UserFactory()
    order = OrderFactory(buyer=buyer, items=[(vendor_b, sellable_variant(vendor_b, price=2500), 1)])
    sub = order.sub_orders.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_event_record(order_id=order.pk, sub_order_id=sub.pk, kind="sub_order.refund",
                           data={"refund_id": "re_units", "amount": 1000, "commission": 0, "currency": "EUR",
                                 "vendor_id": vendor_b.pk, "refund_commission": False, "vendor_part": 1000})
    claim = ClaimFactory(sub_order=sub)
    with django_capture_on_commit_callbacks(execute=True):
        ClaimRefund.objects.create(claim=claim, key="k1", stripe_refund_id="re_claim", amount=1500, currency="EUR",
                                   liability="vendor", vendor_amount=1500, platform_amount=0)
    amounts = sorted(Notification.objects.filter(recipient=buyer, kind="refund_issued")
                     .values_list("context__amount", flat=True))
    assert amounts == [1000, 1500]
    assert any("15.00" in m.subject for m in mail.outbox if m.to == [buyer.email])


def _webhook(kind: str, obj: dict[str, Any], account: str, n: int = 1) -> WebhookEvent:
    payload = {"id": f"evt_{kind}_{n}", "type": kind, "created": 1_700_000_000 + n, "account": account,
               "data": {"object": obj}}
    return WebhookEvent.objects.create(stripe_id=payload["id"], type=kind, created=payload["created"],
                                       payload=payload, raw_body="{}", received_at=timezone.now())


def test_payouts_sent_and_failed_tell_the_vendors_money_people(vendor_b: Any, owner_b: Any,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    from tests.factories import MembershipFactory
    from vendors.models import Vendor

    staff = MembershipFactory(vendor=vendor_b, role="staff").user
    Vendor.objects.filter(pk=vendor_b.pk).update(stripe_account_id="acct_notify_b")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_apply(event_id=_webhook("payout.paid", {**PAYOUT, "id": "po_1", "status": "paid"},
                                              "acct_notify_b").pk)
        webhook_event_apply(event_id=_webhook("payout.paid", {**PAYOUT, "id": "po_1", "status": "paid"},
                                              "acct_notify_b", n=2).pk)  # the same payout again
        webhook_event_apply(event_id=_webhook("payout.failed", {**PAYOUT, "id": "po_2", "status": "failed",
                                                                "failure_code": "account_closed"},
                                              "acct_notify_b", n=3).pk)
    kinds = sorted(Notification.objects.filter(recipient=owner_b).values_list("kind", flat=True))
    assert kinds == ["payout_failed", "payout_sent"]
    assert not Notification.objects.filter(recipient=staff).exists()  # staff do not see money
    failed = [m for m in mail.outbox if "failed" in m.subject]
    assert len(failed) == 1 and "account_closed" in failed[0].body and "123.45" in failed[0].subject


def test_stripe_requirements_due_are_shown_in_the_app(vendor_b: Any, owner_b: Any) -> None:
    from vendors.models import Vendor

    Vendor.objects.filter(pk=vendor_b.pk).update(stripe_account_id="acct_req_b", stripe_details_submitted=True)
    account = {"id": "acct_req_b", "object": "account", "charges_enabled": True, "payouts_enabled": True,
               "details_submitted": True,
               "requirements": {"currently_due": ["individual.id_number"], "past_due": [], "eventually_due": []}}
    webhook_event_apply(event_id=_webhook("account.updated", account, "acct_req_b").pk)
    webhook_event_apply(event_id=_webhook("account.updated", account, "acct_req_b", n=2).pk)
    notice = Notification.objects.get(recipient=owner_b, kind="stripe_requirements_due")
    assert notice.context == {"count": 1} and notice.emailed_at is None  # vendors' own email covers it


def test_low_stock_scan_tells_the_team_once_a_day(vendor_b: Any, owner_b: Any, vendor_a: Any,
                                                  owner_a: Any) -> None:
    low = sellable_variant(vendor_b, stock=2, name="Nearly Gone Mug")
    sellable_variant(vendor_a, stock=50)
    with schema_context(vendor_a.store.schema_name):
        Variant.objects.update(stock=100)
    assert low_stock_scan() >= 1
    notice = Notification.objects.get(recipient=owner_b, kind="low_stock", context__product_name="Nearly Gone Mug")
    assert notice.vendor_id == vendor_b.pk and notice.context["stock"] == 2
    assert notice.context["variant_name"] == low.sku and notice.link.endswith("/dashboard/stock/low/")
    assert not Notification.objects.filter(recipient=owner_a, kind="low_stock").exists()
    low_stock_scan()
    assert Notification.objects.filter(recipient=owner_b, kind="low_stock",
                                       context__product_name="Nearly Gone Mug").count() == 1
