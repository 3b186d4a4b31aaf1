"""Commission rule writes (the ledger's writes are in payouts/ledger/services.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from common.money import MoneyError, validate_currency
from payouts.errors import CommissionRuleInvalid, CommissionRuleOverlap
from payouts.models import CommissionRule
from vendors.models import Vendor

RULE_FIELDS = (
    "scope", "vendor_id", "category_id", "category_path", "currency", "rate_bp", "fixed_amount",
    "fixed_per", "min_per_line", "max_per_line", "shipping_commissionable", "valid_from",
    "valid_to", "note",
)


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    scope = values.get("scope")
    if scope not in CommissionRule.Scope.values:
        add("scope", _("Choose a scope."))
    needs_vendor = scope in (CommissionRule.Scope.VENDOR, CommissionRule.Scope.VENDOR_CATEGORY)
    needs_category = scope in (CommissionRule.Scope.CATEGORY, CommissionRule.Scope.VENDOR_CATEGORY)
    if needs_vendor and not values.get("vendor_id"):
        add("vendor_id", _("This scope needs a vendor."))
    if not needs_vendor and values.get("vendor_id"):
        add("vendor_id", _("This scope applies to every vendor; leave the vendor empty."))
    if needs_vendor and values.get("vendor_id") and not Vendor.objects.filter(
        pk=values["vendor_id"]
    ).exists():
        add("vendor_id", _("No such vendor."))
    if needs_category and values.get("category_id") is None:
        add("category_id", _("This scope needs a category."))
    if not needs_category and values.get("category_id") is not None:
        add("category_id", _("This scope applies to every category; leave the category empty."))
    if not needs_category:
        values["category_path"] = ""
    try:
        values["currency"] = validate_currency(values.get("currency") or "")
    except MoneyError as exc:
        add("currency", str(exc))
    rate = values.get("rate_bp")
    if not isinstance(rate, int) or rate < 0:
        add("rate_bp", _("The rate cannot be negative."))
    elif rate > 10000:
        add("rate_bp", _("The rate cannot exceed 100% (10000 basis points)."))
    for field in ("fixed_amount", "min_per_line", "max_per_line"):
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            add(field, _("Amounts cannot be negative."))
    minimum, maximum = values.get("min_per_line"), values.get("max_per_line")
    if isinstance(minimum, int) and isinstance(maximum, int) and minimum > maximum:
        add("min_per_line", _("The minimum is greater than the maximum."))
    if values.get("fixed_per") not in CommissionRule.FixedPer.values:
        add("fixed_per", _("Choose per line or per order."))
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if not isinstance(valid_from, dt.datetime):
        add("valid_from", _("Give the date the rule starts."))
    elif valid_to is not None and valid_to <= valid_from:
        add("valid_to", _("The end must be after the start."))
    if errors:
        first = next(iter(errors.values()))[0]
        raise CommissionRuleInvalid(str(first), fields=errors)
    return values


def _check_overlap(values: dict[str, Any], exclude_id: int | None) -> None:
    # Serialise writers of the same target; the exclusion constraint is the final guard.
    target = f"commission:{values['scope']}:{values.get('vendor_id')}:{values.get('category_id')}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [target])
    # A missing vendor/category is `IS NULL` (a platform-wide or vendor-wide rule). django-stubs
    # rejects None in an exact lookup on a nullable foreign key's `_id` (typeddjango/django-stubs#3472).
    clashes = CommissionRule.objects.filter(  # type: ignore[misc]
        scope=values["scope"], vendor_id=values.get("vendor_id"),
        category_id=values.get("category_id"), currency=values["currency"],
    )
    if exclude_id is not None:  # the rule being edited; a new rule has none to leave out
        clashes = clashes.exclude(pk=exclude_id)
    if values.get("valid_to") is not None:
        clashes = clashes.filter(valid_from__lt=values["valid_to"])
    clashes = clashes.exclude(valid_to__isnull=False, valid_to__lte=values["valid_from"])
    clash = clashes.order_by("valid_from").first()
    if clash is not None:
        message = _(
            "Overlaps rule #%(id)s for the same scope and currency (from %(start)s to %(end)s)."
        ) % {
            "id": clash.pk, "start": clash.valid_from.date(),
            "end": clash.valid_to.date() if clash.valid_to else _("open end"),
        }
        raise CommissionRuleOverlap(message, fields={"valid_from": [message]},
                                    extra={"rule_id": clash.pk})


def _save(rule: CommissionRule, values: dict[str, Any]) -> CommissionRule:
    for field in RULE_FIELDS:
        setattr(rule, field, values.get(field, getattr(rule, field)))
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        if "commissionrule_no_overlap" in str(exc):
            raise CommissionRuleOverlap(_("Overlaps another rule for the same scope.")) from exc
        raise CommissionRuleInvalid(_("The rule breaks a constraint.")) from exc
    return rule


def _prepare_new(fields: dict[str, Any]) -> dict[str, Any]:
    values = {field: fields.get(field) for field in RULE_FIELDS}
    values["rate_bp"] = values["rate_bp"] if values["rate_bp"] is not None else 0
    values["fixed_amount"] = values["fixed_amount"] or 0
    values["fixed_per"] = values["fixed_per"] or CommissionRule.FixedPer.LINE
    values["shipping_commissionable"] = bool(values["shipping_commissionable"])
    values["category_path"] = values["category_path"] or ""
    values["note"] = values["note"] or ""
    return values


@transaction.atomic
def commission_rule_validate(*, rule: CommissionRule | None = None, **fields: Any) -> None:
    """Every check of create/update without saving (inline validation in the ops console)."""
    if rule is None:
        values = _prepare_new(fields)
    else:
        values = {field: getattr(rule, field) for field in RULE_FIELDS}
        values.update({key: value for key, value in fields.items() if key in RULE_FIELDS})
    values = _validate(values)
    _check_overlap(values, exclude_id=rule.pk if rule else None)


@transaction.atomic
def commission_rule_create(*, created_by: Any, **fields: Any) -> CommissionRule:
    values = _validate(_prepare_new(fields))
    _check_overlap(values, exclude_id=None)
    return _save(CommissionRule(created_by=created_by), values)


@transaction.atomic
def commission_rule_update(*, rule: CommissionRule, **fields: Any) -> CommissionRule:
    """Change a rule. Orders keep the commission snapshot taken at checkout."""
    rule = CommissionRule.objects.select_for_update().get(pk=rule.pk)
    values = {field: getattr(rule, field) for field in RULE_FIELDS}
    values.update({key: value for key, value in fields.items() if key in RULE_FIELDS})
    values["fixed_amount"] = values["fixed_amount"] or 0
    values["category_path"] = values["category_path"] or ""
    values["note"] = values["note"] or ""
    values = _validate(values)
    _check_overlap(values, exclude_id=rule.pk)
    return _save(rule, values)


# Transfer and payout writes live in their own modules; these are the names other apps call.
from payouts.transfers import (  # noqa: E402, F401
    transfer_hold_for_sub_order,
    transfer_release_for_sub_order,
    transfer_release_hold,
    transfer_reverse_for_sub_order,
    transfers_create_for_order,
)

