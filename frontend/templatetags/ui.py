"""The design system's components as template tags: listing card, empty state, status badge,
page header with actions, and the date filters that follow the reader's formats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from frontend.templatetags.money import context_presentment

register = template.Library()

# A state's tone is what it asks of the reader: success (done, good), warning (someone must act),
# danger (failed or lost), info (in progress, nothing to do), neutral (closed, inactive). One
# table for every entity, so "paid" or "open" looks the same on every page; a kind-specific entry
# ("claim:open") wins where a word means something else for one entity.
STATUS_TONES: dict[str, str] = {
    # orders and sub-orders
    "pending_payment": "warning", "paid": "success", "partially_fulfilled": "info",
    "fulfilled": "success", "payment_failed": "danger", "cancelled": "neutral", "refunded": "neutral",
    # vendor orders
    "new": "warning", "partially_shipped": "info", "shipped": "success", "delivered": "success",
    # shipments (carrier tracking)
    "out_for_delivery": "info", "available_for_pickup": "warning", "exception": "danger",
    "returned": "danger",
    # vendors and applications
    "onboarding": "info", "active": "success", "suspended": "danger", "draft": "neutral",
    "submitted": "info", "changes_requested": "warning", "approved": "success", "rejected": "danger",
    "archived": "neutral",
    # claims
    "open": "warning", "vendor_accepted": "success", "vendor_rejected": "danger", "escalated": "danger",
    "resolved_refund_full": "success", "resolved_refund_partial": "success", "resolved_denied": "neutral",
    "closed": "neutral",
    # chargebacks (outcome) and payouts, transfers
    "won": "success", "lost": "danger", "pending": "info", "in_transit": "info", "failed": "danger",
    "canceled": "neutral", "held": "warning", "released": "info", "transferred": "success",
    "reversed": "neutral", "partially_reversed": "neutral",
    # order reviews
    "refused": "danger",
    "chargeback:": "warning",  # an open chargeback has an empty outcome
}
TONES = ("success", "warning", "danger", "info", "neutral")


def status_tone(value: str, kind: str = "") -> str:
    return STATUS_TONES.get(f"{kind}:{value}") or STATUS_TONES.get(value) or "neutral"


@register.simple_tag
def status_badge(value: Any, label: Any = "", kind: str = "") -> SafeString:
    """`{% status_badge order.status order.get_status_display %}`: a pill whose colour says
    what the state asks of the reader (the label carries the meaning; colour only repeats it)."""
    code = str(value or "")
    # The component's file has no final newline: a badge sits inside text and inline wrappers.
    return render_to_string("components/status_badge.html", {
        "code": code, "label": label or code.replace("_", " ").capitalize(),
        "tone": status_tone(code, kind), "kind": kind,
    })


# How wide a card's picture shows (the grids' columns: 4 on large screens, 3 on medium, 2 on phones),
# so the browser picks the smallest rendition of the srcset that fills it (ADR 0091).
CARD_PICTURE_SIZES = "(min-width: 992px) 25vw, (min-width: 768px) 33vw, 50vw"


@register.inclusion_tag("components/listing_card.html", takes_context=True)
def listing_card(context: Context, listing: Any, url: str | None = None, heading_level: int = 3) -> dict[str, Any]:
    """A marketplace listing, or anything with its fields (title, vendor_name, price_min and
    price_max, currency, compare_at_amount, thumbnail_url/image_url, in_stock, rating and
    rating_count). The link is the listing's page unless `url` says otherwise ('' for none)."""
    if url is None:
        url = reverse("listing", args=[listing.pk, listing.handle]) if getattr(listing, "handle", "") else ""
    # Prices in the buyer's currency, converted as the cart converts them (ADR 0096).
    presentment = context_presentment(context)
    compare_at = getattr(listing, "compare_at_amount", None)
    return {"listing": listing, "url": url, "heading_tag": f"h{min(max(heading_level, 2), 6)}",
            "picture_sizes": CARD_PICTURE_SIZES, "shown": presentment.price(listing.price_min, listing.currency),
            "was": presentment.price(compare_at, listing.currency)
            if compare_at and compare_at > listing.price_min else None}


@register.inclusion_tag("components/empty_state.html")
def empty_state(title: str, text: str = "", icon: str = "inbox", action_url: str = "",
                action_label: str = "") -> dict[str, Any]:
    return {"title": title, "text": text, "icon": icon, "action_url": action_url, "action_label": action_label}


class PageHeaderNode(template.Node):
    def __init__(self, title: template.base.FilterExpression, subtitle: template.base.FilterExpression | None,
                 actions: template.NodeList) -> None:
        self.title, self.subtitle, self.actions = title, subtitle, actions

    def render(self, context: Context) -> str:
        actions = self.actions.render(context)  # safe markup, rendered with the page's context
        return render_to_string("components/page_header.html", {
            "title": self.title.resolve(context),
            "subtitle": self.subtitle.resolve(context) if self.subtitle is not None else "",
            "actions": actions if actions.strip() else "",
        })


@register.tag
def page_header(parser: Parser, token: Token) -> PageHeaderNode:
    """`{% page_header title [subtitle] %}<a class="btn …">…</a>{% endpage_header %}`: the page's
    one h1, an optional line under it, and the actions (buttons, links) beside it."""
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError("page_header takes a title and an optional subtitle")
    actions = parser.parse(("endpage_header",))
    parser.delete_first_token()
    subtitle = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    return PageHeaderNode(parser.compile_filter(bits[1]), subtitle, actions)


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def day(value: date | datetime | None) -> str:
    """The reader's long date ('7 Dec 2026', '7. Dezember 2026', '7 décembre 2026')."""
    if not value:
        return ""
    return formats.date_format(_local(value), "DATE_FORMAT")


@register.filter
def iso_day(value: str | None) -> str:
    """`day` of an ISO date kept as text (a date inside a JSON payload)."""
    try:
        return day(date.fromisoformat(str(value))) if value else ""
    except ValueError:
        return ""


@register.filter
def moment(value: datetime | None) -> str:
    """The reader's date and time ('7 Dec 2026, 14:05')."""
    if not value:
        return ""
    return formats.date_format(_local(value), "DATETIME_FORMAT")


@register.simple_tag
def deadline(value: datetime | None) -> str:
    """A deadline as people read one: the date, and how long is left (or that it has passed)."""
    if not value:
        return ""
    remaining = value - timezone.now()
    hours = int(remaining.total_seconds() // 3600)
    if remaining.total_seconds() < 0:
        left, tone = _("overdue"), "danger"
    elif hours < 48:
        left, tone = ngettext("%(n)d hour left", "%(n)d hours left", hours) % {"n": hours}, "warning"
    else:
        days = hours // 24
        left, tone = ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}, "neutral"
    return render_to_string("components/deadline.html", {
        "iso": value.isoformat(), "when": moment(value), "left": left, "tone": tone})
