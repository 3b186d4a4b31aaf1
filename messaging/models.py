"""Buyer-vendor threads: a question about a listing or a conversation about one vendor's part of
an order, their messages, private attachments, reports and blocks (public schema).

Read state is a time per side: a message is unread for a side when it was written by the other
side after that side last read the thread (the vendor's team shares one read state).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from common.models import PrivateAttachment
from vendors.storage import private_storage


class Thread(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("Question about a product")
        ORDER = "order", _("About an order")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="threads")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads")
    listing = models.ForeignKey("marketplace.Listing", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    sub_order = models.ForeignKey("orders.SubOrder", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="threads")
    subject = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)
    buyer_read_at = models.DateTimeField(null=True, blank=True)
    vendor_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["question", "order"]), name="thread_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="order", sub_order__isnull=False) | Q(kind="question", sub_order__isnull=True)),
                name="thread_order_has_sub_order",
            ),
            models.UniqueConstraint(fields=["sub_order"], condition=Q(kind="order"), name="thread_one_per_sub_order"),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        VENDOR = "vendor", _("Seller")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices)
    # Plain text as written (control characters removed); escaped wherever it is shown.
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Hidden by the platform after a report: the parties see that a message was removed, not its text.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["buyer", "vendor"]), name="message_role_valid"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("body"), 10240), name="message_body_le_10kb"),
        ]

    def __str__(self) -> str:
        return f"{self.role} on thread {self.thread_id}"


def _attachment_path(instance: MessageAttachment, filename: str) -> str:
    return f"messages/{instance.message.thread_id}/{filename}"


class MessageAttachment(PrivateAttachment):
    """A photo or PDF in the private store: served only to the thread's parties by a checked view."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=_attachment_path, max_length=300)

    class Meta(PrivateAttachment.Meta):
        pass


class MessageReport(models.Model):
    """A party flagged a message of the other party as abuse, for the platform to look at."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    class Outcome(models.TextChoices):
        HIDDEN = "hidden", _("Message hidden")
        DISMISSED = "dismissed", _("Report dismissed")
        SENDER_BANNED = "sender_banned", _("Sender blocked from messaging")

    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when ops decide on the reported message (every open report of it closes with the decision).
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="messagereport_once"),
            models.CheckConstraint(
                condition=(Q(resolved_at__isnull=True, outcome="")
                           | Q(resolved_at__isnull=False, outcome__in=["hidden", "dismissed", "sender_banned"])),
                name="messagereport_outcome_when_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"report of message {self.message_id}"


class Block(models.Model):
    """A vendor refuses new messages from a buyer (every thread with that vendor)."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="blocks")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "buyer"], name="block_once")]

    def __str__(self) -> str:
        return f"{self.vendor_id} blocks {self.buyer_id}"


class MessagingBan(models.Model):
    """The platform stopped a user from sending messages (after reports of abuse), on every thread."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging_ban")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"messaging ban of {self.user_id}"
