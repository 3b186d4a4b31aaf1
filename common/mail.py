"""Email in each recipient's language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import translation


def languages_of(addresses: Iterable[str]) -> dict[str, str]:
    """Address → the language stored on the account with that email (default when none)."""
    # The user model through Django's setting, not `accounts`: common sits below every app.
    user_model = get_user_model()
    wanted = {address.lower() for address in addresses if address}
    stored = dict(user_model.objects.filter(email__in=wanted).exclude(language="").values_list("email", "language"))
    return {address: stored.get(address) or settings.LANGUAGE_CODE for address in wanted}


def recipients_by_language(addresses: Iterable[str]) -> dict[str, list[str]]:
    """Language → the addresses (sorted) whose accounts use it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for address, language in sorted(languages_of(addresses).items()):
        groups[language].append(address)
    return dict(sorted(groups.items()))


def messages_localized(
    recipients: Iterable[str], render: Callable[[], tuple[str, str]],
) -> list[tuple[str, str, list[str]]]:
    """One (subject, body, addresses) per language among `recipients`: `render()` is called with
    that language active and returns (subject, body)."""
    messages = []
    for language, addresses in recipients_by_language(recipients).items():
        with translation.override(language):
            subject, body = render()
        messages.append((subject, body, addresses))
    return messages


def send_mail_localized(
    recipients: Iterable[str], render: Callable[[], tuple[str, str]], *,
    from_email: str | None = None, fail_silently: bool = False,
) -> int:
    """Send `messages_localized(recipients, render)`: the recipients of one language share the
    message. Returns the number of messages sent."""
    return sum(send_mail(subject, body, from_email, addresses, fail_silently=fail_silently)
               for subject, body, addresses in messages_localized(recipients, render))
