"""Public marketplace API: `/api/v1/listings/` (search) and `/api/v1/categories/`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common import page_cache
from common.money import SUPPORTED_CURRENCIES
from common.ratelimit import RateLimitThrottle
from marketplace import search, selectors
from marketplace.errors import CurrencyUnsupported
from marketplace.models import Listing
from marketplace.presentment import Presentment, presentment_for
from marketplace.price_rates import price_rates


class PresentmentOutputSerializer(serializers.Serializer):
    """A listing's prices in the requested currency, converted as the cart and checkout convert
    them (ADR 0096)."""

    currency = serializers.CharField(help_text="The requested currency (ISO 4217).")
    converted = serializers.BooleanField(
        help_text="False when no exchange rate from the listing's currency within the allowed age is "
                  "known today: the amounts are then null, as the cart would refuse to convert it.")
    amount = serializers.IntegerField(allow_null=True, help_text="`price_min` in minor units of `currency`.")
    amount_max = serializers.IntegerField(allow_null=True, help_text="`price_max` in minor units of `currency`.")
    compare_at_amount = serializers.IntegerField(
        allow_null=True, help_text="`compare_at_amount` in minor units of `currency` (null when there is none).")
    rate = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True, coerce_to_string=True,
                                    help_text="Units of `currency` per one unit of the listing's currency.")
    rate_date = serializers.DateField(allow_null=True, help_text="The day of the reference rates used.")


def _presented(listing: Listing, presentment: Presentment) -> dict[str, Any]:
    quote = presentment.quote(listing.currency)
    if quote is None:
        return {"currency": presentment.currency, "converted": False, "amount": None, "amount_max": None,
                "compare_at_amount": None, "rate": None, "rate_date": None}

    def amount(value: int | None) -> int | None:
        return None if value is None else presentment.price(value, listing.currency).amount

    return {"currency": presentment.currency, "converted": True, "amount": amount(listing.price_min),
            "amount_max": amount(listing.price_max), "compare_at_amount": amount(listing.compare_at_amount),
            "rate": f"{quote.rate:.10f}", "rate_date": quote.date.isoformat()}


class ListingOutputSerializer(serializers.ModelSerializer):
    vendor = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    presentment = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = ["id", "title", "handle", "vendor", "category", "currency", "price_min", "price_max",
                  "compare_at_amount", "in_stock", "stock_total", "image_url", "thumbnail_url",
                  "attributes", "option_types", "product_created_at", "rating", "rating_count", "presentment"]

    @extend_schema_field(PresentmentOutputSerializer(allow_null=True, help_text=(
        "The prices in the requested `currency` (or the buyer's chosen one); null when neither is given.")))
    def get_presentment(self, obj: Listing) -> dict[str, Any] | None:
        presentment = self.context.get("presentment")
        return _presented(obj, presentment) if isinstance(presentment, Presentment) else None

    def get_vendor(self, obj: Listing) -> dict[str, Any]:
        return {"id": obj.vendor_id, "slug": obj.vendor.slug, "name": obj.vendor.name}

    def get_category(self, obj: Listing) -> dict[str, Any] | None:
        if obj.category is None:
            return None
        return {"id": obj.category.pk, "name": obj.category.name, "path": obj.category.path}


class ListingDetailSerializer(ListingOutputSerializer):
    class Meta(ListingOutputSerializer.Meta):
        fields = [*ListingOutputSerializer.Meta.fields, "description_html", "variants"]


class FacetOutputSerializer(serializers.Serializer):
    value = serializers.CharField()
    # A field named like DRF's `Field.label` attribute, which the stubs compare it with: the
    # serializer metaclass moves declared fields into `_declared_fields`, so nothing is shadowed.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField(help_text="Matching listings; with `capped`, at least this many.")
    selected = serializers.BooleanField()
    capped = serializers.BooleanField(
        help_text="True when the matches exceed the count cap: counted over a sample of them.")


class ListingSearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text=f"Matching listings, exact up to {search.TOTAL_CAP:,}; with `count_capped`, more than this.")
    count_capped = serializers.BooleanField(help_text=f"True when there are more than {search.TOTAL_CAP:,} matches.")
    corrected_q = serializers.CharField(
        allow_blank=True, help_text="The spelling-corrected query searched when `q` found nothing, else empty.")
    next_cursor = serializers.CharField(allow_null=True)
    results = ListingOutputSerializer(many=True)
    facets = serializers.DictField(child=FacetOutputSerializer(many=True))


def _facets(page: search.SearchPage) -> dict[str, Any]:
    return {
        name: [{"value": f.value, "label": f.label, "count": f.count, "selected": f.selected, "capped": f.capped}
               for f in facets]
        for name, facets in page.facets.items()
    }


def _search_payload(params: search.SearchParams, presentment: Presentment | None) -> dict[str, Any]:
    if presentment is not None:
        # One read of the rates serves the filter, the sort and every result's presentment.
        params = replace(params, rates=presentment.rates)
    page = search.search(params)
    return {
        "count": page.total,
        "count_capped": page.total_capped,
        "corrected_q": page.corrected_q,
        "next_cursor": page.next_cursor,
        "results": ListingOutputSerializer(page.results, many=True, context={"presentment": presentment}).data,
        "facets": _facets(page),
    }


def _requested_currency(request: Request) -> str | None:
    """The `currency` asked for (400 `currency_unsupported` for one the marketplace does not sell
    in), else the one the buyer chose in the header's switcher (a session), else None."""
    raw = request.query_params.get("currency", "")
    if raw:
        code = raw.strip().upper()
        if code not in SUPPORTED_CURRENCIES:
            raise CurrencyUnsupported(
                _("%(currency)s is not a currency this marketplace sells in.") % {"currency": raw[:12]},
                fields={"currency": [_("Choose one of %(list)s.") % {"list": ", ".join(SUPPORTED_CURRENCIES)}]},
            )
        return code
    return price_rates().buyer_choice(session=getattr(request._request, "session", None))


