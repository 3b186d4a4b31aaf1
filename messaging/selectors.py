"""Reading threads, scoped to who asks: the buyer's own, the vendor's own, ops' escalated ones.

Unread counts: messages of the other side written after this side last read the thread. The
vendor's typical response time: the median, over its threads of the last 90 days, of the time
from a buyer's first message to the vendor's first reply after it.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from messaging.errors import ThreadNotFound
from messaging.models import Block, Message, MessageAttachment, MessageReport, MessagingBan, Thread

RESPONSE_WINDOW_DAYS = 90
# Fewer answered threads than this say nothing typical: no figure is shown.
RESPONSE_TIME_MIN_THREADS = 3

_BUYER_UNREAD = Q(messages__role=Message.Role.VENDOR) & (
    Q(buyer_read_at__isnull=True) | Q(messages__created_at__gt=F("buyer_read_at")))
_VENDOR_UNREAD = Q(messages__role=Message.Role.BUYER) & (
    Q(vendor_read_at__isnull=True) | Q(messages__created_at__gt=F("vendor_read_at")))


def threads_for_buyer(*, user: Any) -> QuerySet[Thread]:
    return (Thread.objects.filter(buyer=user).select_related("vendor", "listing", "sub_order__order")
            .annotate(unread=Count("messages", filter=_BUYER_UNREAD)).order_by("-last_message_at", "-id"))


def threads_for_vendor(*, vendor: Any) -> QuerySet[Thread]:
    return (Thread.objects.filter(vendor=vendor).select_related("buyer", "listing", "sub_order__order")
            .annotate(unread=Count("messages", filter=_VENDOR_UNREAD)).order_by("-last_message_at", "-id"))


def _one(queryset: QuerySet[Thread], thread_id: Any) -> Thread:
    try:
        thread = queryset.filter(pk=int(thread_id)).first()
    except (TypeError, ValueError):
        thread = None
    if thread is None:
        raise ThreadNotFound("Thread not found.")
    return thread


def thread_for_buyer(*, user: Any, thread_id: Any) -> Thread:
    return _one(threads_for_buyer(user=user), thread_id)


def thread_for_vendor(*, vendor: Any, thread_id: Any) -> Thread:
    if vendor is None:
        raise ThreadNotFound("Thread not found.")
    return _one(threads_for_vendor(vendor=vendor), thread_id)


def thread_for_ops(*, thread_id: Any) -> Thread:
    """Platform admins read an order's thread once a claim on that part was escalated to them."""
    queryset = (Thread.objects.filter(kind=Thread.Kind.ORDER, sub_order__claims__escalated_at__isnull=False)
                .select_related("vendor", "buyer", "sub_order__order").distinct())
    return _one(queryset, thread_id)


def threads_for_claim(*, sub_order_id: int) -> QuerySet[Thread]:
    """The order thread of a claim's part (shown to ops beside the claim once escalated)."""
    return Thread.objects.filter(kind=Thread.Kind.ORDER, sub_order_id=sub_order_id)


def thread_messages(*, thread: Thread) -> QuerySet[Message]:
    return thread.messages.select_related("author").prefetch_related("attachments")


def attachment_of(*, thread: Thread, attachment_id: Any, include_hidden: bool = False) -> MessageAttachment:
    """A file of the thread; not one of a message the platform hid (except for ops)."""
    queryset = MessageAttachment.objects.filter(message__thread=thread)
    if not include_hidden:
        queryset = queryset.filter(message__hidden_at__isnull=True)
    try:
        attachment = queryset.filter(pk=int(attachment_id)).first()
    except (TypeError, ValueError):
        attachment = None
    if attachment is None:
        raise ThreadNotFound("Attachment not found.")
    return attachment


def unread_for_buyer(*, user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Message.objects.filter(thread__buyer=user, role=Message.Role.VENDOR).filter(
        Q(thread__buyer_read_at__isnull=True) | Q(created_at__gt=F("thread__buyer_read_at"))).count()


def unread_for_vendor(*, vendor: Any) -> int:
    return Message.objects.filter(thread__vendor=vendor, role=Message.Role.BUYER).filter(
        Q(thread__vendor_read_at__isnull=True) | Q(created_at__gt=F("thread__vendor_read_at"))).count()


def buyer_is_blocked(*, vendor: Any, buyer: Any) -> bool:
    return Block.objects.filter(vendor=vendor, buyer=buyer).exists()


def vendor_response_seconds(*, vendor_id: int) -> float | None:
    """The median seconds from a buyer's first message to the vendor's first reply after it, over
    threads started in the last 90 days; None with fewer than RESPONSE_TIME_MIN_THREADS answered."""
    sql = """
        WITH asked AS (
            SELECT t.id, MIN(m.created_at) AS at
            FROM messaging_thread t JOIN messaging_message m ON m.thread_id = t.id AND m.role = 'buyer'
            WHERE t.vendor_id = %s AND t.created_at >= now() - make_interval(days => %s)
            GROUP BY t.id
        ), answered AS (
            SELECT a.id, MIN(m.created_at) - a.at AS wait
            FROM asked a JOIN messaging_message m ON m.thread_id = a.id AND m.role = 'vendor' AND m.created_at >= a.at
            GROUP BY a.id, a.at
        )
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM wait)), count(*) FROM answered
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [vendor_id, RESPONSE_WINDOW_DAYS])
        median, answered = cursor.fetchone()
    if not answered or answered < RESPONSE_TIME_MIN_THREADS or median is None:
        return None
    return float(median)


def reports_queue(*, state: str = "open") -> QuerySet[MessageReport]:
    """Reports for ops: open ones oldest first (what waits longest is decided first), or decided ones."""
    queryset = MessageReport.objects.select_related("message__thread__vendor", "message__author", "reporter")
    if state == "decided":
        return queryset.filter(resolved_at__isnull=False).order_by("-resolved_at", "-id")
    return queryset.filter(resolved_at__isnull=True).order_by("created_at", "id")


def report_for_ops(*, report_id: Any) -> MessageReport:
    try:
        report = (MessageReport.objects.select_related("message__thread__vendor", "message__thread__buyer",
                                                       "message__author", "reporter", "resolved_by")
                  .filter(pk=int(report_id)).first())
    except (TypeError, ValueError):
        report = None
    if report is None:
        raise ThreadNotFound("Report not found.")
    return report


def sender_is_banned(*, user: Any) -> bool:
    return MessagingBan.objects.filter(user=user).exists()
