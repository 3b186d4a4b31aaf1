"""Notifying people: `notify` (the one entry point), vendor teams, reading, preferences, unsubscribing.

`notify` writes one row (the in-app notice, and the record that an email went) and sends the email
after commit, in the recipient's language, unless the person turned that channel off for the kind.
A `dedupe_key` makes a replayed event (a webhook delivered twice, a task retried) notify once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.hosts import platform_url
from notifications.errors import (
    NotificationNotFound,
    UnknownNotificationKind,
    UnsubscribeLinkInvalid,
)
from notifications.kinds import KINDS, Kind
from notifications.models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

CHANNEL = NotificationPreference.Channel
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def _kind(name: str) -> Kind:
    spec = KINDS.get(name)
    if spec is None:
        raise UnknownNotificationKind(_("Unknown notification kind %(kind)s.") % {"kind": name})
    return spec


def channel_enabled(*, user: Any, kind: str, channel: str) -> bool:
    """Whether `user` gets `kind` on `channel`: transactional emails always; otherwise the stored
    choice, on by default."""
    spec = _kind(kind)
    if channel == CHANNEL.EMAIL and not spec.emails:
        return False
    if channel == CHANNEL.EMAIL and spec.transactional:
        return True
    stored = (NotificationPreference.objects.filter(user=user, kind=kind, channel=channel)
              .values_list("enabled", flat=True).first())
    return True if stored is None else bool(stored)


def notify(kind: str, *, recipient: Any, context: dict[str, Any], link: str, vendor: Any = None,
           dedupe_key: str | None = None) -> Notification | None:
    """Notify `recipient` of `kind` (see notifications.kinds). `context` holds what the words need
    (JSON: names, numbers, amounts in minor units with `currency`); `link` is an absolute URL of
    the page to open. Returns the row, or None when every channel is off or it was already sent."""
    _kind(kind)
    if recipient is None or not recipient.is_active:
        return None
    in_app = channel_enabled(user=recipient, kind=kind, channel=CHANNEL.IN_APP)
    email = bool(recipient.email) and channel_enabled(user=recipient, kind=kind, channel=CHANNEL.EMAIL)
    if not (in_app or email):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, context=context, link=link[:500], in_app=in_app,
                vendor=vendor, dedupe_key=dedupe_key[:200] if dedupe_key else None,
            )
    except IntegrityError:
        return None  # this event was already notified
    if email:
        transaction.on_commit(lambda: notification_email_send(notification_id=notification.pk))
    return notification


def vendor_team_notify(kind: str, *, vendor: Any, context: dict[str, Any], link: str, roles: tuple[str, ...],
                       dedupe_key: str | None = None) -> list[Notification]:
    """`notify` each active member of `vendor` whose role is in `roles`."""
    from vendors.models import Membership

    members = (Membership.objects.filter(vendor=vendor, is_active=True, role__in=roles)
               .select_related("user").order_by("pk"))
    sent = [notify(kind, recipient=m.user, context=context, link=link, vendor=vendor,
                   dedupe_key=f"{dedupe_key}" if dedupe_key else None) for m in members]
    return [n for n in sent if n is not None]


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[Any, Kind]:
    """The user and kind a link names; refused when altered or for a transactional kind."""
    from django.contrib.auth import get_user_model

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = get_user_model().objects.get(pk=int(data["u"]))
        spec = KINDS[str(data["k"])]
    except (signing.BadSignature, KeyError, TypeError, ValueError, LookupError):
        raise UnsubscribeLinkInvalid(_("This unsubscribe link is not valid.")) from None
    except get_user_model().DoesNotExist:
        raise UnsubscribeLinkInvalid(_("This unsubscribe link is not valid.")) from None
    if spec.transactional:
        raise UnsubscribeLinkInvalid(_("This unsubscribe link is not valid."))
    return user, spec


@transaction.atomic
def unsubscribe_apply(*, token: str) -> tuple[Any, Kind]:
    """Turn the email channel off for the link's user and kind (no sign-in: the signature is the
    credential). Applying it twice changes nothing."""
    user, spec = unsubscribe_read(token)
    preference_set(user=user, kind=spec.name, channel=CHANNEL.EMAIL, enabled=False)
    return user, spec


@transaction.atomic
def preference_set(*, user: Any, kind: str, channel: str, enabled: bool) -> NotificationPreference:
    _kind(kind)
    if channel not in CHANNEL.values:
        raise UnknownNotificationKind(_("Unknown channel %(channel)s.") % {"channel": channel})
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, channel=channel, defaults={"enabled": enabled})
    return preference


def preferences_save(*, user: Any, chosen: set[tuple[str, str]]) -> None:
    """Store the preferences page: `chosen` holds the (kind, channel) boxes left ticked; boxes that
    cannot be changed (transactional email) are ignored."""
    with transaction.atomic():
        for name, spec in KINDS.items():
            for channel in CHANNEL.values:
                if channel == CHANNEL.EMAIL and (spec.transactional or not spec.emails):
                    continue
                preference_set(user=user, kind=name, channel=channel, enabled=(name, channel) in chosen)


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    notification = Notification.objects.select_for_update().filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotificationNotFound(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).update(
        read_at=timezone.now())


def notification_email_render(notification: Notification) -> EmailMultiAlternatives:
    """The email of a notification, in its recipient's language: text and HTML versions, with a
    one-click unsubscribe (link and List-Unsubscribe headers) unless it is transactional."""
    spec = _kind(notification.kind)
    user = notification.recipient
    language = user.language or settings.LANGUAGE_CODE
    unsubscribe = "" if spec.transactional else platform_url(
        f"/notifications/unsubscribe/{unsubscribe_token(user_id=user.pk, kind=spec.name)}/")
    with translation.override(language):
        notice = spec.render(notification.context)
        context = {"notice": notice, "link": notification.link, "unsubscribe_url": unsubscribe,
                   "kind_label": str(spec.label), "platform_name": settings.PLATFORM_NAME, "language": language}
        text = render_to_string("notifications/email/notice.txt", context)
        html = render_to_string("notifications/email/notice.html", context)
    headers = {}
    if unsubscribe:
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = EmailMultiAlternatives(subject=notice.title, body=text, to=[user.email], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def notification_email_send(*, notification_id: int) -> bool:
    """Send a notification's email once (what was sent is recorded); False when already sent."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("recipient")
                        .filter(pk=notification_id, emailed_at__isnull=True).first())
        if notification is None:
            return False
        try:
            notification_email_render(notification).send()
        except Exception:  # the notice stays in the app; a mail outage must not fail the caller's event
            logger.exception("notification %s: the email could not be sent", notification_id)
            return False
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
