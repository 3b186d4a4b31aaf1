"""Translated product content (docs/adr/0089): the vendor's translations reach the listing
projection with their own text search vectors; search in German and French stems those languages
("Schuhe" finds "Schuh", "chaussures" finds "chaussure"); titles fall back to the vendor's own
text where no translation exists; translations are the vendor's only (dashboard page)."""

from __future__ import annotations

import pytest
from django.utils import translation

from catalog.errors import InvalidProduct
from catalog.services import (
    outbox_publish_pending,
    product_translation_delete,
    product_translation_set,
)
from marketplace import search
from marketplace.models import Listing, ListingTranslation
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _publish(vendor, in_schema) -> None:
    with in_schema(vendor):
        outbox_publish_pending()


def _search(q: str, language: str) -> list[str]:
    with translation.override(language):
        params, errors = search.params_from_query({"q": q})
        assert not errors
        return [listing.title for listing in search.search(params).results]


@pytest.fixture
def boot(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(name="Leather walking boot", description="<p>Sturdy boot</p>", status="active")
        product_translation_set(product=product, language="de", name="Schuh aus Leder",
                                description="<p>Ein fester Schuh</p>")
        product_translation_set(product=product, language="fr", name="Chaussure de randonnée",
                                description="<p>Une chaussure <script>x</script>solide</p>")
    _publish(vendor_a, in_schema)
    return product


def test_translations_reach_the_projection_sanitized_with_a_vector_per_language(boot, vendor_a):
    listing = Listing.objects.get(vendor=vendor_a, product_id=boot.pk)
    rows = {t.language: t for t in listing.translations.all()}
    assert sorted(rows) == ["de", "fr"]
    assert rows["de"].title == "Schuh aus Leder" and "'schuh':1A" in rows["de"].search_vector
    assert ("<script>" not in rows["fr"].description_html and rows["fr"].description_text == "Une chaussure xsolide") \
        or rows["fr"].description_text == "Une chaussure solide"


def test_german_and_french_stemming_find_the_other_forms(boot):
    assert _search("Schuhe", "de") == ["Schuh aus Leder"]
    assert _search("Leders", "de") == ["Schuh aus Leder"]
    assert _search("chaussures", "fr") == ["Chaussure de randonnée"]
    assert _search("randonnees", "fr") == ["Chaussure de randonnée"]  # unaccented, plural
    # English keeps the vendor's own text and English stemming.
    assert _search("boots", "en") == ["Leather walking boot"]
    assert _search("chaussures", "en") == []


def test_without_a_translation_the_vendor_text_is_shown_and_still_found(boot, vendor_a, in_schema):
    with in_schema(vendor_a):
        product_translation_delete(product=boot, language="de")
    _publish(vendor_a, in_schema)
    assert list(ListingTranslation.objects.filter(listing__product_id=boot.pk).values_list("language", flat=True)) \
        == ["fr"]
    assert _search("boot", "de") == ["Leather walking boot"]  # English vector, English title


def test_a_german_vendor_text_is_searched_with_german_stemming(vendor_b, in_schema):
    vendor_b.content_language = "de"
    vendor_b.save(update_fields=["content_language"])
    with in_schema(vendor_b):
        product = ProductFactory(name="Hausschuh", description="Warm", status="active")
    _publish(vendor_b, in_schema)
    assert ListingTranslation.objects.get(listing__product_id=product.pk, listing__vendor=vendor_b).language == "de"
    assert _search("Hausschuhe", "de") == ["Hausschuh"]
    with in_schema(vendor_b), pytest.raises(InvalidProduct) as excinfo:
        product_translation_set(product=product, language="de", name="Hausschuh")  # its own language
    assert "language" in excinfo.value.fields


def test_unknown_language_and_empty_title_are_refused(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(name="Cap", status="active")
        for language, name, field in (("xx", "Kappe", "language"), ("de", " ", "name")):
            with pytest.raises(InvalidProduct) as excinfo:
                product_translation_set(product=product, language=language, name=name)
            assert field in excinfo.value.fields
        assert not product.translations.exists()


def test_dashboard_page_edits_translations_of_the_hosts_vendor_only(boot, vendor_a, vendor_b, owner_a, owner_b,
                                                                   client_for, in_schema):
    client = client_for(vendor_a, owner_a)
    page = client.get(f"/dashboard/products/{boot.pk}/translations/")
    assert page.status_code == 200 and "Schuh aus Leder" in page.content.decode()
    bad = client.post(f"/dashboard/products/{boot.pk}/translations/", {"language": "de", "name": ""})
    assert bad.status_code == 400
    saved = client.post(f"/dashboard/products/{boot.pk}/translations/",
                        {"language": "de", "name": "Lederstiefel", "description": "Fest"})
    assert saved.status_code == 302
    with in_schema(vendor_a):
        assert boot.translations.get(language="de").name == "Lederstiefel"
    # B's owner on A's host, and on B's own host with A's product id: nothing.
    assert client_for(vendor_a, owner_b).get(f"/dashboard/products/{boot.pk}/translations/").status_code in (
        302, 403, 404)
    other = client_for(vendor_b, owner_b).post(f"/dashboard/products/{boot.pk}/translations/",
                                               {"language": "fr", "name": "Pirate"})
    assert other.status_code == 404
    with in_schema(vendor_a):
        assert boot.translations.get(language="fr").name == "Chaussure de randonnée"
