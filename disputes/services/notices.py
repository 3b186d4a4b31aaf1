"""Emails about a claim's steps to the buyer and the vendor's team."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from disputes.models import Claim
from vendors.selectors import Audience, vendor_audience_emails

S = Claim.Status


def _notify_on_commit(claim_id: int, action: str) -> None:
    transaction.on_commit(lambda: claim_notify(claim_id=claim_id, action=action))


def _claim_action_label(action: str) -> str:
    labels = {
        "opened": _("the claim was opened"),
        "message_buyer": _("the buyer wrote a message"),
        "message_vendor": _("the seller wrote a message"),
        "message_admin": _("the platform wrote a message"),
        "vendor_accepted": _("the seller accepted the claim"),
        "vendor_rejected": _("the seller rejected the claim"),
        "escalated": _("the claim was escalated to the platform"),
        "withdrawn": _("the buyer withdrew the claim"),
        "return_received": _("the seller received the return"),
        "decided": _("the platform decided the claim"),
        "decision": _("the platform decided the claim"),
        "refund": _("a refund was issued"),
        "refunded": _("a refund was issued"),
    }
    return labels.get(action, action.replace("_", " "))


def claim_notify(*, claim_id: int, action: str) -> int:
    """Email the parties concerned by a claim step: the buyer and the seller's team, and platform
    admins once escalated. Each audience gets its own message with the link it can open (the
    buyer's claim page, the seller's dashboard, the operations console). Returns messages sent."""
    from accounts.models import User
    from common.hosts import platform_url, vendor_url

    claim = Claim.objects.select_related("buyer", "vendor", "order").filter(pk=claim_id).first()
    if claim is None:
        return 0

    def render(url: str) -> tuple[str, str]:
        subject = _("Claim %(number)s on order %(order)s: %(status)s") % {
            "number": claim.number, "order": claim.order.number, "status": claim.get_status_display()}
        text = _("Claim %(number)s on order %(order)s (%(vendor)s): %(action)s.\nStatus: %(status)s") % {
            "number": claim.number, "order": claim.order.number, "vendor": claim.vendor.name,
            "action": _claim_action_label(action), "status": claim.get_status_display(),
        }
        link_label = _("Open the claim")
        return subject, f"{text}\n\n{link_label}: {url}\n"

    audiences: list[tuple[list[str], str]] = [
        ([claim.buyer.email], platform_url(f"/claims/{claim.pk}/")),
        (vendor_audience_emails(vendor_id=claim.vendor_id, audience=Audience.TEAM),
         vendor_url(claim.vendor, f"/dashboard/claims/{claim.pk}/")),
    ]
    if claim.status == S.ESCALATED or action in ("escalated", "message_admin"):
        admins = User.objects.filter(platform_role="admin", is_active=True).values_list("email", flat=True)
        audiences.append((list(admins), platform_url(f"/ops/claims/{claim.pk}/")))
    sent = 0
    for recipients, url in audiences:
        # Each audience in its own messages, and within it one per language of its members.
        sent += send_mail_localized(recipients, partial(render, url), fail_silently=True)
    return sent
