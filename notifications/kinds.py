"""The kinds of notification: who they are for, whether they are transactional, and their words.

Each kind renders its title and lines from the stored context in the active language, so the
same row reads in German for a German reader and in French in a French reader's email.
Transactional kinds (about the person's own order or money) are always emailed and carry no
unsubscribe link; the others may be turned off per channel and have a one-click unsubscribe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import format_money_localized


@dataclass(frozen=True)
class Notice:
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str  # "buyer" or "vendor"
    transactional: bool
    label: Any  # lazy, for the preferences page
    render: Callable[[dict[str, Any]], Notice]
    # False where another app already emails it (Stripe requirements: vendors' own email).
    emails: bool = True


def _money(context: dict[str, Any]) -> str:
    try:
        return format_money_localized(int(context.get("amount") or 0), str(context.get("currency") or "EUR"))
    except (TypeError, ValueError):
        return ""


def _shipped(c: dict[str, Any]) -> Notice:
    lines = [_("%(vendor)s shipped your items from order %(order)s.") % {
        "vendor": c.get("vendor_name", ""), "order": c.get("order_number", "")}]
    if c.get("tracking_number"):
        lines.append(_("Carrier: %(carrier)s. Tracking number: %(tracking)s.") % {
            "carrier": c.get("carrier") or "-", "tracking": c["tracking_number"]})
    if c.get("tracking_url"):
        lines.append(_("Follow the parcel: %(url)s") % {"url": c["tracking_url"]})
    return Notice(_("Your order %(order)s has shipped") % {"order": c.get("order_number", "")}, lines)


def _delivered(c: dict[str, Any]) -> Notice:
    return Notice(_("Your order %(order)s was delivered") % {"order": c.get("order_number", "")},
                  [_("The items from %(vendor)s were delivered.") % {"vendor": c.get("vendor_name", "")}])


def _refund(c: dict[str, Any]) -> Notice:
    return Notice(_("Refund of %(amount)s issued") % {"amount": _money(c)},
                  [_("We refunded %(amount)s on order %(order)s to your original payment method. Your bank may "
                     "take a few days to show it.") % {"amount": _money(c), "order": c.get("order_number", "")}])


def _payout_sent(c: dict[str, Any]) -> Notice:
    lines = [_("A payout of %(amount)s is on its way to your bank account.") % {"amount": _money(c)}]
    if c.get("arrival_date"):
        lines.append(_("Expected arrival: %(date)s.") % {"date": c["arrival_date"]})
    return Notice(_("Payout of %(amount)s sent") % {"amount": _money(c)}, lines)


def _payout_failed(c: dict[str, Any]) -> Notice:
    return Notice(_("Payout of %(amount)s failed") % {"amount": _money(c)},
                  [_("Your bank refused the payout (%(code)s). The money is back in your balance; check your "
                     "bank details in the Stripe dashboard.") % {"code": c.get("failure_code") or "-"}])


def _low_stock(c: dict[str, Any]) -> Notice:
    cover = c.get("weeks_of_cover")
    cover_line = _("About %(weeks)s weeks of cover at the forecast rate.") % {"weeks": cover}
    if c.get("low_cover"):  # above every alert level, but selling faster than it lasts
        return Notice(_("Restock soon: %(product)s") % {"product": c.get("product_name", "")},
                      [_("%(product)s has %(stock)s left in all.") % {
                          "product": c.get("product_name", ""), "stock": c.get("stock", 0)}, cover_line])
    lines = [_("%(product)s (%(variant)s) has %(stock)s left (alert at %(threshold)s).") % {
        "product": c.get("product_name", ""), "variant": c.get("variant_name") or "-",
        "stock": c.get("stock", 0), "threshold": c.get("threshold", 0)}]
    if cover is not None:
        lines.append(cover_line)
    return Notice(_("Low stock: %(product)s") % {"product": c.get("product_name", "")}, lines)


def _requirements(c: dict[str, Any]) -> Notice:
    return Notice(_("Stripe needs more information"),
                  [_("%(count)s item(s) are due on your payment account. Until they are provided, payments "
                     "or payouts may stop.") % {"count": c.get("count", 0)}])


def _review(c: dict[str, Any]) -> Notice:
    return Notice(_("New review of %(product)s") % {"product": c.get("product_name", "")},
                  [_("%(author)s rated it %(rating)s out of 5.") % {
                      "author": c.get("author_name", ""), "rating": c.get("rating", "")}])


def _message(c: dict[str, Any]) -> Notice:
    lines = [_("%(sender)s wrote about “%(subject)s”:") % {"sender": c.get("sender_name", ""),
                                                           "subject": c.get("subject", "")}]
    if c.get("excerpt"):
        lines.append(str(c["excerpt"]))
    return Notice(_("New message from %(sender)s") % {"sender": c.get("sender_name", "")}, lines)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("order_shipped", "buyer", True, gettext_lazy("Order shipped"), _shipped),
    Kind("order_delivered", "buyer", True, gettext_lazy("Order delivered"), _delivered),
    Kind("refund_issued", "buyer", True, gettext_lazy("Refund issued"), _refund),
    Kind("message_received", "both", False, gettext_lazy("New message"), _message),
    Kind("payout_sent", "vendor", False, gettext_lazy("Payout sent"), _payout_sent),
    Kind("payout_failed", "vendor", True, gettext_lazy("Payout failed"), _payout_failed),
    Kind("low_stock", "vendor", False, gettext_lazy("Low stock"), _low_stock),
    Kind("stripe_requirements_due", "vendor", True, gettext_lazy("Stripe requirements due"), _requirements,
         emails=False),
    Kind("review_received", "vendor", False, gettext_lazy("Review received"), _review),
)}


def kind_get(name: str) -> Kind | None:
    return KINDS.get(name)
