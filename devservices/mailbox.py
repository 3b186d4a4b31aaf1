"""The development mailbox: an email backend keeping each message as a file, and `/dev/mail/`.

Only `config.settings.local` sets `DEV_MAILBOX_DIR`; the URLs are added only when it is set, so
production neither routes to these pages nor imports this module.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

KEEP = 500  # the newest messages; older ones are deleted as new ones arrive
NAME = re.compile(r"^\d{20}-\d{4}$")
_counter = iter(range(10**9))
_lock = threading.Lock()


def mailbox_dir() -> Path:
    return Path(getattr(settings, "DEV_MAILBOX_DIR", ""))


class MailboxBackend(BaseEmailBackend):
    """Writes each message as an `.eml` file in `DEV_MAILBOX_DIR` (shared by the web server and
    the workers, which send most mail)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            with _lock:
                # Sortable by time; the counter tells apart two messages of the same microsecond.
                name = f"{time.time_ns() // 1000:020d}-{next(_counter) % 10000:04d}"
            (folder / f"{name}.eml").write_bytes(message.message().as_bytes())
            sent += 1
        _prune(folder)
        return sent


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.eml"))
    for old in files[:-KEEP]:
        old.unlink(missing_ok=True)


@dataclass(frozen=True)
class Mail:
    id: str
    subject: str
    sender: str
    to: str
    date: str
    text: str
    html: str


def _parse(file: Path) -> Mail:
    parsed = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)  # policy.default parses into EmailMessage
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return Mail(
        id=file.stem, subject=str(parsed.get("Subject", "")), sender=str(parsed.get("From", "")),
        to=", ".join(filter(None, (str(parsed.get("To", "")), str(parsed.get("Cc", ""))))),
        date=str(parsed.get("Date", "")),
        text=text_part.get_content() if isinstance(text_part, ParsedMessage) else "",
        html=html_part.get_content() if isinstance(html_part, ParsedMessage) else "",
    )


def mails_recent(*, limit: int = 100, to: str = "") -> list[Mail]:
    files = sorted(mailbox_dir().glob("*.eml"), reverse=True) if mailbox_dir().exists() else []
    mails = []
    for file in files:
        mail = _parse(file)
        if not to or to.lower() in mail.to.lower():
            mails.append(mail)
        if len(mails) >= limit:
            break
    return mails


def _mail(mail_id: str) -> Mail:
    if not NAME.match(mail_id):
        raise Http404("No such message.")
    file = mailbox_dir() / f"{mail_id}.eml"
    if not file.exists():
        raise Http404("No such message.")
    return _parse(file)


def mailbox_index(request: HttpRequest) -> HttpResponse:
    to = request.GET.get("to", "").strip()[:254]
    return render(request, "devservices/mailbox.html", {"mails": mails_recent(to=to), "to": to})


def mailbox_message(request: HttpRequest, mail_id: str) -> HttpResponse:
    return render(request, "devservices/mailbox.html", {"mail": _mail(mail_id), "mails": mails_recent()})


def mailbox_message_html(request: HttpRequest, mail_id: str) -> HttpResponse:
    """The message's HTML part as it would show in a mail client: in a sandboxed frame of the
    message page, with no scripts."""
    mail = _mail(mail_id)
    if not mail.html:
        raise Http404("This message has no HTML part.")
    response = HttpResponse(mail.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; sandbox allow-popups allow-top-navigation-by-user-activation"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def mailbox_clear(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import redirect

    if request.method == "POST":
        for file in mailbox_dir().glob("*.eml"):
            file.unlink(missing_ok=True)
    return redirect("dev-mailbox")


urlpatterns: list[Any] = [
    path("", mailbox_index, name="dev-mailbox"),
    path("clear/", mailbox_clear, name="dev-mailbox-clear"),
    path("<str:mail_id>/", mailbox_message, name="dev-mailbox-message"),
    path("<str:mail_id>/html/", mailbox_message_html, name="dev-mailbox-message-html"),
]
