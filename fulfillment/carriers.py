"""The carrier registry: each carrier's tracking-number formats and tracking page, as data.

A new carrier is a row in `CARRIERS`, never a code branch. Numbers are compared normalised (no
spaces or dashes, upper case). `OTHER` takes a free name and has no format and no link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.utils.translation import gettext as _

from fulfillment.errors import InvalidShipment

OTHER = "other"


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    # Full-match regular expressions over the normalised number; any one of them accepts it.
    formats: tuple[str, ...]
    # `{number}` is replaced by the URL-quoted tracking number.
    url_template: str
    # A number of the first format, shown as a hint in the ship form.
    example: str
    aliases: tuple[str, ...] = field(default=())

    def accepts(self, number: str) -> bool:
        return any(re.fullmatch(pattern, number) for pattern in self.formats)

    def tracking_url(self, number: str) -> str:
        return self.url_template.format(number=quote(number, safe="")) if self.url_template else ""


# UPU S10 international postal items: two letters, eight digits and a check digit, country code.
def _s10(country: str) -> str:
    return rf"[A-Z]{{2}}\d{{9}}{country}"


CARRIERS: tuple[Carrier, ...] = (
    Carrier("dhl", "DHL", (r"\d{10}", r"\d{12}", r"\d{20}", r"JJD\d{16,20}", r"JD\d{18}", r"JVGL\d{10,20}", _s10("DE")),
            "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={number}",
            "00340434161234567890", ("dhl express", "dhl paket", "deutsche post", "dhl parcel")),
    Carrier("ups", "UPS", (r"1Z[0-9A-Z]{16}", r"T\d{10}"), "https://www.ups.com/track?tracknum={number}",
            "1Z999AA10123456784", ("united parcel service",)),
    Carrier("fedex", "FedEx", (r"\d{12}", r"\d{15}", r"\d{20}", r"\d{22}"),
            "https://www.fedex.com/fedextrack/?trknbr={number}", "123456789012", ("federal express", "fed ex")),
    Carrier("usps", "USPS", (r"9[2-5]\d{20}", r"\d{20}", r"\d{22}", _s10("US")),
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}", "9400111899223197428490",
            ("us postal service", "united states postal service")),
    Carrier("royal_mail", "Royal Mail", (_s10("GB"),),
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}", "AB123456789GB",
            ("royalmail", "parcelforce")),
    Carrier("la_poste", "La Poste / Colissimo", (r"\d[A-Z]\d{11}", r"[A-Z]{2}\d{11}", _s10("FR")),
            "https://www.laposte.fr/outils/suivre-vos-envois?code={number}", "6A12345678901",
            ("la poste", "laposte", "colissimo", "chronopost")),
    Carrier("dpd", "DPD", (r"\d{14}", r"0\d{13}[A-Z0-9]?"), "https://tracking.dpd.de/status/en_US/parcel/{number}",
            "01234567890123", ("dpd parcel",)),
    Carrier("gls", "GLS", (r"\d{11}", r"\d{12}", r"[A-Z0-9]{8}"), "https://gls-group.com/track/{number}",
            "12345678901", ("general logistics systems",)),
    Carrier("postnl", "PostNL", (r"3S[A-Z]{4}\d{7,9}", _s10("NL")), "https://jouw.postnl.nl/track-and-trace/{number}",
            "3SABCD1234567", ("post nl",)),
    Carrier("postnord", "PostNord", (_s10("SE"), _s10("DK"), r"\d{11}", r"00\d{18}"),
            "https://www.postnord.se/en/our-tools/track-and-trace?shipmentId={number}", "AB123456789SE",
            ("post nord", "posten", "postnord denmark")),
    Carrier("swiss_post", "Swiss Post", (r"99\d{16}", _s10("CH")),
            "https://service.post.ch/ekp-web/ui/entry/search/{number}", "991234567812345678",
            ("die post", "la poste suisse", "post ch")),
    Carrier("inpost", "InPost", (r"\d{24}",), "https://inpost.pl/sledzenie-przesylek?number={number}",
            "123456789012345678901234", ("in post",)),
    Carrier("correos", "Correos", (r"P[A-Z0-9]{15,22}", _s10("ES")),
            "https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}",
            "PQ4F6P0703673180128001N", ("correos express",)),
    Carrier("poste_italiane", "Poste Italiane", (_s10("IT"), r"\d{12}", r"[A-Z0-9]{13}"),
            "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}", "AB123456789IT",
            ("poste", "sda")),
    Carrier("canada_post", "Canada Post", (r"\d{16}", _s10("CA")),
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
            "1234567890123456", ("postes canada",)),
)
_BY_CODE = {carrier.code: carrier for carrier in CARRIERS}


def carrier_choices() -> list[tuple[str, str]]:
    return [(carrier.code, carrier.name) for carrier in CARRIERS] + [(OTHER, _("Other carrier"))]


def carrier_get(code: str) -> Carrier | None:
    return _BY_CODE.get(code)


def carrier_for_text(text: str) -> Carrier | None:
    """The registered carrier a free-text name means (for data written before the registry)."""
    key = " ".join((text or "").replace("-", " ").replace("_", " ").split()).lower()
    for carrier in CARRIERS:
        if key in (carrier.code.replace("_", " "), carrier.name.lower(), *carrier.aliases):
            return carrier
    return None


def tracking_number_normalise(number: str) -> str:
    return "".join(ch for ch in (number or "") if not ch.isspace() and ch != "-").upper()


@dataclass(frozen=True)
class CarrierChoice:
    """A validated carrier and tracking number, ready to store."""

    code: str
    name: str
    tracking_number: str
    tracking_url: str


def carrier_display(code: str, other_name: str = "") -> str:
    carrier = carrier_get(code)
    return carrier.name if carrier else (other_name or code)


def tracking_url_for(code: str, number: str) -> str:
    carrier = carrier_get(code)
    return carrier.tracking_url(number) if carrier else ""


def carrier_tracking_check(*, carrier: str, tracking_number: str, other_name: str = "") -> CarrierChoice:
    """The carrier code and number, checked against the carrier's formats; `InvalidShipment` with
    field errors (carrier, carrier_name, tracking_number) otherwise."""
    code = (carrier or "").strip().lower()
    number = tracking_number_normalise(tracking_number)[:64]
    name = " ".join((other_name or "").split())[:64]
    errors: dict[str, list[str]] = {}
    if not number:
        errors["tracking_number"] = [_("This field is required.")]
    # A code ("dhl") or, from API clients, a registered name or alias ("DHL Express").
    known = carrier_get(code) or (carrier_for_text(code) if code != OTHER else None)
    if not code:
        errors["carrier"] = [_("This field is required.")]
    elif code == OTHER:
        if not name:
            errors["carrier_name"] = [_("Name the carrier.")]
    elif known is None:
        errors["carrier"] = [_("Choose a carrier from the list, or “Other carrier” with its name.")]
    elif number and not known.accepts(number):
        errors["tracking_number"] = [
            _("“%(number)s” is not a %(carrier)s tracking number (for example %(example)s).")
            % {"number": number, "carrier": known.name, "example": known.example}]
    if errors:
        raise InvalidShipment(_("Please correct the shipment."), fields=errors)
    if known is None:
        return CarrierChoice(OTHER, name, number, "")
    return CarrierChoice(known.code, known.name, number, known.tracking_url(number))
