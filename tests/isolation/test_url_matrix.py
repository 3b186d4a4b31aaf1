"""Cross-tenant matrix: every URL pattern of both URL confs, called by a stranger with the other party's real ids."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from string import Template
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image

from accounts.audit import audit_action
from accounts.models import ApiToken, AuditLogEntry
from accounts.tokens import api_token_issue
from catalog.models import (
    CsvImport,
    Product,
    ProductImage,
    ProductTranslation,
    StockAdjustment,
    StockBulkRequest,
    StockLevel,
    StockLocation,
    Variant,
)
from catalog.services import (
    outbox_publish_pending,
    product_image_add,
    product_translation_set,
    stock_adjust,
    stock_location_create,
)
from disputes.models import (
    Chargeback,
    ChargebackEvidence,
    ChargebackShare,
    Claim,
    ClaimAttachment,
    ClaimMessage,
    ClaimRefund,
)
from fulfillment.models import (
    Shipment,
    ShipmentLabel,
    ShipmentTrackingEvent,
    VendorOrder,
    VendorOrderLine,
)
from fulfillment.shipping.models import ShippingMethod, ShippingRateBand, ShippingZone
from fulfillment.shipping.services import BandInput, MethodInput, ZoneInput, shipping_zone_create
from marketplace.models import Category as MarketCategory
from marketplace.models import Listing, ListingTakedown, StoreFollow
from marketplace.services import category_create
from messaging import services as messaging_services
from messaging.models import Block, Message, MessageAttachment, MessageReport, MessagingBan, Thread
from notifications.models import Notification, NotificationPreference
from notifications.services import notify, unsubscribe_token
from orders import services as order_services
from orders.addresses import Address
from orders.models import CartItem, Order, SubOrder, TrackingReceipt
from payments.models import WebhookEvent
from payouts.exports import SIGNER_SALT
from payouts.models import (
    CommissionRule,
    ExportJob,
    Invoice,
    InvoiceCounter,
    JournalEntry,
    Transfer,
)
from promotions.models import Promotion
from reviews.models import Review, ReviewReport, ReviewVote
from storefront.models import StorefrontSettings
from support.models import DeadLetter, PrivacyRequest
from support.services.takedowns import listing_take_down
from tenants.domains import custom_domain_add
from tenants.models import CustomDomain
from tenants.models import Domain as TenantDomain
from tenants.services import public_tenant_ensure
from tests.factories import (
    ClaimFactory,
    MembershipFactory,
    OrderFactory,
    ProductFactory,
    TransferFactory,
    UserFactory,
)
from tests.factories.orders import sellable_variant
from tests.factories.vendors import live_vendor
from vendors import services as vendor_services
from vendors.models import (
    ApplicationDocument,
    Invitation,
    Membership,
    SellerIdentity,
    Vendor,
    VendorApplication,
    VendorOffboarding,
)
from vendors.seller_identity import seller_identity_save

pytestmark = pytest.mark.django_db

PUBLIC, TENANT = "config.urls_public", "config.urls_tenants"
PLATFORM_HOST = "marketplace.localhost"


# --- the patterns, walked from the URL confs themselves ------------------------------------------
@dataclass(frozen=True)
class Pattern:
    conf: str
    key: str  # the URL name (namespaced), or the route when unnamed; `#2` marks a shadowed duplicate
    route: str  # the full route: path() converters and re_path() groups as written
    kwargs: tuple[str, ...]
    methods: tuple[str, ...]  # beyond GET: what the view answers (DRF) or may answer (plain views)


_PATH_PARAM = re.compile(r"(?<!\?P)<(?:\w+:)?(\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def _route_piece(raw: str) -> str:
    return raw.removeprefix("^").removesuffix("$").replace("\\.", ".")


def _methods(callback: Any) -> tuple[str, ...]:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return ("POST",)  # a function view: POST is sent to all of them (405 where it is refused)
    return tuple(m.upper() for m in ("post", "put", "patch", "delete") if hasattr(view, m))


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        piece = _route_piece(str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + piece, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield prefix + piece, name, entry.callback


def url_patterns(conf: str) -> list[Pattern]:
    """Every pattern of `conf`, in resolution order (nothing here is a hand-kept list)."""
    found: list[Pattern] = []
    seen: dict[str, int] = {}
    for route, name, callback in _walk(get_resolver(conf).url_patterns, "", ""):
        key = name or route
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        params = tuple(_PATH_PARAM.findall(route) + _REGEX_PARAM.findall(route))
        found.append(Pattern(conf, key, route, params, _methods(callback)))
    return found


def url_fill(route: str, values: dict[str, str]) -> str:
    filled = _PATH_PARAM.sub(lambda m: values[m.group(1)], route)
    return "/" + _REGEX_PARAM.sub(lambda m: values[re.match(r"\(\?P<(\w+)>", m.group(0))[1]], filled)  # type: ignore[index]


# --- the expectation table -----------------------------------------------------------------------
class Category(Enum):
    PUBLIC = "public: anyone may read it; the other party's private data never shows"
    SELF = "own account: no id in the URL, shows and changes only the signed-in user's own things"
    OWN_BY_ID = "own objects by id: another buyer's id is refused, nothing changes"
    VENDOR = "vendor host only: members of the host's vendor; ids resolve in the host's schema only"
    OPS = "platform staff only: buyers and vendor staff are refused"
    AUTH = "sign-in, sign-up, password and 2FA flows: no object ids"
    SECRET_LINK = "a bearer link (the secret is the credential): read by design, acting needs the matching account"
    ASSET = "public media of the host's own schema only"
    WEBHOOK = "a signed webhook (Stripe's, carriers' tracking): POST only, refused without a valid signature"


@dataclass(frozen=True)
class Expect:
    category: Category
    reason: str = ""  # why, for every exemption and every status beyond the category's own
    skip_writes: bool = False  # send GET only (the reason says why)
    allow: dict[str, frozenset[int]] = field(default_factory=dict)  # actor -> extra statuses allowed
    values: dict[str, str] = field(default_factory=dict)  # kwarg -> world key, when the name is ambiguous
    # A valid JSON body for the writes ($names from the world), so they pass validation and reach
    # the object lookup: then only a refusal (403/404) will do, not 400.
    body: str = ""


PUB, SELF, OWN, VEN, OPS = Category.PUBLIC, Category.SELF, Category.OWN_BY_ID, Category.VENDOR, Category.OPS
AUTH_REASON = ("allauth's account pages act on the signed-in user's own account only and take no object id; "
               "POSTs would sign the actor out or change the actor's own credentials, so GET only")


def _auth(reason: str = AUTH_REASON) -> Expect:
    return Expect(Category.AUTH, reason=reason, skip_writes=True)


_ALLAUTH = [
    "account_login", "account_logout", "account_inactive", "account_signup", "account_reauthenticate",
    "account_request_reauthentication_code", "account_confirm_reauthentication_code", "account_email",
    "account_email_verification_sent", "account_change_password", "account_set_password",
    "account_reset_password", "account_confirm_login_code", "account_confirm_email",
    "account_reset_password_from_key_done", "account_reset_password_from_key", "account_reset_password_done",
    "mfa_index", "mfa_authenticate", "mfa_reauthenticate",
    "mfa_activate_totp", "mfa_deactivate_totp", "mfa_view_recovery_codes", "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
]
SHADOWED = ("allauth's own TOTP set-up, shadowed by the project's enrolment view mounted before it at the same "
            "route (accounts.enrolment.totp_activate): unreachable, the route is checked through the first")

_SHARED: dict[str, Expect] = {
    **{name: _auth() for name in _ALLAUTH},
    "mfa_activate_totp#2": _auth(SHADOWED),
    "account-api-tokens": Expect(SELF),
    "impersonation-stop": Expect(SELF, allow={"*": frozenset({403})}, reason=(
        "ends the caller's own impersonation (no id); refused 403 for anyone not impersonating")),
    "impersonation-handoff": Expect(SELF, allow={"*": frozenset({403})}, reason=(
        "a vendor host's end of an impersonation started in ops: no id; without a valid one-time token "
        "for this host it signs nobody in (403); tests/support/test_impersonation_vendor_host.py")),
    "account-api-token-revoke": Expect(OWN, allow={"*": frozenset({302})}, reason=(
        "revoking a key that is not the user's is a silent no-op that redirects to the user's own list; "
        "the snapshot proves the other buyer's token survives")),
    "set_language": Expect(SELF),
    "api-me": Expect(SELF),
    "api-token": _auth("issues a token for the posted credentials (no object id); tested in tests/accounts"),
    "api-schema": Expect(PUB, reason="the OpenAPI schema, for any signed-in user"),
    "api-docs": Expect(PUB, reason="Swagger UI around the schema"),
    "api-redoc": Expect(PUB, reason="ReDoc around the schema"),
    "media": Expect(Category.ASSET, values={"path": "media_path"}),
    "security-txt": Expect(PUB, reason="RFC 9116 contact file, the same on every host"),
    "favicon": Expect(PUB, allow={"*": frozenset({301})}, reason="a redirect to the static icon, the same on every host"),
}

EXPECTATIONS: dict[tuple[str, str], Expect] = {
    **{(PUBLIC, key): expect for key, expect in _SHARED.items()},
    **{(TENANT, key): expect for key, expect in _SHARED.items()},
    # platform host: marketplace
    (PUBLIC, "home"): Expect(PUB),
    (PUBLIC, "styleguide"): Expect(PUB, reason="the design system's documentation with sample data, no one's data"),
    (PUBLIC, "search"): Expect(PUB),
    (PUBLIC, "search-suggest"): Expect(PUB),
    (PUBLIC, "category"): Expect(PUB, values={"path": "category_path"}),
    (PUBLIC, "listing-short"): Expect(PUB, allow={"*": frozenset({301, 302})},
                                      reason="redirects to the listing's canonical URL"),
    (PUBLIC, "listing"): Expect(PUB),
    (PUBLIC, "api-listings"): Expect(PUB),
    (PUBLIC, "api-listings-suggest"): Expect(PUB),
    (PUBLIC, "api-listing-detail"): Expect(PUB),
    (PUBLIC, "api-categories"): Expect(PUB),
    (PUBLIC, "robots-txt"): Expect(PUB, reason="the same crawling rules for everyone"),
    (PUBLIC, "sitemap"): Expect(PUB),
    (PUBLIC, "tls-ask"): Expect(PUB, allow={"*": frozenset({404})}, reason=(
        "the TLS proxy's question (ADR 0092): 200 or 404 for the name in the query, no one's data")),
    (PUBLIC, "sitemap-section"): Expect(PUB, values={"section": "sitemap_section"}),
    (PUBLIC, "store-follow"): Expect(SELF, allow={"*": frozenset({302})}, values={"vendor_slug": "vendor_slug"},
                                     reason=("follows or unfollows the store for the signed-in user only (the "
                                             "snapshot proves the victim's follow of B survives); redirects to the "
                                             "user's own list")),
    (PUBLIC, "stores-followed"): Expect(SELF),
    (PUBLIC, "recommendations-home"): Expect(SELF, reason="the caller's own recently viewed and picks (ADR 0095)"),
    (PUBLIC, "recommendations-viewed"): Expect(PUB, reason=(
        "notes the caller's own view of a public listing (their own recently viewed list, cookie or rows of "
        "their own) and shows the rest of that list; the id names a public listing")),
    (PUBLIC, "ops-categories"): Expect(OPS),
    (PUBLIC, "ops-category-edit"): Expect(OPS),
    # platform host: buyer
    (PUBLIC, "cart"): Expect(SELF),
    (PUBLIC, "cart-add"): Expect(SELF),
    (PUBLIC, "cart-handoff"): Expect(SELF, allow={"*": frozenset({302})}, reason=(
        "adds to the caller's own cart only what a signed single-use token names; without one, back to the "
        "caller's cart with an error")),
    (PUBLIC, "cart-item-update"): Expect(OWN),
    (PUBLIC, "cart-prices-accept"): Expect(SELF),
    (PUBLIC, "cart-code"): Expect(SELF),
    (PUBLIC, "currency-set"): Expect(SELF, reason=(
        "stores the caller's own presentment currency in the caller's session; no id, no row written")),
    (PUBLIC, "checkout"): Expect(SELF),
    (PUBLIC, "checkout-return"): Expect(OWN),
    (PUBLIC, "checkout-guest"): Expect(SELF),
    (PUBLIC, "guest-account-create"): Expect(OWN),
    (PUBLIC, "order-track"): Expect(Category.SECRET_LINK, values={"token": "order_link"}),
    (PUBLIC, "order-list"): Expect(SELF),
    (PUBLIC, "order-detail"): Expect(OWN),
    (PUBLIC, "invoice-download"): Expect(OWN),
    (PUBLIC, "order-status"): Expect(OWN),
    (PUBLIC, "order-recommendations"): Expect(OWN),
    (PUBLIC, "order-pay"): Expect(OWN),
    (PUBLIC, "sub-order-cancel"): Expect(OWN),
    (PUBLIC, "api-cart"): Expect(SELF),
    (PUBLIC, "api-cart-items"): Expect(SELF),
    (PUBLIC, "api-cart-code"): Expect(SELF),
    (PUBLIC, "api-cart-item"): Expect(OWN, body='{"quantity": 1}'),
    (PUBLIC, "api-checkout"): Expect(SELF),
    (PUBLIC, "api-orders"): Expect(SELF),
    (PUBLIC, "api-order-detail"): Expect(OWN),
    (PUBLIC, "api-order-payment"): Expect(OWN),
    (PUBLIC, "api-order-claim"): Expect(OWN),
    (PUBLIC, "api-sub-order-cancel"): Expect(OWN),
    (PUBLIC, "buyer-claim-new"): Expect(OWN),
    (PUBLIC, "buyer-claim-list"): Expect(SELF),
    (PUBLIC, "buyer-claim-detail"): Expect(OWN),
    (PUBLIC, "buyer-claim-message"): Expect(OWN),
    (PUBLIC, "buyer-claim-escalate"): Expect(OWN),
    (PUBLIC, "buyer-claim-withdraw"): Expect(OWN),
    (PUBLIC, "buyer-claim-attachment"): Expect(OWN),
    (PUBLIC, "api-claims"): Expect(SELF),
    (PUBLIC, "api-claim-detail"): Expect(OWN),
    (PUBLIC, "api-claim-message"): Expect(OWN),
    (PUBLIC, "api-claim-escalate"): Expect(OWN),
    # platform host: buyer-vendor messages and notifications
    (PUBLIC, "buyer-thread-list"): Expect(SELF),
    (PUBLIC, "api-threads"): Expect(SELF),
    (PUBLIC, "api-thread-messages"): Expect(OWN, body='{"body": "Hijack"}'),
    (PUBLIC, "buyer-thread-detail"): Expect(OWN),
    (PUBLIC, "buyer-thread-attachment"): Expect(OWN, values={"attachment_id": "message_attachment_id"}),
    (PUBLIC, "buyer-message-report"): Expect(OWN),
    (PUBLIC, "buyer-question-new"): Expect(SELF, reason=(
        "the listing id is public (its page links here); asking opens the actor's own thread with the vendor")),
    (PUBLIC, "buyer-order-thread"): Expect(OWN),
    (PUBLIC, "notification-bell"): Expect(SELF),
    (PUBLIC, "notification-list"): Expect(SELF),
    (PUBLIC, "notification-read"): Expect(OWN),
    (PUBLIC, "notification-preferences"): Expect(SELF),
    (PUBLIC, "notification-unsubscribe"): Expect(Category.SECRET_LINK, values={"token": "unsubscribe_tampered"}, reason=(
        "the signed link in an email is the credential (one click, no sign-in, RFC 8058): whoever holds the "
        "victim's link may stop that kind of email by design; the matrix sends it altered, which is refused (400), "
        "and tests/notifications prove the real link works and altered ones change nothing")),
    (PUBLIC, "ops-thread-detail"): Expect(OPS),
    (PUBLIC, "ops-thread-attachment"): Expect(OPS, values={"attachment_id": "message_attachment_id"}),
    # platform host: reviews (the victim's review is held for moderation: only its author and ops see it)
    (PUBLIC, "buyer-reviews"): Expect(SELF),
    (PUBLIC, "review-new"): Expect(OWN, values={"line_id": "order_line_id"}),
    (PUBLIC, "review-helpful"): Expect(OWN),
    (PUBLIC, "review-report"): Expect(OWN),
    (PUBLIC, "listing-reviews"): Expect(PUB),
    (PUBLIC, "api-listing-reviews"): Expect(PUB),
    (PUBLIC, "api-reviews"): Expect(SELF),
    (PUBLIC, "api-review-helpful"): Expect(OWN),
    (PUBLIC, "api-review-reports"): Expect(OWN, body='{"reason": "Spam"}'),
    # platform host: seller applications and invitations
    (PUBLIC, "sell-start"): Expect(SELF),
    (PUBLIC, "sell-step"): Expect(SELF, values={"step": "sell_step"}),
    (PUBLIC, "sell-logo"): Expect(SELF),
    (PUBLIC, "sell-logo-download"): Expect(OWN),
    (PUBLIC, "sell-document-upload"): Expect(SELF),
    (PUBLIC, "sell-document-download"): Expect(OWN),
    (PUBLIC, "sell-document-remove"): Expect(OWN),
    (PUBLIC, "sell-slug-check"): Expect(PUB),
    (PUBLIC, "sell-submit"): Expect(SELF),
    (PUBLIC, "sell-status"): Expect(SELF),
    (PUBLIC, "sell-progress"): Expect(SELF),
    (PUBLIC, "sell-retry"): Expect(SELF),
    (PUBLIC, "invitation-accept"): Expect(Category.SECRET_LINK, reason=(
        "whoever holds the emailed link may read which vendor invites; accepting needs the invited address")),
    (PUBLIC, "api-applications"): Expect(SELF),
    (PUBLIC, "api-application-detail"): Expect(OWN),
    (PUBLIC, "api-application-documents"): Expect(OWN),
    (PUBLIC, "api-application-logo"): Expect(OWN),
    (PUBLIC, "api-application-submit"): Expect(OWN),
    (PUBLIC, "api-application-approve"): Expect(OPS),
    (PUBLIC, "api-application-reject"): Expect(OPS),
    (PUBLIC, "api-application-request-changes"): Expect(OPS),
    (PUBLIC, "api-slug-availability"): Expect(PUB),
    (PUBLIC, "api-vendor-status"): Expect(OPS, values={"action": "vendor_action"}),
    # platform host: ops console and ops API
    (PUBLIC, "ops-home"): Expect(OPS),
    (PUBLIC, "ops-claim-list"): Expect(OPS),
    (PUBLIC, "ops-claim-detail"): Expect(OPS),
    (PUBLIC, "ops-claim-decide"): Expect(OPS),
    (PUBLIC, "ops-claim-message"): Expect(OPS),
    (PUBLIC, "ops-claim-attachment"): Expect(OPS),
    (PUBLIC, "ops-dispute-list"): Expect(OPS),
    (PUBLIC, "ops-analytics"): Expect(OPS),
    (PUBLIC, "ops-moderation"): Expect(OPS),
    (PUBLIC, "ops-moderation-detail"): Expect(OPS),
    (PUBLIC, "ops-promotions"): Expect(OPS),
    (PUBLIC, "ops-promotion-end"): Expect(OPS),
    (PUBLIC, "ops-message-reports"): Expect(OPS),
    (PUBLIC, "ops-message-report-detail"): Expect(OPS),
    (PUBLIC, "api-ops-reviews"): Expect(OPS),
    (PUBLIC, "api-ops-review-moderation"): Expect(OPS, body='{"action": "approve"}'),
    (PUBLIC, "ops-dispute-detail"): Expect(OPS),
    (PUBLIC, "ops-evidence-file"): Expect(OPS),
    (PUBLIC, "ops-applications"): Expect(OPS),
    (PUBLIC, "ops-application-detail"): Expect(OPS),
    (PUBLIC, "ops-application-decide"): Expect(OPS, values={"decision": "application_decision"}),
    (PUBLIC, "ops-vendors"): Expect(OPS),
    (PUBLIC, "ops-vendor-progress"): Expect(OPS),
    (PUBLIC, "ops-vendor-retry"): Expect(OPS),
    (PUBLIC, "ops-vendor-status"): Expect(OPS, values={"action": "vendor_action"}),
    (PUBLIC, "ops-review-list"): Expect(OPS),
    (PUBLIC, "ops-review-decide"): Expect(OPS, values={"decision": "review_decision"}),
    (PUBLIC, "ops-webhooks"): Expect(OPS),
    (PUBLIC, "ops-webhook-detail"): Expect(OPS),
    (PUBLIC, "ops-webhook-replay"): Expect(OPS),
    (PUBLIC, "ops-dead-letters"): Expect(OPS),
    (PUBLIC, "ops-audit"): Expect(OPS),
    (PUBLIC, "ops-audit-csv"): Expect(OPS),
    (PUBLIC, "ops-users"): Expect(OPS),
    (PUBLIC, "ops-user-detail"): Expect(OPS),
    (PUBLIC, "ops-user-impersonate"): Expect(OPS),
    (PUBLIC, "ops-user-impersonate-vendor"): Expect(OPS),
    (PUBLIC, "ops-user-action"): Expect(OPS, values={"action": "user_action"}),
    (PUBLIC, "ops-dead-letter-detail"): Expect(OPS),
    (PUBLIC, "ops-dead-letter-retry"): Expect(OPS),
    (PUBLIC, "ops-dead-letter-discard"): Expect(OPS),
    (PUBLIC, "account-privacy"): Expect(SELF),
    (PUBLIC, "account-privacy-export"): Expect(SELF, allow={"*": frozenset({302})}, reason=(
        "queues an export of the signed-in user's own data (no object id); the snapshot proves the victim "
        "gets no request")),
    (PUBLIC, "account-privacy-erase"): Expect(SELF, skip_writes=True, reason=(
        "erases the signed-in actor's own account (no object id): a POST would erase the actor, not the "
        "victim; tested in tests/support/test_privacy.py")),
    (PUBLIC, "account-privacy-download"): Expect(OWN, values={"request_id": "privacy_request_id"}),
    (PUBLIC, "ops-support"): Expect(OPS),
    (PUBLIC, "ops-support-order"): Expect(OPS),
    (PUBLIC, "ops-support-refund"): Expect(OPS),
    (PUBLIC, "ops-support-takedown"): Expect(OPS),
    (PUBLIC, "ops-takedowns"): Expect(OPS),
    (PUBLIC, "ops-vendor-offboarding"): Expect(OPS),
    (PUBLIC, "ops-vendor-offboarding-action"): Expect(OPS, values={"action": "offboarding_action"}),
    (PUBLIC, "ops-takedown-decide"): Expect(OPS, values={"decision": "takedown_decision"}),
    (PUBLIC, "payouts:commission-rules"): Expect(OPS),
    (PUBLIC, "payouts:commission-rule-create"): Expect(OPS),
    (PUBLIC, "payouts:commission-rule-edit"): Expect(OPS),
    (PUBLIC, "payouts:commission-preview"): Expect(OPS),
    (PUBLIC, "payouts:ledger"): Expect(OPS),
    (PUBLIC, "payouts:ledger-adjustment"): Expect(OPS),
    (PUBLIC, "payouts:transfers"): Expect(OPS),
    (PUBLIC, "payouts:transfer-retry"): Expect(OPS),
    (PUBLIC, "payouts:payout-policies"): Expect(OPS),
    (PUBLIC, "payouts:finance"): Expect(OPS),
    (PUBLIC, "payouts:reconciliation"): Expect(OPS),
    (PUBLIC, "payouts:exports"): Expect(OPS),
    (PUBLIC, "payouts:invoices"): Expect(OPS),
    (PUBLIC, "payouts:invoice-download"): Expect(OPS),
    (PUBLIC, "payouts:export-progress"): Expect(OPS),
    (PUBLIC, "payouts:export-download"): Expect(OPS),
    (PUBLIC, "payouts:dac7"): Expect(OPS),
    (PUBLIC, "payouts:dac7-download"): Expect(OPS),
    (PUBLIC, "api-commission-rules"): Expect(OPS),
    (PUBLIC, "api-commission-rule"): Expect(OPS),
    (PUBLIC, "api-commission-preview"): Expect(OPS),
    (PUBLIC, "api-exports"): Expect(OPS),
    (PUBLIC, "api-export"): Expect(OPS),
    (PUBLIC, "api-transfer-retry"): Expect(OPS),
    (PUBLIC, "api-ops-claims"): Expect(OPS),
    (PUBLIC, "api-ops-claim-detail"): Expect(OPS),
    (PUBLIC, "api-ops-claim-decide"): Expect(OPS),
    (PUBLIC, "api-ops-claim-message"): Expect(OPS),
    (PUBLIC, "api-ops-chargebacks"): Expect(OPS),
    (PUBLIC, "api-ops-chargeback-submit"): Expect(OPS),
    (PUBLIC, "stripe-webhook"): Expect(Category.WEBHOOK),
    (PUBLIC, "tracking-webhook"): Expect(Category.WEBHOOK),
    # vendor host: storefront, dashboard and vendor API
    (TENANT, "storefront-home"): Expect(PUB),
    (TENANT, "robots-txt"): Expect(PUB, reason="the same crawling rules for everyone"),
    (TENANT, "sitemap"): Expect(PUB),
    (TENANT, "sitemap-section"): Expect(PUB, values={"section": "sitemap_section"}),
    (TENANT, "storefront-about"): Expect(PUB),
    (TENANT, "storefront-product-short"): Expect(PUB, allow={"*": frozenset({301})},
                                                 reason="redirects to the product's address with its handle"),
    (TENANT, "storefront-product"): Expect(PUB),
    (TENANT, "storefront-cart-add"): Expect(SELF, allow={"*": frozenset({303})}, reason=(
        "hands the posted item to the caller's own platform cart in a signed token (303 to the platform); "
        "it writes nothing itself")),
    (TENANT, "dashboard-home"): Expect(VEN),
    (TENANT, "dashboard-products"): Expect(VEN),
    (TENANT, "dashboard-products-bulk"): Expect(VEN),
    (TENANT, "dashboard-product-new"): Expect(VEN),
    (TENANT, "dashboard-export"): Expect(VEN),
    (TENANT, "dashboard-product"): Expect(VEN),
    (TENANT, "dashboard-variant-add"): Expect(VEN),
    (TENANT, "dashboard-variant-edit"): Expect(VEN),
    (TENANT, "dashboard-variant-delete"): Expect(VEN),
    (TENANT, "dashboard-image-add"): Expect(VEN),
    (TENANT, "dashboard-image-main"): Expect(VEN),
    (TENANT, "dashboard-image-delete"): Expect(VEN),
    (TENANT, "dashboard-stock"): Expect(VEN),
    (TENANT, "dashboard-low-stock"): Expect(VEN),
    (TENANT, "dashboard-stock-locations"): Expect(VEN),
    (TENANT, "dashboard-stock-location"): Expect(VEN),
    (TENANT, "dashboard-stock-location-delete"): Expect(VEN),
    (TENANT, "dashboard-imports"): Expect(VEN),
    (TENANT, "dashboard-import"): Expect(VEN),
    (TENANT, "dashboard-go-live"): Expect(VEN),
    (TENANT, "dashboard-stripe-onboard"): Expect(VEN),
    (TENANT, "dashboard-stripe-return"): Expect(VEN),
    (TENANT, "dashboard-stripe-refresh"): Expect(VEN),
    (TENANT, "dashboard-team"): Expect(VEN),
    (TENANT, "dashboard-tax-identity"): Expect(VEN),
    (TENANT, "dashboard-product-translations"): Expect(VEN),
    (TENANT, "dashboard-member-remove"): Expect(VEN),
    (TENANT, "dashboard-invitation-revoke"): Expect(VEN),
    (TENANT, "dashboard-storefront"): Expect(VEN),
    (TENANT, "dashboard-domains"): Expect(VEN),
    (TENANT, "dashboard-domain-verify"): Expect(VEN),
    (TENANT, "dashboard-domain-remove"): Expect(VEN),
    (TENANT, "fulfillment-orders"): Expect(VEN),
    (TENANT, "fulfillment-order-detail"): Expect(VEN),
    (TENANT, "fulfillment-order-ship"): Expect(VEN),
    (TENANT, "fulfillment-line-cancel"): Expect(VEN),
    (TENANT, "fulfillment-order-delivered"): Expect(VEN),
    (TENANT, "fulfillment-packing-slip"): Expect(VEN),
    (TENANT, "fulfillment-label-create"): Expect(VEN),
    (TENANT, "fulfillment-label-pdf"): Expect(VEN),
    (TENANT, "dashboard-shipping"): Expect(VEN),
    (TENANT, "dashboard-shipping-zone-new"): Expect(VEN),
    (TENANT, "dashboard-shipping-zone"): Expect(VEN),
    (TENANT, "dashboard-shipping-zone-delete"): Expect(VEN),
    (TENANT, "dashboard-shipping-method-add"): Expect(VEN),
    (TENANT, "dashboard-shipping-method-delete"): Expect(VEN),
    (TENANT, "vendor-claim-list"): Expect(VEN),
    (TENANT, "vendor-claim-policy"): Expect(VEN),
    (TENANT, "vendor-claim-detail"): Expect(VEN),
    (TENANT, "vendor-claim-accept"): Expect(VEN),
    (TENANT, "vendor-claim-reject"): Expect(VEN),
    (TENANT, "vendor-claim-return-received"): Expect(VEN),
    (TENANT, "vendor-claim-message"): Expect(VEN),
    (TENANT, "vendor-claim-attachment"): Expect(VEN),
    (TENANT, "vendor-chargeback-list"): Expect(VEN),
    (TENANT, "vendor-chargeback-detail"): Expect(VEN),
    (TENANT, "vendor-evidence-file"): Expect(VEN),
    (TENANT, "vendor-thread-list"): Expect(VEN),
    (TENANT, "api-vendor-threads"): Expect(VEN),
    (TENANT, "api-vendor-thread-messages"): Expect(VEN, body='{"body": "Hijack"}'),
    (TENANT, "vendor-thread-detail"): Expect(VEN),
    (TENANT, "vendor-thread-attachment"): Expect(VEN, values={"attachment_id": "message_attachment_id"}),
    (TENANT, "vendor-message-report"): Expect(VEN),
    (TENANT, "vendor-thread-block"): Expect(VEN),
    (TENANT, "notification-bell"): Expect(SELF),
    (TENANT, "vendor-analytics"): Expect(VEN),
    (TENANT, "vendor-analytics-export"): Expect(VEN),
    (TENANT, "vendor-product-analytics"): Expect(VEN),
    (TENANT, "vendor-reviews"): Expect(VEN),
    (TENANT, "vendor-review-reply"): Expect(VEN),
    (TENANT, "vendor-promotions"): Expect(VEN),
    (TENANT, "vendor-promotion-end"): Expect(VEN),
    (TENANT, "api-vendor-reviews"): Expect(VEN),
    (TENANT, "api-vendor-review-reply"): Expect(VEN, body='{"text": "Thanks"}'),
    (TENANT, "dashboard-money"): Expect(VEN),
    (TENANT, "dashboard-audit"): Expect(VEN),
    (TENANT, "dashboard-audit-csv"): Expect(VEN),
    (TENANT, "api-vendor-audit"): Expect(VEN),
    (TENANT, "dashboard-takedowns"): Expect(VEN),
    (TENANT, "dashboard-takedown"): Expect(VEN),
    (TENANT, "dashboard-close"): Expect(VEN),
    (TENANT, "dashboard-close-export"): Expect(VEN),
    (TENANT, "dashboard-money-statement"): Expect(VEN),
    (TENANT, "dashboard-invoices"): Expect(VEN),
    (TENANT, "dashboard-tax-report"): Expect(VEN),
    (TENANT, "dashboard-tax-report-download"): Expect(VEN),
    (TENANT, "dashboard-invoice-download"): Expect(VEN),
    (TENANT, "dashboard-money-stripe"): Expect(VEN),
    (TENANT, "vendor-products"): Expect(VEN),
    (TENANT, "vendor-product-detail"): Expect(VEN),
    (TENANT, "vendor-products-bulk"): Expect(VEN),
    (TENANT, "vendor-products-export"): Expect(VEN),
    (TENANT, "vendor-variants"): Expect(VEN),
    (TENANT, "vendor-variant-detail"): Expect(VEN),
    (TENANT, "vendor-variant-stock"): Expect(VEN),
    (TENANT, "vendor-stock-locations"): Expect(VEN),
    (TENANT, "vendor-stock-location"): Expect(VEN, body='{"name": "Hijacked", "country": "FR"}'),
    (TENANT, "vendor-stock-moves"): Expect(VEN, body=(
        '{"sku": "$variant_sku", "from_location_id": $location_id, "to_location_id": $default_location_id, '
        '"quantity": 1}')),
    (TENANT, "vendor-stock-bulk"): Expect(VEN, body='{"rows": [{"sku": "$variant_sku", "location_id": $location_id, '
                                                    '"set": 0}]}'),
    (TENANT, "vendor-images"): Expect(VEN),
    (TENANT, "vendor-imports"): Expect(VEN),
    (TENANT, "vendor-import-detail"): Expect(VEN),
    (TENANT, "vendor-profile"): Expect(VEN),
    (TENANT, "vendor-members"): Expect(VEN),
    (TENANT, "vendor-domains"): Expect(VEN),
    (TENANT, "vendor-domain-detail"): Expect(VEN),
    (TENANT, "vendor-domain-verify"): Expect(VEN),
    (TENANT, "vendor-invitations"): Expect(VEN),
    (TENANT, "vendor-member-detail"): Expect(VEN),
    (TENANT, "vendor-orders"): Expect(VEN),
    (TENANT, "vendor-order-detail"): Expect(VEN),
    (TENANT, "vendor-order-ship"): Expect(VEN, body='{"carrier": "dhl", "tracking_number": "JD000000000000000001", "lines": {"$line_id": 1}}'),
    (TENANT, "vendor-order-line-cancel"): Expect(VEN, body='{"quantity": 1}'),
    (TENANT, "vendor-order-delivered"): Expect(VEN, body='{"note": "Picked up"}'),
    (TENANT, "vendor-shipping-zones"): Expect(VEN),
    (TENANT, "vendor-shipping-zone"): Expect(VEN, body='{"name": "Hijack", "countries": ["DE"], "methods": [{"name": "S"}]}'),
    (TENANT, "vendor-money"): Expect(VEN),
    (TENANT, "vendor-money-transfer"): Expect(VEN),
    (TENANT, "api-vendor-claims"): Expect(VEN),
    (TENANT, "api-vendor-claim-detail"): Expect(VEN),
    (TENANT, "api-vendor-claim-accept"): Expect(VEN),
    (TENANT, "api-vendor-claim-reject"): Expect(VEN, body='{"reason": "Not as claimed"}'),
    (TENANT, "api-vendor-claim-return-received"): Expect(VEN),
    (TENANT, "api-vendor-claim-message"): Expect(VEN, body='{"body": "Hello"}'),
    (TENANT, "api-vendor-chargeback-evidence"): Expect(VEN, body='{"kind": "note", "text": "Mine"}'),
}


# --- actors ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    name: str
    conf: str
    describe: str


ACTORS = (
    Actor("buyer", PUBLIC, "another buyer, on the platform host, with the victim buyer's ids"),
    Actor("vendor_a_staff", PUBLIC, "vendor A's owner, on the platform host, with B's and the victim's ids"),
    Actor("a_on_b_host", TENANT, "vendor A's owner on vendor B's host, with B's ids"),
    Actor("a_on_own_host", TENANT, "vendor A's owner on A's own host, with B's ids"),
    Actor("buyer_on_b_host", TENANT, "another buyer on vendor B's host, with B's ids"),
)

# Statuses that refuse without telling anything. 400/422 only for writes with an empty body: the
# snapshot proves nothing changed, and GET proves the lookup is scoped.
REFUSED = frozenset({403, 404, 405})
REFUSED_WRITE = REFUSED | {400, 415, 422}
WRITES_SENT_AS_JSON = "api/"

# Strings only the victims (vendor B, buyer X) may ever see; any of them in any answer is a leak.
SECRETS = (
    "Bravo Hidden Draft Lantern", "matrix-secret-import.csv", "victim-buyer@example.com",
    "Victoria Victimbuyer", "Geheimweg 42", "Victim secret claim text", "dp_matrix_secret",
    "Bravo secret evidence note", "secret-manager@bravo.example.com", "Victim Secret Trading",
    "Victim secret question text", "victim-secret-photo.png", "Victim secret notice",
    "Victim held review words",
    "Bravo secret audit reason",
    "Bravo secret takedown reason",
    "JD000000000000424242",  # B's label's tracking number
    "Bravo secret shipping zone",
    "Bravo Secret Tax Name", "18181508155", "Bravo Geheime Laterne",
    "Bravo secret depot",
    "Bravo secret sale", "BRAVOSECRET",
    "bravo-secret-shop.example.com",  # B's custom domain (ADR 0092)
)


# --- the world: the victims' real objects, made once for the module ------------------------------
def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _ids_beyond(schema_a: str, schema_b: str) -> None:
    """B's next ids in each vendor table come after every id A's schema holds: a committing test of
    another module may have left rows in A's schema, and A's owner may legitimately open A's own."""
    for model in (Product, Variant, ProductImage, CsvImport, VendorOrder, VendorOrderLine, ShippingZone,
                  ShippingMethod, StockLocation):
        table = model._meta.db_table
        with schema_context(schema_a):
            highest = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with connection.cursor() as cursor:
            sequence = f"{schema_b}.{table}"
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                           "GREATEST(%s, nextval(pg_get_serial_sequence(%s, 'id'))))", [sequence, highest, sequence])


