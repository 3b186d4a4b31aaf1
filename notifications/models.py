"""In-app notifications and each person's choice of channels per kind (public schema)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One notice to one person. Its words are rendered when shown, in the reader's language, from
    `kind` and `context` (ids, names and amounts, never rendered text)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    context = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500, blank=True)
    # The vendor a vendor-side notice is about (its team members each get one), else null.
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # An event replayed (a webhook delivered twice, a task retried) notifies once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    in_app = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="notification_dedupe_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class NotificationPreference(models.Model):
    """A channel turned off (or back on) for one kind; no row: the kind's default."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("Email")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="notificationpreference_once"),
            models.CheckConstraint(condition=Q(channel__in=["in_app", "email"]),
                                   name="notificationpreference_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} of {self.user_id}: {self.enabled}"
