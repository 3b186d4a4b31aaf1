"""Listing takedowns: ops hide a listing with a reason, its vendor appeals, ops restore or uphold.

Each step writes one `ListingTakedownEvent` (who, why): the audit record of the action.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_action
from common.hosts import vendor_url
from common.mail import send_mail_localized
from marketplace.models import Listing, ListingTakedown, ListingTakedownEvent
from marketplace.services import listing_visibility_set
from support.errors import (
    InvalidSupportRequest,
    ListingAlreadyGone,
    ListingNotFound,
    TakedownNotFound,
    TakedownStateConflict,
)
from vendors.selectors import Audience, vendor_audience_emails

S = ListingTakedown.Status
TEXT_MAX = 2000

# Which step may follow which (tests/support/test_takedowns.py walks it).
TAKEDOWN_TRANSITIONS: dict[str, frozenset[str]] = {
    S.TAKEN_DOWN: frozenset({S.APPEALED}),
    S.APPEALED: frozenset({S.RESTORED, S.UPHELD}),
    S.RESTORED: frozenset(),
    S.UPHELD: frozenset(),
}


def _text(value: Any, field: str, message: str) -> str:
    text = str(value or "").strip()[:TEXT_MAX]
    if not text:
        raise InvalidSupportRequest(message, fields={field: [_("This field is required.")]})
    return text


def _move(takedown: ListingTakedown, to: str) -> None:
    if to not in TAKEDOWN_TRANSITIONS[takedown.status]:
        raise TakedownStateConflict(
            _("This takedown is %(status)s; it cannot be %(to)s.")
            % {"status": takedown.get_status_display().lower(), "to": S(to).label.lower()})
    takedown.status = to


@transaction.atomic
def listing_take_down(*, listing_id: Any, actor: Any, reason: Any) -> ListingTakedown:
    """Hide the listing from search and its page at once, tell the vendor why (by email and on the
    dashboard). A listing its vendor deleted, or one already taken down, is refused."""
    text = _text(reason, "reason", _("Give the reason for the takedown; the vendor reads it."))
    listing = Listing.objects.select_for_update().select_related("vendor").filter(pk=listing_id).first()
    if listing is None:
        raise ListingNotFound(_("Listing not found."))
    if listing.status == Listing.Status.DELETED:
        raise ListingAlreadyGone(_("This listing was deleted by its vendor; there is nothing to take down."))
    if ListingTakedown.objects.filter(listing=listing, status__in=ListingTakedown.ACTIVE).exists():
        raise ListingAlreadyGone(_("This listing is already taken down."))
    takedown = ListingTakedown.objects.create(listing=listing, vendor=listing.vendor, product_id=listing.product_id,
                                              title=listing.title, reason=text)
    ListingTakedownEvent.objects.create(takedown=takedown, action=ListingTakedownEvent.Action.TAKEN_DOWN,
                                        actor=actor, reason=text)
    listing_visibility_set(listing_id=listing.pk, visible=False)
    audit_action(actor=actor, action="listing.takedown", target=takedown, reason=text,
                 before={"listing": listing.pk, "visible": True},
                 after={"listing": listing.pk, "visible": False, "status": takedown.status})
    takedown_id = takedown.pk
    transaction.on_commit(lambda: _vendor_told(takedown_id))
    return takedown


def _vendor_told(takedown_id: int) -> None:
    takedown = ListingTakedown.objects.select_related("vendor").get(pk=takedown_id)
    url = vendor_url(takedown.vendor, f"/dashboard/takedowns/{takedown.pk}/")
    recipients = vendor_audience_emails(vendor_id=takedown.vendor_id, audience=Audience.OWNERS)
    send_mail_localized(recipients, lambda: (
        _("Your listing “%(title)s” was taken down") % {"title": takedown.title},
        _("The marketplace took down your listing “%(title)s”. It is hidden from search and its page.\n\n"
          "Reason: %(reason)s\n\nYou can appeal from your dashboard:") % {"title": takedown.title,
                                                                         "reason": takedown.reason}
        + f"\n{url}\n",
    ), fail_silently=True)


def _locked(takedown_id: Any, *, vendor: Any = None) -> ListingTakedown:
    query = ListingTakedown.objects.select_for_update()
    if vendor is not None:
        query = query.filter(vendor=vendor)
    try:
        takedown = query.filter(pk=int(takedown_id)).first()
    except (TypeError, ValueError):
        takedown = None
    if takedown is None:
        raise TakedownNotFound(_("Takedown not found."))
    return takedown


@transaction.atomic
def takedown_appeal(*, takedown_id: Any, vendor: Any, actor: Any, text: Any) -> ListingTakedown:
    """The vendor (only the listing's own) asks the platform to put the listing back."""
    takedown = _locked(takedown_id, vendor=vendor)
    appeal = _text(text, "appeal_text", _("Say why the listing should be restored."))
    before = takedown.status
    _move(takedown, S.APPEALED)
    takedown.appeal_text, takedown.appealed_at = appeal, timezone.now()
    takedown.save(update_fields=["status", "appeal_text", "appealed_at", "updated_at"])
    ListingTakedownEvent.objects.create(takedown=takedown, action=ListingTakedownEvent.Action.APPEALED,
                                        actor=actor, reason=appeal)
    audit_action(actor=actor, action="listing.takedown_appeal", target=takedown, reason=appeal,
                 before={"status": before}, after={"status": takedown.status})
    return takedown


@transaction.atomic
def takedown_decide(*, takedown_id: Any, actor: Any, accept: bool, note: Any = "") -> ListingTakedown:
    """Ops accept the appeal (the listing is shown again) or reject it (it stays down)."""
    takedown = _locked(takedown_id)
    text = str(note or "").strip()[:TEXT_MAX]
    if not accept and not text:
        raise InvalidSupportRequest(_("Say why the appeal is rejected; the vendor reads it."),
                                    fields={"note": [_("This field is required.")]})
    before = takedown.status
    _move(takedown, S.RESTORED if accept else S.UPHELD)
    takedown.decision_note, takedown.decided_at = text, timezone.now()
    takedown.save(update_fields=["status", "decision_note", "decided_at", "updated_at"])
    ListingTakedownEvent.objects.create(
        takedown=takedown, actor=actor, reason=text,
        action=ListingTakedownEvent.Action.RESTORED if accept else ListingTakedownEvent.Action.UPHELD)
    if accept:
        listing_visibility_set(listing_id=takedown.listing_id, visible=True)
    audit_action(actor=actor, action="listing.takedown_restore" if accept else "listing.takedown_reject",
                 target=takedown, reason=text, before={"status": before, "visible": False},
                 after={"status": takedown.status, "visible": accept})
    return takedown
