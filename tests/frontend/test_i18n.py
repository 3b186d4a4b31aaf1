"""Translations: German and French pages through the real language switcher, complete catalogs, locale money."""

from __future__ import annotations

import datetime
import gettext
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import get_format

from frontend.templatetags.money import money
from tests.factories.orders import sellable_variant
from tests.marketplace.helpers import make_listing

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGS = ("de", "fr")

# A few strings per page and their translations; each would fail if the catalog or the markup regressed.
HOME = {"de": ["Empfohlene Produkte", "Alle Shops durchsuchen, einmal bezahlen.", "Warenkorb"],
        "fr": ["Produits à la une", "Cherchez dans toutes les boutiques, payez une seule fois.", "Panier"]}
DASHBOARD = {"de": ["Neues Produkt", "CSV importieren", "Niedriger Bestand"],
             "fr": ["Nouveau produit", "Importer un CSV", "Stock faible"]}
OPS = {"de": ["Betrieb", "Aktive Verkäufer", "Bewerbungen", "Provisionen"],
       "fr": ["Opérations", "Vendeurs actifs", "Candidatures", "Commissions"]}
LOGIN = {"de": ["Registrieren", "Produkte suchen", "Sprache"],
         "fr": ["S’inscrire", "Rechercher des produits", "Langue"]}
ENGLISH = ["Featured products", "New product", "Active vendors", "Search products"]


def _thousands(lang: str) -> str:
    with translation.override(lang):
        return str(get_format("THOUSAND_SEPARATOR"))


def _price(lang: str) -> str:
    """1234.50 EUR as the locale writes it: 1.234,50 EUR (de), 1 234,50 EUR (fr, non-breaking space)."""
    return f"1{_thousands(lang)}234,50 EUR"


def _switch(client: Any, lang: str) -> None:
    """Use the language switcher of the footer: POST /i18n/setlang/, which sets the language cookie."""
    response = client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == lang


def _text(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_locale_separators_are_the_expected_ones() -> None:
    assert _price("de") == "1.234,50 EUR"
    assert re.fullmatch(r"1[\u00a0\u202f ]234,50 EUR", _price("fr"))


@pytest.mark.parametrize("lang", LANGS)
def test_marketplace_home_is_translated_with_local_money(
    lang: str, platform_client: Any, vendor_a: Any, django_assert_max_num_queries: Any,
) -> None:
    make_listing(vendor_a, "Wool scarf", price=123450)
    _switch(platform_client, lang)
    with django_assert_max_num_queries(30):
        html = _text(platform_client.get("/"))
    for text in HOME[lang]:
        assert text in html
    assert "Featured products" not in html
    assert _price(lang) in html
    assert f'<html lang="{lang}"' in html


@pytest.mark.parametrize("lang", LANGS)
def test_vendor_dashboard_is_translated_with_local_money(
    lang: str, client_for: Any, vendor_a: Any, owner_a: Any, django_assert_max_num_queries: Any,
) -> None:
    sellable_variant(vendor_a, price=123450, name="Heavy anvil")
    client = client_for(vendor_a, owner_a)
    _switch(client, lang)
    with django_assert_max_num_queries(30):
        html = _text(client.get("/dashboard/products/"))
    assert "Heavy anvil" in html
    for text in DASHBOARD[lang]:
        assert text in html
    assert "New product" not in html
    assert _price(lang) in html


@pytest.mark.parametrize(("lang", "texts"), [("de", ["Salden", "In Ihrem Stripe-Konto", "0,00 EUR"]),
                                             ("fr", ["Soldes", "Sur votre compte Stripe", "0,00 EUR"])])
def test_vendor_money_page_is_translated(lang: str, texts: list[str], client_for: Any, vendor_a: Any,
                                         owner_a: Any) -> None:
    client = client_for(vendor_a, owner_a)
    _switch(client, lang)
    html = _text(client.get("/dashboard/money/"))
    for text in texts:
        assert text in html
    assert "In your Stripe account" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_ops_page_is_translated(lang: str, client_for: Any, admin_user: Any) -> None:
    client = client_for("marketplace.localhost", admin_user)
    _switch(client, lang)
    html = _text(client.get("/ops/"))
    for text in OPS[lang]:
        assert text in html
    assert "Active vendors" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_login_page_is_translated(lang: str, platform_client: Any) -> None:
    _switch(platform_client, lang)
    html = _text(platform_client.get("/accounts/login/"))
    for text in LOGIN[lang]:
        assert text in html
    assert "Search products" not in html


def test_english_stays_the_default(platform_client: Any, vendor_a: Any) -> None:
    make_listing(vendor_a, "Linen shirt", price=123450)
    html = _text(platform_client.get("/"))
    assert "Featured products" in html
    assert "1,234.50 EUR" in html


def test_switching_back_to_english(platform_client: Any) -> None:
    _switch(platform_client, "de")
    assert "Anmelden" in _text(platform_client.get("/accounts/login/"))
    _switch(platform_client, "en")
    assert "Search products" in _text(platform_client.get("/accounts/login/"))


@pytest.mark.parametrize(("lang", "heading"), [("de", "Etwas ist schiefgelaufen"), ("fr", "Une erreur s’est produite")])
def test_server_error_page_is_translated(lang: str, heading: str) -> None:
    # Django renders 500.html without a request context: only the active language applies.
    with translation.override(lang):
        assert heading in render_to_string("500.html")


@pytest.mark.parametrize("lang", LANGS)
def test_money_filter_and_payouts_filter_follow_the_locale(lang: str) -> None:
    template = Template("{% load money %}{{ a|money:'EUR' }}|{{ j|money:'JPY' }}")
    payouts = Template("{% load payouts_money %}{{ a|money:'EUR' }}")
    with translation.override(lang):
        rendered = template.render(Context({"a": 123450, "j": 1234567}))
        assert rendered == f"{_price(lang)}|1{_thousands(lang)}234{_thousands(lang)}567 JPY"
        assert payouts.render(Context({"a": 123450})) == _price(lang)
    with translation.override("en"):
        assert money(123450, "EUR") == "1,234.50 EUR"


@pytest.mark.parametrize(("lang", "expected"), [("de", "5. März 2026"), ("fr", "5 mars 2026"), ("en", "5 Mar 2026")])
def test_dates_follow_the_locale(lang: str, expected: str) -> None:
    with translation.override(lang):
        assert Template("{{ d|date }}").render(Context({"d": datetime.date(2026, 3, 5)})) == expected


# --- catalogs -------------------------------------------------------------------------------------

def _po_entries(path: Path) -> list[dict[str, Any]]:
    """Parse a .po file into entries: msgid, msgid_plural, msgstr forms by index, flags, obsolete."""
    entries: list[dict[str, Any]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": [], "msgstr": {}, "obsolete": False}
        target: tuple[str, int] | None = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d)\])? "(.*)"$', line):
                target = (match.group(1), int(match.group(2) or 0))
                _po_add(entry, target, match.group(3))
            elif line.startswith('"') and target:
                _po_add(entry, target, line[1:-1])
        if "msgid" in entry or entry["obsolete"]:
            entries.append(entry)
    return entries


