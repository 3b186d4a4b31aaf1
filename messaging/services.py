"""Writing to threads: asking about a listing, writing about an order, replying, reading,
reporting a message, blocking a buyer; ops' decisions on reported messages (hide the message,
dismiss the reports, stop the sender from messaging).

Every write checks all its input (text, files, who may write) before it stores anything, then
stores the message, its files and the thread's times in one transaction, and notifies the other
side through `notifications.notify` (its email goes after commit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts import roles
from accounts.audit import audit_action
from common.hosts import platform_url, vendor_url
from marketplace.models import Listing
from messaging.errors import (
    AlreadyReported,
    BuyerBlocked,
    MessageInvalid,
    ReportAlreadyDecided,
    ReportInvalid,
    SenderBanned,
    ThreadNotAllowed,
    ThreadNotFound,
)
from messaging.models import Block, Message, MessageAttachment, MessageReport, MessagingBan, Thread
from notifications.services import notify, vendor_team_notify
from orders.models import SubOrder

BODY_MAX_BYTES = 10 * 1024
ATTACHMENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_MAX = 5
TEAM_ROLES = ("owner", "manager", "staff")
# Control characters other than tab and newline never reach the database or an email.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def body_clean(raw: Any) -> str:
    """The message text as stored: control characters removed, trimmed, 1 byte to 10 KB (UTF-8).
    Markup is kept as text; every page and email escapes it."""
    text = _CONTROL.sub("", str(raw or "").replace("\r\n", "\n")).strip()
    if not text:
        raise MessageInvalid(_("Write a message."), fields={"body": [_("Write a message.")]})
    if len(text.encode("utf-8")) > BODY_MAX_BYTES:
        error = _("A message is at most 10 KB of text.")
        raise MessageInvalid(error, fields={"body": [error]})
    return text


def attachments_check(files: Sequence[UploadedFile]) -> list[Any]:
    from vendors.errors import InvalidUpload
    from vendors.uploads import upload_check

    if len(files) > ATTACHMENTS_MAX:
        error = _("Attach at most %(n)s files.") % {"n": ATTACHMENTS_MAX}
        raise MessageInvalid(error, fields={"attachments": [error]})
    checked = []
    for upload in files:
        try:
            checked.append(upload_check(upload=upload, allowed=ATTACHMENT_TYPES, max_bytes=ATTACHMENT_MAX_BYTES,
                                        field="attachments"))
        except InvalidUpload as exc:
            raise MessageInvalid(exc.message, fields={"attachments": [exc.message]}) from exc
    return checked


def _ban_check(author: Any) -> None:
    if MessagingBan.objects.filter(user=author).exists():
        raise SenderBanned(_("You can no longer send messages on this marketplace."))


def _blocked_check(*, vendor_id: int, buyer: Any) -> None:
    if Block.objects.filter(vendor_id=vendor_id, buyer=buyer).exists():
        raise BuyerBlocked(_("This seller does not accept messages from you."))


@transaction.atomic
def question_ask(*, buyer: Any, listing_id: Any, body: Any, attachments: Sequence[UploadedFile] = ()) -> Thread:
    """A buyer's question about a listing, before any purchase: their thread with the vendor about
    it (the same one when they ask again)."""
    try:
        listing = Listing.objects.select_related("vendor").get(
            pk=int(listing_id), status=Listing.Status.ACTIVE, vendor_visible=True)
    except (Listing.DoesNotExist, TypeError, ValueError):
        raise ThreadNotFound(_("Product not found.")) from None
    text, checked = body_clean(body), attachments_check(list(attachments))
    _ban_check(buyer)
    if roles.vendor_role(buyer, listing.vendor) is not None:
        raise ThreadNotAllowed(_("You cannot ask your own store a question."))
    _blocked_check(vendor_id=listing.vendor_id, buyer=buyer)
    thread = (Thread.objects.select_for_update()
              .filter(kind=Thread.Kind.QUESTION, buyer=buyer, listing=listing).first())
    if thread is None:
        thread = Thread.objects.create(kind=Thread.Kind.QUESTION, vendor=listing.vendor, buyer=buyer,
                                       listing=listing, subject=listing.title[:200], last_message_at=timezone.now())
    _message_store(thread=thread, author=buyer, role=Message.Role.BUYER, text=text, checked=checked)
    return thread


@transaction.atomic
def order_thread_write(*, buyer: Any, sub_order_id: Any, body: Any,
                       attachments: Sequence[UploadedFile] = ()) -> Thread:
    """A buyer writes to the vendor about their part of a paid order (one thread per part)."""
    try:
        sub = SubOrder.objects.select_related("order", "vendor").get(pk=int(sub_order_id), order__buyer=buyer)
    except (SubOrder.DoesNotExist, TypeError, ValueError):
        raise ThreadNotFound(_("Order not found.")) from None
    text, checked = body_clean(body), attachments_check(list(attachments))
    if not sub.order.is_paid:
        raise ThreadNotAllowed(_("You can write to the seller once the order is paid."))
    _ban_check(buyer)
    _blocked_check(vendor_id=sub.vendor_id, buyer=buyer)
    try:
        with transaction.atomic():
            thread, _created = Thread.objects.get_or_create(
                kind=Thread.Kind.ORDER, sub_order=sub,
                defaults={"vendor": sub.vendor, "buyer": buyer, "last_message_at": timezone.now(),
                          "subject": _("Order %(number)s") % {"number": sub.order.number}})
    except IntegrityError:  # two first messages at once: the other one made the thread
        thread = Thread.objects.get(kind=Thread.Kind.ORDER, sub_order=sub)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    _message_store(thread=thread, author=buyer, role=Message.Role.BUYER, text=text, checked=checked)
    return thread


@transaction.atomic
def message_post(*, thread: Thread, author: Any, role: str, body: Any,
                 attachments: Sequence[UploadedFile] = ()) -> Message:
    """A reply in an existing thread by its buyer (`role` buyer) or the vendor's team (`vendor`);
    the caller has resolved the thread through a selector scoped to that party."""
    text, checked = body_clean(body), attachments_check(list(attachments))
    _ban_check(author)
    if role == Message.Role.BUYER:
        _blocked_check(vendor_id=thread.vendor_id, buyer=author)
    locked = Thread.objects.select_for_update().select_related("vendor").get(pk=thread.pk)
    return _message_store(thread=locked, author=author, role=role, text=text, checked=checked)


def _message_store(*, thread: Thread, author: Any, role: str, text: str, checked: list[Any]) -> Message:
    message = Message.objects.create(thread=thread, author=author, role=role, body=text)
    for item in checked:
        attachment = MessageAttachment(message=message, content_type=item.content_type, size=item.size,
                                       original_name=item.original_name)
        attachment.file.save(item.stored_name(), item.file, save=False)
        attachment.save()
    thread.last_message_at = message.created_at
    read_field = "buyer_read_at" if role == Message.Role.BUYER else "vendor_read_at"
    setattr(thread, read_field, message.created_at)  # the writer has read everything before it
    thread.save(update_fields=["last_message_at", read_field])
    _message_notify(thread=thread, message=message)
    return message


def _message_notify(*, thread: Thread, message: Message) -> None:
    context = {"subject": thread.subject, "excerpt": Truncator(message.body).chars(200), "thread_id": thread.pk}
    if message.role == Message.Role.BUYER:
        vendor_team_notify("message_received", vendor=thread.vendor, roles=TEAM_ROLES,
                           context={**context, "sender_name": thread.buyer.full_name or _("A buyer")},
                           link=vendor_url(thread.vendor, f"/dashboard/messages/{thread.pk}/"))
    else:
        notify("message_received", recipient=thread.buyer, context={**context, "sender_name": thread.vendor.name},
               link=platform_url(f"/messages/{thread.pk}/"))


def thread_mark_read(*, thread: Thread, role: str) -> None:
    """The party (`buyer`, or the vendor's team) has seen every message up to now."""
    field = "buyer_read_at" if role == Message.Role.BUYER else "vendor_read_at"
    Thread.objects.filter(pk=thread.pk).update(**{field: timezone.now()})


@transaction.atomic
def message_report(*, thread: Thread, message_id: Any, reporter: Any, role: str, reason: Any = "") -> MessageReport:
    """A party reports a message of the other party in its own thread."""
    try:
        message = Message.objects.get(pk=int(message_id), thread=thread)
    except (Message.DoesNotExist, TypeError, ValueError):
        raise ThreadNotFound(_("Message not found.")) from None
    if message.role == role:
        raise ThreadNotAllowed(_("You can only report the other party's messages."))
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(message=message, reporter=reporter,
                                                  reason=_CONTROL.sub("", str(reason or "")).strip()[:500])
    except IntegrityError:
        raise AlreadyReported(_("You already reported this message.")) from None
    audit_action(actor=reporter, action="message.report", target=message, vendor_id=thread.vendor_id,
                 reason=report.reason, before={"reported": False}, after={"reported": True, "by": role})
    return report


@transaction.atomic
def buyer_block(*, vendor: Any, buyer: Any, actor: Any) -> Block:
    block, created = Block.objects.get_or_create(vendor=vendor, buyer=buyer, defaults={"created_by": actor})
    if created:
        audit_action(actor=actor, action="message.block", target=block, vendor_id=vendor.pk,
                     before={"blocked": False}, after={"blocked": True, "buyer": buyer.pk})
    return block


@transaction.atomic
def buyer_unblock(*, vendor: Any, buyer: Any, actor: Any = None) -> int:
    deleted, _rows = Block.objects.filter(vendor=vendor, buyer=buyer).delete()
    if deleted:
        audit_action(actor=actor, action="message.unblock", target_type="messaging.block", target_id=buyer.pk,
                     vendor_id=vendor.pk, before={"blocked": True, "buyer": buyer.pk}, after={"blocked": False})
    return deleted


REPORT_ACTIONS = ("hide", "dismiss", "ban_sender")
_OUTCOMES = {"hide": MessageReport.Outcome.HIDDEN, "dismiss": MessageReport.Outcome.DISMISSED,
             "ban_sender": MessageReport.Outcome.SENDER_BANNED}


@transaction.atomic
def report_decide(*, admin: Any, report_id: Any, action: Any, reason: Any = "") -> MessageReport:
    """Ops decide on a reported message: hide it, dismiss the reports, or stop its sender from
    sending messages anywhere. Every open report of the message closes with the decision, which is
    audit-logged; a reason is required to hide or to ban."""
    try:
        report = (MessageReport.objects.select_for_update().select_related("message__thread")
                  .get(pk=int(report_id)))
    except (MessageReport.DoesNotExist, TypeError, ValueError):
        raise ThreadNotFound(_("Report not found.")) from None
    if action not in _OUTCOMES:
        error = _("Choose hide, dismiss or block the sender.")
        raise ReportInvalid(error, fields={"action": [error]})
    note = _CONTROL.sub("", str(reason or "")).strip()
    if len(note) > 500:
        error = _("At most 500 characters.")
        raise ReportInvalid(error, fields={"reason": [error]})
    if action != "dismiss" and not note:
        error = _("Give the reason (it is kept in the audit log).")
        raise ReportInvalid(error, fields={"reason": [error]})
    message = Message.objects.select_for_update().get(pk=report.message_id)
    open_reports = MessageReport.objects.filter(message=message, resolved_at__isnull=True)
    if report.resolved_at is not None or not open_reports.exists():
        raise ReportAlreadyDecided(_("This report was already decided."))
    now = timezone.now()
    vendor_id = message.thread.vendor_id
    if action == "hide":
        message.hidden_at, message.hidden_by = now, admin
        message.save(update_fields=["hidden_at", "hidden_by"])
        audit_action(actor=admin, action="message.hide", target=message, vendor_id=vendor_id, reason=note,
                     before={"hidden": False}, after={"hidden": True})
    elif action == "ban_sender":
        ban, created = MessagingBan.objects.get_or_create(user=message.author,
                                                          defaults={"created_by": admin, "reason": note})
        if created:
            audit_action(actor=admin, action="message.sender_ban", target=ban, vendor_id=vendor_id, reason=note,
                         before={"banned": False}, after={"banned": True, "user": message.author_id,
                                                          "message": message.pk})
    else:
        audit_action(actor=admin, action="message.report_dismiss", target=message, vendor_id=vendor_id,
                     reason=note, before={"open_reports": open_reports.count()}, after={"open_reports": 0})
    open_reports.update(resolved_at=now, resolved_by=admin, outcome=_OUTCOMES[action], note=note)
    report.refresh_from_db()
    return report