def _world_build() -> dict[str, Any]:
    public_tenant_ensure()
    vendor_a, vendor_b = live_vendor("alpha"), live_vendor("bravo")
    owner_a = vendor_a.memberships.get(role="owner").user
    owner_b = vendor_b.memberships.get(role="owner").user
    victim = UserFactory(email="victim-buyer@example.com", full_name="Victoria Victimbuyer")
    other = UserFactory(email="matrix-other-buyer@example.com", full_name="Otto Other")
    schema_b = vendor_b.store.schema_name
    _ids_beyond(vendor_a.store.schema_name, schema_b)

    with schema_context(schema_b):
        listed = ProductFactory(name="Bravo Listed Kettle", sku="BRAVO-LISTED", stock=20)
        listed_variant = listed.variants.get()
        outbox_publish_pending()
        media_image = product_image_add(product=listed, upload=SimpleUploadedFile("k.png", _png()))
    listing = Listing.objects.get(vendor=vendor_b, product_id=listed.pk)
    with schema_context(schema_b):
        taken = ProductFactory(name="Bravo Taken Down Jug", sku="BRAVO-TAKEN", stock=3)
        outbox_publish_pending()
    privacy_request = PrivacyRequest.objects.create(user=victim, kind="export", status="ready", origin="buyer",
                                                    file_name="privacy-exports/matrix.zip")
    takedown = listing_take_down(listing_id=Listing.objects.get(vendor=vendor_b, product_id=taken.pk).pk,
                                 actor=None, reason="Bravo secret takedown reason")
    draft_variant = sellable_variant(vendor_b, name="Bravo Hidden Draft Lantern", status="draft")
    with schema_context(schema_b):
        draft = Product.objects.get(pk=draft_variant.product_id)
        draft_image = product_image_add(product=draft, upload=SimpleUploadedFile("d.png", _png()))
        product_translation_set(product=draft, language="de", name="Bravo Geheime Laterne")
        csv_import = CsvImport.objects.create(original_name="matrix-secret-import.csv")
        depot = stock_location_create(name="Bravo secret depot", country="DE", priority=5)
        stock_adjust(variant=draft_variant, delta=3, reason="received", location=depot)
        default_location = StockLocation.objects.get(is_default=True)

    address = Address(name="Victoria Victimbuyer", line1="Geheimweg 42", line2="", city="Berlin", region="",
                      postal_code="10115", country="DE")
    order = OrderFactory(buyer=victim, items=[(vendor_b, listed_variant, 2)], address=address, vendor_copies=True)
    sub = order.sub_orders.get()
    invoice = Invoice.objects.get(sub_order=sub, kind="invoice")
    claim = ClaimFactory(sub_order=sub, description="Victim secret claim text",
                         attachments=[SimpleUploadedFile("c.png", _png(), content_type="image/png")])
    transfer = TransferFactory(sub_order=sub)
    order_line = sub.lines.get()
    # Held for moderation (a link): no one but its author and ops may see or act on it.
    review = Review.objects.create(order_line=order_line, buyer=victim, vendor=vendor_b,
                                   product_id=order_line.product_id, product_name=order_line.name, rating=2,
                                   text="Victim held review words www.example.com", flags=["links"],
                                   status=Review.Status.PENDING)
    # B's own sale (a code only B's dashboard shows): another vendor may neither see nor end it.
    promotion = Promotion.objects.create(name="Bravo secret sale", code="BRAVOSECRET", vendor=vendor_b,
                                         funded_by="vendor", kind="percent", percent_bp=1500)
    chargeback = Chargeback.objects.create(stripe_dispute_id="dp_matrix_secret", order=order, amount=500,
                                           currency="EUR", stripe_status="needs_response")
    ChargebackShare.objects.create(chargeback=chargeback, sub_order=sub, vendor=vendor_b, amount=500)
    evidence = ChargebackEvidence.objects.create(chargeback=chargeback, vendor=vendor_b, kind="note",
                                                 text="Bravo secret evidence note", created_by=owner_b)
    evidence.file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))  # the file views 404 without one
    StoreFollow.objects.create(user=victim, vendor=vendor_b)
    cart = order_services.cart_for(user=victim, create=True)
    cart_item = order_services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=listed_variant.pk)

    manager = MembershipFactory(user=UserFactory(email="secret-manager@bravo.example.com"), vendor=vendor_b,
                                role="manager")
    invitation, invitation_secret = vendor_services.invitation_create(
        vendor=vendor_b, actor=owner_b, email="invitee@bravo.example.com", role="staff")
    application = vendor_services.application_create(applicant=victim, business_name="Victim Secret Trading")
    document = vendor_services.application_document_add(
        application=application, actor=victim, upload=SimpleUploadedFile("id.pdf", b"%PDF-1.4\n%%EOF\n"))
    vendor_services.application_logo_set(application=application, actor=victim,
                                         upload=SimpleUploadedFile("logo.png", _png(), content_type="image/png"))

    thread = messaging_services.question_ask(
        buyer=victim, listing_id=listing.pk, body="Victim secret question text",
        attachments=[SimpleUploadedFile("victim-secret-photo.png", _png(), content_type="image/png")])
    vendor_message = messaging_services.message_post(thread=thread, author=owner_b, role="vendor", body="Answer")
    message_report = messaging_services.message_report(thread=thread, message_id=vendor_message.pk, reporter=victim,
                                                       role="buyer", reason="Victim secret report reason")
    notice = notify("message_received", recipient=victim, link="http://marketplace.localhost/messages/",
                    context={"sender_name": "Victim secret notice", "subject": "S"})
    assert notice is not None
    unsubscribe = unsubscribe_token(user_id=victim.pk, kind="message_received")

    token, _secret = api_token_issue(user=victim, device="victim phone")
    category = category_create(name="Matrix Category")
    rule = CommissionRule.objects.create(scope="vendor", vendor=vendor_b, rate_bp=700, valid_from=timezone.now())
    event = WebhookEvent.objects.create(stripe_id="evt_matrix", type="charge.succeeded", created=0, payload={},
                                        raw_body="{}", received_at=timezone.now())
    job = ExportJob.objects.create(kind="payout_report", format="csv", params_checksum="matrix")
    dead_letter = DeadLetter.objects.create(fingerprint="matrix", task_name="payouts.transfer_execute",
                                            args=[1], exception_type="GatewayUnavailable",
                                            first_failed_at=timezone.now(), last_failed_at=timezone.now())

    with schema_context(schema_b):
        vendor_order = VendorOrder.objects.get(sub_order_id=sub.pk)
        line = vendor_order.lines.get()
        label = ShipmentLabel.objects.create(vendor_order=vendor_order, provider="local", provider_label_id="lbl_m",
                                             carrier="dhl", tracking_number="JD000000000000424242",
                                             pdf=b"%PDF-1.4\n%%EOF\n")
        zone = shipping_zone_create(data=ZoneInput(name="Bravo secret shipping zone", countries=("IS",), methods=(
            MethodInput(name="Standard", flat_amount=700),
            MethodInput(name="Express", kind="express", rate_kind="weight", bands=(BandInput(0, None, 1500),)),
        )), actor=owner_b)
        shipping_method = zone.methods.get(name="Express")
    # A's own schema must not hold objects with B's ids, or A's owner would legitimately see A's own.
    with schema_context(vendor_a.store.schema_name):
        assert not Product.objects.filter(pk__in=[draft.pk, listed.pk]).exists()
        assert not CsvImport.objects.filter(pk=csv_import.pk).exists()
        assert not VendorOrder.objects.filter(pk=vendor_order.pk).exists()
        assert not ShippingZone.objects.filter(pk=zone.pk).exists()
        assert not ShippingMethod.objects.filter(pk=shipping_method.pk).exists()

    # An entry of B's audit log: its reason must never show to A (dashboard page, CSV, API).
    audit_action(actor=owner_b, action="matrix.secret", target=vendor_b, reason="Bravo secret audit reason")
    # B's DAC7 identity: its name and TIN never show to A (tax identity page, tax report, downloads).
    # B's own domain, claimed: its name, token and state never show to A, nor change.
    custom_domain = custom_domain_add(store=vendor_b.store, domain="bravo-secret-shop.example.com")
    seller_identity_save(vendor=vendor_b, data={
        "kind": "entity", "legal_name": "Bravo Secret Tax Name GmbH", "tin": "181/815/08155", "tin_country": "DE",
        "street": "Geheimstraße 7", "postal_code": "10115", "city": "Berlin", "address_country": "DE",
        "business_registration_number": "HRB 99999"})

    values = {
        # vendor B's schema
        "product_id": draft.pk, "variant_id": draft_variant.pk, "image_id": draft_image.pk,
        "location_id": depot.pk, "default_location_id": default_location.pk, "variant_sku": draft_variant.sku,
        "import_id": csv_import.pk, "vendor_order_id": vendor_order.pk, "line_id": line.pk, "label_id": label.pk,
        "zone_id": zone.pk, "method_id": shipping_method.pk,
        "media_path": f"{schema_b}/{media_image.image.name}",
        # public schema, B's or the victim buyer's
        "order_id": order.pk, "sub_order_id": sub.pk, "item_id": cart_item.pk, "claim_id": claim.pk,
        "attachment_id": ClaimAttachment.objects.filter(claim=claim).values_list("pk", flat=True).first(),
        "chargeback_id": chargeback.pk, "invoice_id": invoice.pk, "evidence_id": evidence.pk, "transfer_id": transfer.pk,
        "review_id": review.pk, "order_line_id": order_line.pk, "promotion_id": promotion.pk,
        "membership_id": manager.pk, "invitation_id": invitation.pk, "secret": invitation_secret,
        "vendor_id": vendor_b.pk, "application_id": application.pk, "document_id": document.pk,
        "token_key": token.token_key, "listing_id": listing.pk, "handle": listing.handle,
        "category_id": category.pk, "category_path": category.path, "rule_id": rule.pk, "event_id": event.pk,
        "job_id": job.pk, "dead_letter_id": dead_letter.pk, "takedown_id": takedown.pk, "privacy_request_id": privacy_request.pk, "token": signing.TimestampSigner(salt=SIGNER_SALT).sign(str(job.pk)),
        # the signed link of the victim's (account) order: it asks to sign in, never shows the order
        "order_link": order_services.order_link_token(order=order),
        # not objects: fixed words the routes take
        "sell_step": "business", "application_decision": "approve", "review_decision": "approve",
        "vendor_action": "suspend",
        # messages and notifications (public schema): the victim's thread with B, its file, a notice
        "thread_id": thread.pk, "message_id": vendor_message.pk, "notification_id": notice.pk,
        "report_id": message_report.pk,
        "message_attachment_id": MessageAttachment.objects.get(message__thread=thread).pk,
        "unsubscribe_tampered": unsubscribe[:-3] + ("aaa" if not unsubscribe.endswith("aaa") else "bbb"),
        "user_id": victim.pk, "user_action": "disable",
        "takedown_decision": "restore", "offboarding_action": "close",
        "period": timezone.now().strftime("%Y-%m"), "fmt": "csv", "year": timezone.now().year,
        "key": "matrix-key", "uidb36": "1", "provider": "easypost",
        "sitemap_section": "products", "vendor_slug": vendor_b.slug,
        "domain_id": custom_domain.pk,
    }
    return {"values": {k: str(v) for k, v in values.items()}, "vendor_a": vendor_a, "vendor_b": vendor_b,
            "owner_a": owner_a, "owner_b": owner_b, "victim": victim, "other": other, "schema_b": schema_b}


