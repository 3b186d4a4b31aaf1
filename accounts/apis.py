"""Account API: who am I, and API tokens."""

from __future__ import annotations

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from common.exceptions import ApplicationError


class MeApi(APIView):
    class MeSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        platform_role = serializers.CharField()

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        data = dict(self.MeSerializer(user).data)
        # `memberships`: the reverse of vendors.Membership.user (accounts imports no vendors code);
        # the user is signed in (the API's default permission), never AnonymousUser.
        memberships = user.memberships.filter(is_active=True).select_related("vendor")  # type: ignore[union-attr]
        data["vendors"] = [
            {"slug": membership.vendor.slug, "name": membership.vendor.name, "role": membership.role}
            for membership in memberships
        ]
        return Response(data)


class TokenApi(APIView):
    """Exchange email and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]

    class TokenRequestSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField()
        code = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                     help_text="Authenticator app or recovery code, for accounts with 2FA.")

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
        operation_id="auth_token_create",
    )
    def post(self, request: Request) -> Response:
        serializer = self.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=serializer.validated_data["email"].lower(),
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise _unauthorized(gettext("Email or password is wrong."), "invalid_credentials")
        if is_mfa_enabled(user):
            code = serializer.validated_data.get("code", "").strip()
            if not code:
                raise _unauthorized(gettext("Enter the code from your authenticator app."), "mfa_code_required")
            if not _mfa_code_valid(user, code):
                raise _unauthorized(gettext("Incorrect code."), "mfa_code_invalid")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


def _unauthorized(message: str, code: str) -> ApplicationError:
    error = ApplicationError(message, code=code)
    error.status_code = 401
    return error


def _mfa_code_valid(user: Any, code: str) -> bool:
    """An authenticator app code (each used once) or an unused recovery code."""
    from allauth.mfa.models import Authenticator

    authenticators = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES])
    return any(authenticator.wrap().validate_code(code) for authenticator in authenticators)
