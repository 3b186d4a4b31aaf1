"""Account API: who am I, and API tokens."""

from __future__ import annotations

from allauth.core import ratelimit
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signin, tokens
from common.schema import ErrorSerializer


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
    """Exchange email, password (and, with 2FA, the code) for an expiring API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes: list[type] = []  # the sign-in limits apply (accounts.signin), see post()

    class TokenRequestSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField()
        code = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                     help_text="Authenticator app or recovery code, for accounts with 2FA.")
        device = serializers.CharField(
            required=False, allow_blank=True, max_length=100,
            help_text="A name for the device or client; a new token replaces that device's "
                      "previous one. Default: the User-Agent header.")

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField(help_text="The token stops working at this time.")
        device = serializers.CharField()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenOutputSerializer,
            401: OpenApiResponse(ErrorSerializer, description=(
                "`invalid_credentials`: the same answer for a wrong password, a missing and a "
                "wrong 2FA code.")),
            403: OpenApiResponse(ErrorSerializer, description=(
                "`email_unverified`: confirm the email address first.")),
            429: OpenApiResponse(ErrorSerializer, description=(
                "`rate_limited`: too many failed attempts for this account or address, on any "
                "host or the sign-in page; retry after `Retry-After` seconds.")),
        },
        operation_id="auth_token_create",
    )
    def post(self, request: Request) -> Response:
        serializer = self.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            # The sign-in page's limit on all attempts per address, then the failed-attempt ones.
            if not ratelimit.consume(request._request, action="login"):
                raise exceptions.Throttled(wait=60)
            user = signin.credentials_check(
                request=request._request, email=data["email"].lower(), password=data["password"],
                code=data.get("code", "").strip())
        except signin.SignInRateLimited as limited:
            raise exceptions.Throttled(wait=limited.retry_after) from None
        if not signin.email_verified(user):
            raise signin.EmailUnverified(gettext(
                "Confirm your email address (the link we sent you) before requesting a token."))
        device = data.get("device") or request.headers.get("User-Agent", "") or "API client"
        token, secret = tokens.api_token_issue(user=user, device=device)
        return Response(
            {"token": secret, "expiry": token.expiry, "device": token.device},
            status=status.HTTP_200_OK,
        )
