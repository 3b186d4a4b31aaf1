"""Buyers' privacy requests: a data export (a ZIP of JSON and CSV, built by a task, its signed
link emailed) and erasure (personal data pseudonymised; ledger, tax and invoice records kept for
their legal retention), and the retention job that erases inactive buyers and expired exports.

Erasure keeps the user row: orders and claims refer to it with PROTECT keys, and the accounting
records of those orders must stay. What identifies the person is overwritten instead.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from datetime import datetime, timedelta
from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from accounts.audit import audit_action
from accounts.personal_data import ERASED_TEXT, personal_data_sections
from disputes.models import Claim, ClaimAttachment, ClaimMessage
from orders.models import Cart, Order
from support.errors import ErasureRefused, PrivacyExportNotFound
from support.models import PrivacyRequest
from vendors.models import Membership, Vendor
from vendors.storage import private_storage

SIGNER_SALT = "support.privacy.export"
ERASED_DOMAIN = "erased.invalid"
CLOSED_CLAIMS = (Claim.Status.RESOLVED_REFUND_FULL, Claim.Status.RESOLVED_REFUND_PARTIAL,
                 Claim.Status.RESOLVED_DENIED, Claim.Status.CLOSED)
# Said to the buyer on the privacy page, in the export and in docs/privacy.md.
RETENTION_NOTICE = ("Invoices, tax records and the accounting ledger of your orders are kept for their legal "
                    "retention period (10 years under German commercial and tax law, HGB § 257 / AO § 147), "
                    "with your name, email and address removed; the country of delivery stays for tax.")


def export_link_seconds() -> int:
    return int(getattr(settings, "PRIVACY_EXPORT_LINK_SECONDS", 7 * 24 * 3600))


def buyer_retention_days() -> int:
    return int(getattr(settings, "PRIVACY_BUYER_RETENTION_DAYS", 3 * 365))


# --- export --------------------------------------------------------------------------------------
@transaction.atomic
def privacy_export_request(*, user: Any, actor: Any, origin: str = PrivacyRequest.Origin.BUYER) -> PrivacyRequest:
    request = PrivacyRequest.objects.create(user=user, kind=PrivacyRequest.Kind.EXPORT, origin=origin, actor=actor)
    # Staff only: a buyer's privacy requests are nobody's business at the vendors.
    audit_action(actor=actor, action="buyer.export", target=user, vendor_visible=False, vendor_id=None,
                 reason=f"privacy export requested ({origin})", before={"export": None},
                 after={"export": request.pk, "status": request.status})
    request_id = request.pk
    transaction.on_commit(lambda: _build_later(request_id))
    return request


def _build_later(request_id: int) -> None:
    from support.tasks import privacy_export_build

    privacy_export_build.delay(request_id)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        # Nested values (a notification's context) as JSON, not as Python's repr.
        writer.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                          for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def buyer_data(*, user: Any) -> dict[str, Any]:
    """Everything the platform holds about the buyer, as plain JSON-able data (their own only)."""
    orders = Order.objects.filter(buyer=user).prefetch_related("lines", "sub_orders__vendor").order_by("pk")
    claims = Claim.objects.filter(buyer=user).prefetch_related("messages").order_by("pk")
    return {
        "account": {"id": user.pk, "email": user.email, "full_name": user.full_name, "language": user.language,
                    "date_joined": user.date_joined.isoformat(),
                    "last_login": user.last_login.isoformat() if user.last_login else None},
        "orders": [{
            "number": order.number, "status": order.status, "created_at": order.created_at.isoformat(),
            "email": order.email, "currency": order.currency, "total_amount": order.total_amount,
            "ship_to": {"name": order.ship_name, "line1": order.ship_line1, "line2": order.ship_line2,
                        "city": order.ship_city, "region": order.ship_region,
                        "postal_code": order.ship_postal_code, "country": order.ship_country},
            "lines": [{"vendor": line.vendor_id, "sku": line.sku, "name": line.name, "quantity": line.quantity,
                       "line_amount": line.line_amount, "refunded_amount": line.refunded_amount}
                      for line in order.lines.all()],
        } for order in orders],
        "claims": [{
            "number": claim.number, "status": claim.status, "reason": claim.reason,
            "description": claim.description, "created_at": claim.created_at.isoformat(),
            "messages": [{"role": m.role, "body": m.body, "created_at": m.created_at.isoformat()}
                         for m in claim.messages.all() if m.role == ClaimMessage.Role.BUYER],
        } for claim in claims],
        # Reviews, messages, notifications: what the apps above support hold (accounts.personal_data).
        **{name: section.export(user) for name, section in personal_data_sections().items()},
        "retention": RETENTION_NOTICE,
    }


def _zip(data: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("orders.csv", _csv([{k: v for k, v in o.items() if k not in ("lines", "ship_to")}
                                            | {f"ship_{k}": v for k, v in o["ship_to"].items()}
                                            for o in data["orders"]]))
        archive.writestr("order_lines.csv", _csv([{"order": o["number"], **line} for o in data["orders"]
                                                 for line in o["lines"]]))
        archive.writestr("claims.csv", _csv([{k: v for k, v in c.items() if k != "messages"} for c in data["claims"]]))
        archive.writestr("claim_messages.csv", _csv([{"claim": c["number"], **m} for c in data["claims"]
                                                    for m in c["messages"]]))
        for name in personal_data_sections():
            for table, rows in data[name].items():
                archive.writestr(f"{table}.csv", _csv(rows))
        archive.writestr("README.txt", RETENTION_NOTICE + "\n")
    return buffer.getvalue()


def privacy_export_build(*, request_id: int) -> bool:
    """Build the ZIP into private storage and email its signed link; safe to run twice."""
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().select_related("user").filter(
            pk=request_id, kind=PrivacyRequest.Kind.EXPORT).first()
        if request is None or request.status != PrivacyRequest.Status.QUEUED:
            return False
        name = private_storage().save(f"privacy-exports/{request.user_id}/{request.pk}-{secrets.token_hex(8)}.zip",
                                      ContentFile(_zip(buyer_data(user=request.user))))
        request.file_name, request.status = name, PrivacyRequest.Status.READY
        request.completed_at = timezone.now()
        request.expires_at = request.completed_at + timedelta(seconds=export_link_seconds())
        request.save(update_fields=["file_name", "status", "completed_at", "expires_at"])
        link = privacy_export_link(request=request)
        email = request.user.email
    from common.hosts import platform_url
    from common.mail import send_mail_localized

    send_mail_localized([email], lambda: (
        _("Your data export is ready"),
        _("Download your data (a ZIP of JSON and CSV files) within %(days)s days:")
        % {"days": export_link_seconds() // 86400} + f"\n{platform_url(link)}\n\n" + RETENTION_NOTICE,
    ))
    return True


def privacy_export_link(*, request: PrivacyRequest) -> str:
    token = signing.TimestampSigner(salt=SIGNER_SALT).sign(f"{request.pk}:{request.user_id}")
    return f"/accounts/privacy/exports/{request.pk}/?token={token}"


def privacy_export_open(*, request_id: Any, token: str, user: Any) -> tuple[PrivacyRequest, Any]:
    """The export's file for its own buyer with a valid, unexpired link; anything else is not found."""
    try:
        value = signing.TimestampSigner(salt=SIGNER_SALT).unsign(token or "", max_age=export_link_seconds())
    except signing.BadSignature:
        raise PrivacyExportNotFound(_("This download link is not valid or has expired.")) from None
    request = PrivacyRequest.objects.filter(pk=_int(request_id), kind=PrivacyRequest.Kind.EXPORT,
                                            status=PrivacyRequest.Status.READY, user_id=int(getattr(user, "pk", 0) or 0)).first()
    if request is None or value != f"{request.pk}:{request.user_id}" or (
            request.expires_at and request.expires_at <= timezone.now()):
        raise PrivacyExportNotFound(_("This download link is not valid or has expired."))
    return request, private_storage().open(request.file_name, "rb")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- erasure -------------------------------------------------------------------------------------