def _po_add(entry: dict[str, Any], target: tuple[str, int], text: str) -> None:
    field, index = target
    if field == "msgstr":
        entry["msgstr"][index] = entry["msgstr"].get(index, "") + text
    else:
        entry[field] = entry.get(field, "") + text


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_translated_and_not_fuzzy(lang: str) -> None:
    parsed = _po_entries(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po")
    entries = [e for e in parsed if e.get("msgid")]
    assert len(entries) > 1000
    untranslated = [e["msgid"] for e in entries if not e["msgstr"] or not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    obsolete = [e for e in parsed if e["obsolete"]]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []
    plural = [e for e in entries if "msgid_plural" in e]
    assert plural and all(len(e["msgstr"]) == 2 for e in plural)


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    pattern = re.compile(r"%\(\w+\)[sd]|%%")
    for entry in _po_entries(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"):
        if not entry.get("msgid"):
            continue
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        for index, text in entry["msgstr"].items():
            source = sources[min(index, 1)]
            assert sorted(pattern.findall(text)) == sorted(pattern.findall(source)), (entry["msgid"], text)


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_the_po(lang: str, tmp_path: Path) -> None:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert mo.exists(), "run `make messages` and commit locale/*/LC_MESSAGES/django.mo"
    catalog = _mo_catalog(mo)
    msgfmt = shutil.which("msgfmt")
    if msgfmt:
        # A fresh compile of the .po must give the same catalog as the committed .mo.
        fresh = tmp_path / "django.mo"
        subprocess.run([msgfmt, "--check", "-o", str(fresh), str(po)], check=True, capture_output=True)
        assert _mo_catalog(fresh) == catalog, "django.mo is stale: run `make messages`"
    entries = [e for e in _po_entries(po) if e.get("msgid")]
    # Plural entries are keyed (msgid, form) in a compiled catalog.
    msgids = {key if isinstance(key, str) else key[0] for key in catalog} - {""}
    assert len(msgids) == len(entries)


def _mo_catalog(path: Path) -> dict[Any, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