OBJECT_IDS = frozenset({
    "product_id", "variant_id", "image_id", "import_id", "vendor_order_id", "line_id", "order_id", "sub_order_id",
    "zone_id", "method_id",
    "item_id", "claim_id", "attachment_id", "chargeback_id", "evidence_id", "transfer_id", "membership_id",
    "invitation_id", "vendor_id", "application_id", "document_id", "token_key", "listing_id", "category_id",
    "rule_id", "event_id", "job_id", "dead_letter_id", "token", "secret", "path", "thread_id", "message_id",
    "notification_id", "report_id",
    "review_id", "order_line_id", "promotion_id",
    "user_id",
    "takedown_id", "privacy_request_id",
    "invoice_id", "label_id",
    "location_id",
    "domain_id",
})


def snapshot(world: dict[str, Any]) -> dict[str, Any]:
    """Every row of the victims' objects, whole: a write that changes any field shows here."""
    victim, vendor_b = world["victim"], world["vendor_b"]

    def rows(queryset: Any) -> list[dict[str, Any]]:
        return list(queryset.order_by("pk").values())

    state: dict[str, Any] = {}
    with schema_context(world["schema_b"]):
        for model in (Product, Variant, ProductImage, ProductTranslation, StockAdjustment, CsvImport, VendorOrder,
                      VendorOrderLine, Shipment, ShipmentLabel, ShipmentTrackingEvent, StorefrontSettings,
                      ShippingZone, ShippingMethod, ShippingRateBand, StockLocation, StockLevel, StockBulkRequest):
            state[model.__name__] = rows(model.objects.all())
    state.update({
        "orders": rows(Order.objects.filter(buyer=victim)),
        "sub_orders": rows(SubOrder.objects.filter(order__buyer=victim)),
        "cart_items": rows(CartItem.objects.filter(cart__user=victim)),
        "claims": rows(Claim.objects.filter(order__buyer=victim)),
        "claim_messages": rows(ClaimMessage.objects.filter(claim__order__buyer=victim)),
        "claim_refunds": rows(ClaimRefund.objects.filter(claim__order__buyer=victim)),
        "chargebacks": rows(Chargeback.objects.filter(order__buyer=victim)),
        "evidence": rows(ChargebackEvidence.objects.filter(vendor=vendor_b)),
        "transfers": rows(Transfer.objects.filter(vendor=vendor_b)),
        "journal": JournalEntry.objects.count(),
        "memberships": rows(Membership.objects.filter(vendor=vendor_b)),
        "invitations": rows(Invitation.objects.filter(vendor=vendor_b)),
        "vendor": rows(Vendor.objects.filter(pk=vendor_b.pk)),
        "applications": rows(VendorApplication.objects.filter(applicant=victim)),
        "documents": rows(ApplicationDocument.objects.filter(application__applicant=victim)),
        "tokens": sorted(ApiToken.objects.filter(user=victim).values_list("token_key", flat=True)),
        "victim": rows(type(victim).objects.filter(pk=victim.pk)),
        "categories": rows(MarketCategory.objects.all()),
        "rules": rows(CommissionRule.objects.all()),
        "webhooks": rows(WebhookEvent.objects.all()),
        "tracking_receipts": rows(TrackingReceipt.objects.all()),
        "exports": rows(ExportJob.objects.all()),
        "dead_letters": rows(DeadLetter.objects.all()),
        "threads": rows(Thread.objects.filter(buyer=victim)),
        "messages": rows(Message.objects.filter(thread__buyer=victim)),
        "message_attachments": rows(MessageAttachment.objects.filter(message__thread__buyer=victim)),
        "message_reports": rows(MessageReport.objects.all()),
        "messaging_bans": rows(MessagingBan.objects.all()),
        "blocks": rows(Block.objects.all()),
        "notifications": rows(Notification.objects.filter(recipient=victim)),
        "notification_preferences": rows(NotificationPreference.objects.filter(user=victim)),
        "reviews": rows(Review.objects.filter(buyer=victim)),
        "promotions": rows(Promotion.objects.all()),
        "review_votes": rows(ReviewVote.objects.all()),
        "review_reports": rows(ReviewReport.objects.all()),
        "audit_of_b": AuditLogEntry.objects.filter(vendor_id=vendor_b.pk).count(),
        "victim_mfa": Authenticator.objects.filter(user=victim).count(),
        "takedowns": rows(ListingTakedown.objects.all()),
        "privacy": rows(PrivacyRequest.objects.filter(user=victim)),
        "offboardings": rows(VendorOffboarding.objects.filter(vendor=vendor_b)),
        "seller_identities": rows(SellerIdentity.objects.filter(vendor=vendor_b)),
        "listings": rows(Listing.objects.filter(vendor=vendor_b)),
        "invoices": rows(Invoice.objects.filter(vendor=vendor_b)),
        "invoice_counters": rows(InvoiceCounter.objects.filter(vendor=vendor_b)),
        "impersonations": AuditLogEntry.objects.filter(verb="impersonation.start").count(),
        "store_follows": rows(StoreFollow.objects.filter(user=victim)),
        "custom_domains": rows(CustomDomain.objects.filter(store=vendor_b.store)),
        "routed_domains": rows(TenantDomain.objects.filter(tenant=vendor_b.store)),
    })
    return state


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Any]]:
    """Made once, inside a transaction that is rolled back after the module: each test runs in a
    savepoint of it (pytest-django's), so the victims' objects are the same for every call."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media / "public",
                                                       PRIVATE_MEDIA_ROOT=media / "private"):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = _world_build()
            # Every test runs in a savepoint rolled back after it: this is the state each one starts from.
            world["baseline"] = snapshot(world)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.set_schema_to_public()


# --- the calls ------------------------------------------------------------------------------------
def _body(response: HttpResponseBase) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        content = response.content  # type: ignore[attr-defined]
    return content.decode("utf-8", errors="replace")


def _refused(response: HttpResponseBase, allowed: frozenset[int]) -> bool:
    if response.status_code in allowed:
        return True
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return "/accounts/login/" in location


def _client(actor: Actor, world: dict[str, Any]) -> Client:
    host = {"buyer": PLATFORM_HOST, "vendor_a_staff": PLATFORM_HOST, "a_on_b_host": world["vendor_b"].host,
            "a_on_own_host": world["vendor_a"].host, "buyer_on_b_host": world["vendor_b"].host}[actor.name]
    user = world["other"] if actor.name.startswith("buyer") else world["owner_a"]
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _must_refuse(expect: Expect, pattern: Pattern, actor: Actor) -> bool:
    """Whether this actor must be refused (else: the page is the actor's own or public)."""
    category = expect.category
    if category in (Category.OWN_BY_ID, Category.OPS):
        return True
    if category is Category.VENDOR:
        # On A's own host A's owner is at home: pages without an id are A's own (checked for leaks).
        return actor.name != "a_on_own_host" or any(name in OBJECT_IDS for name in pattern.kwargs)
    if category is Category.ASSET:
        return actor.name not in ("a_on_b_host", "buyer_on_b_host")  # B's public image on B's host
    return False


PATTERNS = [p for conf in (PUBLIC, TENANT) for p in url_patterns(conf)]
CASES = [(p, a) for p in PATTERNS for a in ACTORS if a.conf == p.conf]


def test_every_pattern_has_exactly_one_expectation() -> None:
    """A new URL without an expectation fails; so does an expectation whose URL is gone."""
    enumerated = {(p.conf, p.key) for p in PATTERNS}
    assert len(enumerated) == len(PATTERNS)
    missing = sorted(enumerated - EXPECTATIONS.keys())
    stale = sorted(EXPECTATIONS.keys() - enumerated)
    assert not missing, f"URL patterns without an expectation in {__name__}.EXPECTATIONS: {missing}"
    assert not stale, f"expectations for URL patterns that no longer exist: {stale}"
    unexplained = [key for key, e in EXPECTATIONS.items() if (e.skip_writes or e.allow) and not e.reason]
    assert not unexplained, f"exemptions without a reason: {unexplained}"


@pytest.mark.parametrize(("pattern", "actor"), CASES, ids=[f"{p.conf.split('_')[-1]}:{p.key}:{a.name}"
                                                           for p, a in CASES])
def test_stranger_gets_nothing_of_the_other_party(pattern: Pattern, actor: Actor, world: dict[str, Any]) -> None:
    expect = EXPECTATIONS.get((pattern.conf, pattern.key))
    if expect is None:
        pytest.fail(f"no expectation for {pattern.key} ({pattern.route}): add it to EXPECTATIONS")
    values = {name: world["values"][expect.values.get(name, name)] for name in pattern.kwargs}
    url = url_fill(pattern.route, values)
    if "#" not in pattern.key and pattern.key != pattern.route:  # the URL reaches this very pattern
        assert resolve(url, urlconf=pattern.conf).view_name == pattern.key, url
    client = _client(actor, world)
    refuse = _must_refuse(expect, pattern, actor)
    extra = expect.allow.get("*", frozenset()) | expect.allow.get(actor.name, frozenset())
    failures: list[str] = []

    def check(method: str, response: HttpResponseBase, allowed: frozenset[int]) -> None:
        status = response.status_code
        if status >= 500:
            failures.append(f"{method} {url}: server error {status}")
        if expect.category is Category.WEBHOOK:
            wanted = {400, 405}  # GET is not a delivery; a POST without the sender's signature is refused
            if status not in wanted:
                failures.append(f"{method} {url}: {status}, expected {sorted(wanted)} (no signature)")
        elif (refuse or (expect.category is Category.SECRET_LINK and method != "GET")) and not _refused(
                response, allowed | extra):
            failures.append(f"{method} {url}: {status}, expected refused {sorted(allowed | extra)}")
        body = _body(response)
        leaked = [s for s in SECRETS if s in body]
        if leaked:
            failures.append(f"{method} {url}: {status} shows the other party's {leaked}")

    check("GET", client.get(url), REFUSED)
    writes = () if expect.skip_writes else pattern.methods
    if writes:
        before = world["baseline"]
        for method in writes:
            if pattern.route.startswith(WRITES_SENT_AS_JSON):
                body = Template(expect.body).substitute(values | world["values"]) if expect.body else "{}"
                response = client.generic(method, url, body, content_type="application/json")
            else:
                response = client.generic(method, url, "", content_type="application/x-www-form-urlencoded")
            check(method, response, REFUSED if expect.body else REFUSED_WRITE)
        after = snapshot(world)
        changed = sorted(k for k in before if before[k] != after[k])
        if changed:
            failures.append(f"{'/'.join(writes)} {url} changed the other party's {changed}")
    assert not failures, f"{actor.describe}:\n" + "\n".join(failures)