def erasure_blockers(*, user: Any) -> list[str]:
    reasons = []
    if Claim.objects.filter(buyer=user).exclude(status__in=CLOSED_CLAIMS).exists():
        reasons.append(_("You have an open claim; it must be resolved or withdrawn first."))
    if Order.objects.filter(buyer=user, status=Order.Status.PENDING_PAYMENT).exists():
        reasons.append(_("You have an unpaid order; pay for it or let it expire first."))
    if user.is_staff or user.platform_role or Membership.objects.filter(user=user, is_active=True).exists():
        reasons.append(_("This account belongs to a vendor team or the platform staff; leave the team first."))
    return reasons


@transaction.atomic
def buyer_erase(*, user_id: int, actor: Any, origin: str = PrivacyRequest.Origin.BUYER) -> PrivacyRequest:
    """Pseudonymise the buyer: account, orders (and each vendor's copy), claim texts and files, and
    what the registered sections hold (reviews' words and photos, their messages, notifications).
    Refused whole, with the reasons, while a claim is open or an order unpaid."""
    user = get_user_model().objects.select_for_update().get(pk=user_id)
    reasons = erasure_blockers(user=user)
    if reasons:
        raise ErasureRefused(" ".join(reasons), extra={"reasons": reasons})
    pseudonym = f"erased-{user.pk}@{ERASED_DOMAIN}"
    orders = Order.objects.filter(buyer=user)
    order_ids = list(orders.values_list("pk", flat=True))
    anonymous = {"ship_name": ERASED_TEXT, "ship_line1": ERASED_TEXT, "ship_line2": "", "ship_city": ERASED_TEXT,
                 "ship_region": "", "ship_postal_code": ""}
    orders.update(email=pseudonym, client_ip=None, updated_at=timezone.now(), **anonymous)
    _vendor_copies_erase(order_ids, pseudonym, anonymous)
    claims = Claim.objects.filter(buyer=user)
    claims.update(description=ERASED_TEXT)
    messages = ClaimMessage.objects.filter(claim__in=claims, role=ClaimMessage.Role.BUYER).update(body=ERASED_TEXT)
    files = 0
    for attachment in ClaimAttachment.objects.filter(uploaded_by=user).exclude(file=""):
        attachment.file.delete(save=False)
        ClaimAttachment.objects.filter(pk=attachment.pk).update(file="", original_name=ERASED_TEXT)
        files += 1
    Cart.objects.filter(user=user).delete()
    erased: dict[str, int] = {}
    for section in personal_data_sections().values():
        erased |= section.erase(user)
    before = {"email": user.email, "full_name": user.full_name, "is_active": user.is_active}
    _account_erase(user, pseudonym)
    summary = {"orders": len(order_ids), "claims": claims.count(), "messages": messages, "files": files, **erased}
    audit_action(actor=actor, action="buyer.erase", target=user, vendor_visible=False, reason=f"erasure ({origin})",
                 before={"email": "[personal]", "full_name": "[personal]" if before["full_name"] else "",
                         "is_active": before["is_active"]},
                 after={"email": user.email, "full_name": user.full_name, "is_active": user.is_active, **summary})
    return PrivacyRequest.objects.create(
        user=user, kind=PrivacyRequest.Kind.ERASURE, status=PrivacyRequest.Status.DONE, origin=origin,
        actor=actor if getattr(actor, "pk", None) != user.pk else None, completed_at=timezone.now(),
        summary=summary)


