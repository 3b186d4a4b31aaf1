"""Errors of notifications and their preferences (stable codes for the pages)."""

from __future__ import annotations

from common.exceptions import ApplicationError, NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"


class UnknownNotificationKind(ApplicationError):
    code = "unknown_notification_kind"


class UnsubscribeLinkInvalid(ApplicationError):
    """The unsubscribe link was altered, or names a kind that cannot be unsubscribed from."""

    code = "unsubscribe_link_invalid"
