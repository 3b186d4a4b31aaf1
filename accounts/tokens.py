"""API tokens: issue one per device, list, revoke (one, or all on a credential change)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User


@transaction.atomic
def api_token_issue(*, user: User, device: str) -> tuple[ApiToken, str]:
    """A new token for `device`, replacing that device's previous one; the oldest tokens go when
    the account holds more than API_TOKEN_MAX_PER_USER. Returns the row and the secret (shown once)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # serialise issues per account
    ApiToken.objects.filter(user=user, device=device).delete()
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    keep = settings.API_TOKEN_MAX_PER_USER - 1
    stale = ApiToken.objects.filter(user=user).order_by("-created").values_list("digest", flat=True)[keep:]
    ApiToken.objects.filter(digest__in=list(stale)).delete()
    token, secret = ApiToken.objects.create(user=user, device=device[:100])
    return token, secret


def api_token_revoke(*, user: User, token_key: str) -> int:
    """Revoke the caller's own token whose public part is `token_key`; the number removed."""
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted


def api_tokens_revoke_all(*, user: Any) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    """The account's live tokens, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def api_tokens_revoke_on_credential_change(sender: Any, request: Any = None, user: Any = None,
                                           **kwargs: Any) -> None:
    """allauth signal receiver (password changed, set or reset; an authenticator added or
    removed): a token minted under the old credentials must not outlive them."""
    if user is not None:
        api_tokens_revoke_all(user=user)
