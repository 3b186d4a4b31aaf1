"""Catalog services: products, variants, prices, stock, status transitions and the outbox."""

from __future__ import annotations

import pytest
from django.db import transaction

from catalog import services
from catalog.models import OutboxEvent, Product, StockAdjustment, Variant
from common.exceptions import ApplicationError, Conflict

pytestmark = pytest.mark.django_db


def _create(**overrides):
    spec = {"name": "Wool Hat", "status": "active", "option_types": ["size"],
            "variants": [{"sku": "HAT-S", "price_amount": 1500, "stock": 3, "options": {"size": "S"}},
                         {"sku": "HAT-L", "price_amount": 1700, "stock": 0, "options": {"size": "L"}}]}
    spec.update(overrides)
    return services.product_create(**spec)


def test_create_product_with_variants_writes_stock_history_and_one_outbox_event(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _create()
        assert [v.sku for v in product.variants.all()] == ["HAT-S", "HAT-L"]
        assert product.variants.get(sku="HAT-S").currency == "EUR"
        initial = StockAdjustment.objects.get(variant__sku="HAT-S")
        assert (initial.delta, initial.stock_after, initial.reason) == (3, 3, "initial")
        events = list(OutboxEvent.objects.filter(product_id=product.pk))
        assert len(events) == 1
        payload = events[0].payload
        assert events[0].version == product.version
        assert (payload["price_min"], payload["price_max"], payload["stock_total"]) == (1500, 1700, 3)
        assert payload["handle"] == "wool-hat"


@pytest.mark.parametrize("price", [-1, 12.5, "12", True, 10**13])
def test_invalid_price_is_refused_and_nothing_is_written(vendor_a, in_schema, price):
    with in_schema(vendor_a):
        with pytest.raises(ApplicationError) as exc:
            _create(variants=[{"sku": "BAD", "price_amount": price}])
        assert "price_amount" in exc.value.fields
        assert not Product.objects.filter(name="Wool Hat").exists()
        assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(("text", "ok"), [("12.50", 1250), ("12.505", None), ("-1", None), ("abc", None),
                                          ("1e3", 100000), ("NaN", None)])
def test_price_parse_refuses_extra_decimals_and_negative(vendor_a, in_schema, text, ok):
    if ok is None:
        with pytest.raises(services.InvalidProduct):
            services.price_parse(text, currency="EUR")
    else:
        assert services.price_parse(text, currency="EUR") == ok


def test_wrong_currency_is_refused(vendor_a, in_schema):
    with in_schema(vendor_a), pytest.raises(services.InvalidProduct) as exc:
        _create(variants=[{"sku": "USD-1", "price_amount": 100, "currency": "USD"}])
    assert exc.value.fields == {"currency": ["wrong_currency"]}


def test_duplicate_sku_is_a_conflict_and_the_product_is_not_created(vendor_a, in_schema):
    with in_schema(vendor_a):
        _create()
        with pytest.raises(Conflict) as exc:
            _create(name="Other Hat", variants=[{"sku": "HAT-S", "price_amount": 100}])
        assert exc.value.code == "duplicate_sku"
        assert not Product.objects.filter(name="Other Hat").exists()


def test_description_is_sanitized(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _create(description='<p onclick="x()">Warm <script>alert(1)</script><b>wool</b></p>'
                                      '<a href="javascript:alert(1)">x</a>')
    assert "script" not in product.description
    assert "onclick" not in product.description
    assert "javascript" not in product.description
    assert "<b>wool</b>" in product.description


def test_status_transition_table_is_walked_completely(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _create(status="draft")
        for source, targets in services.STATUS_TRANSITIONS.items():
            Product.objects.filter(pk=product.pk).update(status=source)
            for target in Product.Status.values:
                Product.objects.filter(pk=product.pk).update(status=source)
                product.refresh_from_db()
                if target == source:
                    continue
                if target in targets:
                    assert services.product_update(product=product, status=target).status == target
                else:
                    with pytest.raises(services.InvalidTransition):
                        services.product_update(product=product, status=target)


def test_product_without_variants_cannot_be_activated(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = services.product_create(name="Empty", status="draft")
        with pytest.raises(services.InvalidTransition) as exc:
            services.product_update(product=product, status="active")
    assert exc.value.code == "no_variants"


def test_every_change_bumps_the_version_and_writes_an_event(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _create()
        v1 = product.version
        product = services.product_update(product=product, name="Wool Beanie")
        variant = Variant.objects.get(sku="HAT-S")
        services.variant_update(variant=variant, price_amount=1600)
        services.stock_adjust(variant=variant, delta=2, reason="received")
        product.refresh_from_db()
        versions = list(OutboxEvent.objects.filter(product_id=product.pk).values_list("version", flat=True))
    assert product.version == v1 + 3
    assert versions == [v1, v1 + 1, v1 + 2, v1 + 3]


def test_outbox_event_rolls_back_with_the_change(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _create()
        before = OutboxEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            services.product_update(product=product, name="Rolled back")
            raise RuntimeError
        product.refresh_from_db()
        assert product.name == "Wool Hat"
        assert OutboxEvent.objects.count() == before


def test_stock_adjustment_keeps_history_and_never_goes_below_zero(vendor_a, in_schema, owner_a):
    with in_schema(vendor_a):
        _create()
        variant = Variant.objects.get(sku="HAT-S")
        services.stock_adjust(variant=variant, delta=-2, reason="damaged", note="wet", user=owner_a)
        with pytest.raises(services.InvalidStockAdjustment):
            services.stock_adjust(variant=variant, delta=-5, reason="correction")
        with pytest.raises(services.InvalidStockAdjustment):
            services.stock_adjust(variant=variant, delta=0, reason="correction")
        with pytest.raises(services.InvalidStockAdjustment):
            services.stock_adjust(variant=variant, delta=1, reason="stolen-by-elves")
        variant.refresh_from_db()
        history = list(StockAdjustment.objects.filter(variant=variant).order_by("id"))
    assert variant.stock == 1
    assert [(h.delta, h.stock_after, h.reason) for h in history] == [(3, 3, "initial"), (-2, 1, "damaged")]
    assert history[1].user_email == owner_a.email and history[1].note == "wet"


def test_bulk_status_and_price_change(vendor_a, in_schema):
    with in_schema(vendor_a):
        first = _create()
        second = services.product_create(name="Scarf", status="draft",
                                         variants=[{"sku": "SC-1", "price_amount": 999}])
        empty = services.product_create(name="Nothing", status="draft")
        assert services.product_status_set(product_ids=[second.pk, empty.pk], status="active") == 1
        assert Product.objects.get(pk=empty.pk).status == "draft"
        services.product_prices_change(product_ids=[first.pk, second.pk], percent=10)
        prices = dict(Variant.objects.values_list("sku", "price_amount"))
        with pytest.raises(services.InvalidProduct):
            services.product_prices_change(product_ids=[first.pk], percent=-100)
    assert prices == {"HAT-S": 1650, "HAT-L": 1870, "SC-1": 1099}


def test_unknown_option_and_category_are_refused(vendor_a, in_schema):
    with in_schema(vendor_a):
        with pytest.raises(services.InvalidProduct) as exc:
            _create(variants=[{"sku": "X", "price_amount": 1, "options": {"colour": "red"}}])
        assert "options" in exc.value.fields
        with pytest.raises(services.InvalidProduct) as exc:
            _create(category_id=987654)
        assert exc.value.fields == {"category_id": ["unknown"]}
