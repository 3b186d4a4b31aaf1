"""Support records: dead letters of background work, and buyers' privacy requests (export, erasure)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DeadLetter(models.Model):
    """One task call (name, arguments, schema) that exhausted its retries or failed for good.

    The same call failing again while its letter is open adds to that letter (`failures`, the last
    error and time) instead of making a second one, so the list counts distinct lost pieces of work.
    """

    class Status(models.TextChoices):
        OPEN = "open", "open"
        RETRIED = "retried", "retried"
        DISCARDED = "discarded", "discarded"

    # sha256 of name, arguments and schema: what makes two failures "the same call".
    fingerprint = models.CharField(max_length=64)
    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    schema_name = models.CharField(max_length=63, default="public")
    exception_type = models.CharField(max_length=200)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    # Deliveries of the last failing chain (1 + its retries), and how many chains ended here.
    attempts = models.PositiveIntegerField(default=1)
    failures = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    # The task id of the message a retry sent, to follow it in the logs.
    retry_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], condition=models.Q(status="open"),
                                    name="deadletter_one_open_per_call"),
            models.CheckConstraint(condition=models.Q(status__in=["open", "retried", "discarded"]),
                                   name="deadletter_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "-last_failed_at"], name="deadletter_status_idx")]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.status})"


class DeadLetterEvent(models.Model):
    """Audit row (append-only): a letter recorded, failed again, retried or discarded, and by whom."""

    class Action(models.TextChoices):
        RECORDED = "recorded", "recorded"
        FAILED_AGAIN = "failed_again", "failed again"
        RETRIED = "retried", "retried"
        DISCARDED = "discarded", "discarded"

    dead_letter = models.ForeignKey(DeadLetter, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"dead letter {self.dead_letter_id}: {self.action}"


class PrivacyRequest(models.Model):
    """A buyer's data export or erasure (GDPR arts. 15, 17, 20): who asked, who acted, what came of
    it. The audit record of the action; kept after the erasure (it names the user by id only)."""

    class Kind(models.TextChoices):
        EXPORT = "export", "export"
        ERASURE = "erasure", "erasure"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        READY = "ready", "ready"
        DONE = "done", "done"
        EXPIRED = "expired", "expired"

    class Origin(models.TextChoices):
        BUYER = "buyer", "buyer"
        STAFF = "staff", "staff"
        RETENTION = "retention", "retention"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_requests")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    file_name = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["export", "erasure"]), name="privacy_kind_valid"),
            models.CheckConstraint(condition=models.Q(status__in=["queued", "ready", "done", "expired"]),
                                   name="privacy_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.user_id} ({self.status})"