def _cached_response(request: Request, build: Any, currency: str | None) -> Response:
    """Anonymous answers come from the cache of this host, language and currency while the listing
    projection is unchanged, with ETag/Last-Modified; a current copy gets 304 (ADR 0065)."""
    data, validators = page_cache.cached_data(request._request, generation=search.projection_generation,
                                              build=build, vary=lambda _request: currency or "")
    if page_cache.not_modified(request._request, validators):
        return page_cache.validator_headers(Response(status=304), validators)
    return page_cache.validator_headers(Response(data), validators)


_TEXT = {"type": "string", "pattern": "^[^\\x00]*$"}
_CURRENCY_PARAMETER = OpenApiParameter(
    "currency", {"type": "string", "enum": ["", *SUPPORTED_CURRENCIES]}, description=(
        "The buyer's currency: prices filter and sort in it, and each listing gains `presentment`, its "
        "prices converted with today's reference rates as the cart converts them. Default: the currency "
        "the buyer chose (a session), else EUR without `presentment`. Another currency: 400 "
        "`currency_unsupported`."))
_SEARCH_PARAMETERS = [
    OpenApiParameter("q", _TEXT, description="Search words; a typo is corrected when nothing matches."),
    OpenApiParameter("category", _TEXT, description="A category path, e.g. `home/kitchen`."),
    OpenApiParameter("vendor", _TEXT, description="A vendor's slug."),
    OpenApiParameter("price_min", {"type": "string", "pattern": "^[0-9]{0,9}$"},
                     description="Major units of `currency`."),
    OpenApiParameter("price_max", {"type": "string", "pattern": "^[0-9]{0,9}$"},
                     description="Major units of `currency`."),
    _CURRENCY_PARAMETER,
    OpenApiParameter("in_stock", {"type": "string", "enum": ["", "1", "true", "on", "yes", "0", "false"]}),
    OpenApiParameter("attr", {"type": "string", "pattern": "^([A-Za-z0-9_-]([A-Za-z0-9_ -]{0,28}[A-Za-z0-9_-])?:.*[^\\s\\x00-\\x1f\\x7f].*)?$"},
                     description="`name:value`, e.g. `color:red` (repeat for more); empty: no filter."),
    OpenApiParameter("rating_min", {"type": "string", "enum": ["", *(str(n) for n in search.RATING_THRESHOLDS)]},
                     description="Listings rated at least this many stars (reviewed ones only)."),
    OpenApiParameter("sort", {"type": "string", "enum": ["", *search.SORTS]}, description="Default relevance."),
    OpenApiParameter("cursor", str, description=(
        "Opaque: the `next_cursor` of the previous page (same query and sort); any other value "
        "is refused with 400 `invalid`.")),
    OpenApiParameter("limit", {"type": "integer"},
                     description=f"Results per page, clamped to 1..{search.MAX_PAGE_SIZE}."),
]


class ListingSearchApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "search"

    @extend_schema(
        operation_id="listings_search",
        parameters=_SEARCH_PARAMETERS,
        responses=ListingSearchOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        currency = _requested_currency(request)
        query = request.query_params.copy()
        query["currency"] = currency or "EUR"
        params, errors = search.params_from_query(query)
        if errors:
            raise serializers.ValidationError(errors)
        return _cached_response(request, lambda: _search_payload(
            params, presentment_for(request._request, currency) if currency else None), currency)


class ListingDetailApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "search"

    @extend_schema(operation_id="listings_retrieve", parameters=[_CURRENCY_PARAMETER],
                   responses=ListingDetailSerializer)
    def get(self, request: Request, listing_id: int) -> Response:
        currency = _requested_currency(request)
        return _cached_response(request, lambda: ListingDetailSerializer(
            selectors.listing_visible(listing_id=listing_id),
            context={"presentment": presentment_for(request._request, currency) if currency else None}).data,
            currency)


class SuggestApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "search"

    @extend_schema(operation_id="listings_suggest", responses={200: None})
    def get(self, request: Request) -> Response:
        return Response({"suggestions": search.suggest(request.query_params.get("q", ""))})


class CategoryTreeApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(operation_id="categories_tree", responses={200: None})
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.categories_tree()})