def _vendor_copies_erase(order_ids: list[int], pseudonym: str, anonymous: dict[str, str]) -> None:
    from fulfillment.models import VendorOrder

    vendors = Vendor.objects.filter(sub_orders__order_id__in=order_ids, store__isnull=False).distinct()
    for vendor in vendors.select_related("store"):
        assert vendor.store is not None
        with schema_context(vendor.store.schema_name):
            VendorOrder.objects.filter(order_id__in=order_ids).update(buyer_email=pseudonym, **anonymous)


def _account_erase(user: Any, pseudonym: str) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from accounts.models import ApiToken

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    user.email, user.full_name, user.is_active, user.stripe_customer_id = pseudonym, "", False, ""
    user.set_unusable_password()
    # Not as a model change: django-auditlog would copy the old email and name into the append-only
    # log; the `buyer.erase` entry records the erasure instead.
    with disable_auditlog():
        user.save(update_fields=["email", "full_name", "is_active", "stripe_customer_id", "password"])


# --- retention -----------------------------------------------------------------------------------
def privacy_retention_run(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """The scheduled job: expire export files past their link, erase buyers inactive for longer
    than PRIVACY_BUYER_RETENTION_DAYS (no login, no order); those an erasure refuses are skipped."""
    now = now or timezone.now()
    expired = 0
    for request in PrivacyRequest.objects.filter(status=PrivacyRequest.Status.READY, expires_at__lte=now)[:limit]:
        private_storage().delete(request.file_name)
        PrivacyRequest.objects.filter(pk=request.pk).update(status=PrivacyRequest.Status.EXPIRED, file_name="")
        expired += 1
    cutoff = now - timedelta(days=buyer_retention_days())
    users = (get_user_model().objects.filter(is_active=True, is_staff=False, platform_role="", date_joined__lt=cutoff)
             .filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
             .annotate(last_order=Max("orders__created_at"))
             .filter(Q(last_order__isnull=True) | Q(last_order__lt=cutoff))
             .exclude(memberships__is_active=True).order_by("pk"))
    erased = skipped = 0
    for user_id in users.values_list("pk", flat=True)[:limit]:
        try:
            buyer_erase(user_id=user_id, actor=None, origin=PrivacyRequest.Origin.RETENTION)
            erased += 1
        except ErasureRefused:
            skipped += 1
    return {"exports_expired": expired, "buyers_erased": erased, "skipped": skipped}
