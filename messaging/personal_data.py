"""A buyer's message threads in their privacy export and erasure (accounts.personal_data,
docs/privacy.md): the buyer's own messages lose their words and their attachments (file and row);
the vendor's answers are the vendor's and stay; the threads stay, so the vendor's side still reads
as a conversation with an erased buyer."""

from __future__ import annotations

from typing import Any

from accounts.personal_data import ERASED_TEXT, Rows, personal_data_section
from messaging.models import Message, MessageAttachment, MessageReport, MessagingBan, Thread
from notifications.models import Notification


@personal_data_section("messages")
class MessagingPersonalData:
    def export(self, user: Any) -> dict[str, Rows]:
        threads = Thread.objects.filter(buyer=user).order_by("pk")
        messages = Message.objects.filter(thread__buyer=user).order_by("thread_id", "created_at", "pk")
        return {
            "message_threads": [{"id": t.pk, "kind": t.kind, "vendor": t.vendor_id, "subject": t.subject,
                                 "created_at": t.created_at.isoformat()} for t in threads],
            "messages": [{"thread": m.thread_id, "role": m.role, "body": m.body,
                          "created_at": m.created_at.isoformat()} for m in messages],
            "message_attachments": [
                {"thread": a.message.thread_id, "original_name": a.original_name, "content_type": a.content_type,
                 "size": a.size, "created_at": a.created_at.isoformat()}
                for a in MessageAttachment.objects.filter(message__thread__buyer=user, message__author=user)
                .select_related("message").order_by("pk")],
            "message_reports": [{"message": r.message_id, "reason": r.reason, "created_at": r.created_at.isoformat()}
                                for r in MessageReport.objects.filter(reporter=user).order_by("pk")],
            # The platform stopped this user from sending messages (kept on erasure: a safety record).
            "messaging_ban": [{"reason": b.reason, "created_at": b.created_at.isoformat()}
                              for b in MessagingBan.objects.filter(user=user)],
        }

    def erase(self, user: Any) -> dict[str, int]:
        mine = Message.objects.filter(thread__buyer=user, role=Message.Role.BUYER)
        attachments = 0
        for attachment in MessageAttachment.objects.filter(message__in=mine):
            attachment.file.delete(save=False)
            attachment.delete()
            attachments += 1
        bodies = mine.update(body=ERASED_TEXT)
        MessageReport.objects.filter(reporter=user).exclude(reason="").update(reason=ERASED_TEXT)
        # The vendor team's notices of the buyer's messages quoted them and named the buyer.
        thread_ids = list(Thread.objects.filter(buyer=user).values_list("pk", flat=True))
        notices = Notification.objects.filter(kind="message_received", context__thread_id__in=thread_ids,
                                              vendor__isnull=False).exclude(recipient=user)
        for notice in notices:
            Notification.objects.filter(pk=notice.pk).update(
                context={**notice.context, "excerpt": ERASED_TEXT, "sender_name": ERASED_TEXT})
        return {"message_bodies": bodies, "message_attachments": attachments}
