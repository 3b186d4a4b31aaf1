"""A person's notifications and channel choices in their privacy export and erasure
(accounts.personal_data, docs/privacy.md): both are deleted on erasure; an erased account is
never notified again."""

from __future__ import annotations

from typing import Any

from accounts.personal_data import Rows, personal_data_section
from notifications.models import Notification, NotificationPreference


@personal_data_section("notifications")
class NotificationsPersonalData:
    def export(self, user: Any) -> dict[str, Rows]:
        return {
            "notifications": [{"kind": n.kind, "context": n.context, "link": n.link,
                               "created_at": n.created_at.isoformat(),
                               "read_at": n.read_at.isoformat() if n.read_at else None}
                              for n in Notification.objects.filter(recipient=user).order_by("pk")],
            "notification_preferences": [
                {"kind": p.kind, "channel": p.channel, "enabled": p.enabled}
                for p in NotificationPreference.objects.filter(user=user).order_by("kind", "channel")],
        }

    def erase(self, user: Any) -> dict[str, int]:
        notifications, _rows = Notification.objects.filter(recipient=user).delete()
        preferences, _rows = NotificationPreference.objects.filter(user=user).delete()
        return {"notifications": notifications, "notification_preferences": preferences}
