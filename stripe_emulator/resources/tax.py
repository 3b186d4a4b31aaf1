"""Stripe Tax: calculations and transactions, with Stripe's shapes (fixtures3.json) and a small
rate table of its own (the emulator knows nothing of the project's data)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import StripeError
from ..state import new_id
from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/tax/calculations", "tax_calculation_create"),
    ("GET", r"/v1/tax/calculations/(?P<oid>[^/]+)", "tax_calculation_retrieve"),
    ("GET", r"/v1/tax/calculations/(?P<oid>[^/]+)/line_items", "tax_calculation_line_items"),
    ("POST", r"/v1/tax/transactions/create_from_calculation", "tax_transaction_create_from_calculation"),
    ("POST", r"/v1/tax/transactions/create_reversal", "tax_transaction_create_reversal"),
    ("GET", r"/v1/tax/transactions/(?P<oid>[^/]+)", "tax_transaction_retrieve"),
)

# Percent by (country, state or ""): (standard, reduced). Reduced applies to books and food.
RATES: dict[tuple[str, str], tuple[str, str]] = {
    ("DE", ""): ("19.0", "7.0"), ("FR", ""): ("20.0", "5.5"), ("NL", ""): ("21.0", "9.0"),
    ("AT", ""): ("20.0", "10.0"), ("IT", ""): ("22.0", "4.0"), ("ES", ""): ("21.0", "4.0"),
    ("FI", ""): ("25.5", "14.0"), ("IE", ""): ("23.0", "0.0"), ("PT", ""): ("23.0", "6.0"),
    ("BE", ""): ("21.0", "6.0"), ("PL", ""): ("23.0", "5.0"), ("SE", ""): ("25.0", "6.0"),
    ("GB", ""): ("20.0", "0.0"), ("CH", ""): ("8.1", "2.6"), ("NO", ""): ("25.0", "15.0"),
    ("US", "CA"): ("7.25", "7.25"), ("US", "NY"): ("4.0", "4.0"), ("US", "TX"): ("6.25", "6.25"),
}
REDUCED_CODES = {"txcd_35010000", "txcd_40060003"}
EXEMPT_CODES = {"txcd_00000000"}


def _address(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    return {key: raw.get(key) for key in ("city", "country", "line1", "line2", "postal_code", "state")}


def _tax(amount: int, percent: Decimal, inclusive: bool) -> int:
    rate = percent / 100
    value = Decimal(amount) * rate / (1 + rate) if inclusive else Decimal(amount) * rate
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class TaxResource(ResourceBase):
    """`/v1/tax/calculations` and `/v1/tax/transactions`."""

    def _line(self, ctx: Context, index: int, raw: dict[str, Any], country: str, state: str) -> dict[str, Any]:
        try:
            amount = int(raw.get("amount", ""))
        except ValueError as exc:
            raise StripeError.invalid("Invalid integer: amount", param=f"line_items[{index}][amount]") from exc
        code = str(raw.get("tax_code") or "txcd_99999999")
        behaviour = str(raw.get("tax_behavior") or "exclusive")
        rates = RATES.get((country, state if country == "US" else ""))
        reason = "standard_rated"
        if rates is None:
            percent, reason = Decimal(0), "not_collecting"
        elif code in EXEMPT_CODES:
            percent, reason = Decimal(0), "product_exempt"
        else:
            percent = Decimal(rates[1] if code in REDUCED_CODES else rates[0])
            reason = "reduced_rated" if code in REDUCED_CODES else "standard_rated"
        tax = _tax(amount, percent, behaviour == "inclusive")
        return {
            "amount": amount, "amount_tax": tax, "id": new_id("tax_li_", 14), "livemode": False,
            "object": "tax.calculation_line_item", "product": None, "quantity": int(raw.get("quantity") or 1),
            "reference": str(raw.get("reference") or f"line {index}"), "tax_behavior": behaviour, "tax_code": code,
            "metadata": None,
            "tax_breakdown": [{
                "amount": tax, "jurisdiction": {"country": country, "display_name": country, "level": "country",
                                                "state": state or None},
                "sourcing": "destination", "tax_rate_details": {"display_name": "VAT", "percentage_decimal": str(percent),
                                                                "tax_type": "sales_tax" if country == "US" else "vat"},
                "taxability_reason": reason, "taxable_amount": amount if tax else 0,
            }],
        }

    def tax_calculation_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"currency", "customer_details", "line_items", "shipping_cost", "tax_date", "customer",
                       "ship_from_details"})
        currency = p.currency() or "usd"
        details = p.mapping("customer_details") or {}
        address = _address(details.get("address"))
        country, state = str(address["country"] or "").upper(), str(address["state"] or "").upper()
        if not country:
            raise StripeError.invalid("The customer's address is missing a country.",
                                      param="customer_details[address][country]", code="customer_tax_location_invalid")
        raw_items = p.raw("line_items")
        items = list(raw_items.values()) if isinstance(raw_items, dict) else list(raw_items or [])
        if not items:
            raise StripeError.missing("line_items")
        lines = [self._line(ctx, i, raw, country, state) for i, raw in enumerate(items)]
        exclusive = sum(line["amount_tax"] for line in lines if line["tax_behavior"] == "exclusive")
        inclusive = sum(line["amount_tax"] for line in lines if line["tax_behavior"] == "inclusive")
        breakdown = [{"amount": line["amount_tax"], "inclusive": line["tax_behavior"] == "inclusive",
                      "tax_rate_details": {"country": country, "percentage_decimal": line["tax_breakdown"][0]["tax_rate_details"]["percentage_decimal"],
                                           "state": state or None, "tax_type": "sales_tax" if country == "US" else "vat",
                                           "flat_amount": None, "rate_type": "percentage"},
                      "taxability_reason": line["tax_breakdown"][0]["taxability_reason"],
                      "taxable_amount": line["tax_breakdown"][0]["taxable_amount"]} for line in lines]
        now = self.store.now()
        calc = {
            "amount_total": sum(line["amount"] for line in lines) + exclusive, "currency": currency,
            "customer": None,
            "customer_details": {"address": address, "address_source": details.get("address_source") or "shipping",
                                 "ip_address": None, "tax_ids": [], "taxability_override": "none"},
            "expires_at": now + 90 * 86400, "id": new_id("taxcalc_"), "livemode": False,
            "object": "tax.calculation", "ship_from_details": None, "shipping_cost": None,
            "tax_amount_exclusive": exclusive, "tax_amount_inclusive": inclusive, "tax_breakdown": breakdown,
            "tax_date": now,
        }
        self.store.add(calc, owner=ctx.account, lines=lines)
        return self._calculation(ctx, calc)

    def _calculation(self, ctx: Context, calc: dict[str, Any]) -> dict[str, Any]:
        out = dict(calc)
        expand = ctx.params.expand() if "expand" in ctx.params else []
        if any(path.startswith("line_items") for path in expand):
            lines = self.store.meta(calc["id"]).get("lines", [])
            if "line_items.data.tax_breakdown" not in expand:
                lines = [{k: v for k, v in line.items() if k != "tax_breakdown"} for line in lines]
            out["line_items"] = {"object": "list", "data": lines, "has_more": False,
                                 "url": f"/v1/tax/calculations/{calc['id']}/line_items"}
        return out

    def _owned_calc(self, ctx: Context, oid: str) -> dict[str, Any]:
        calc = self.store.get_typed("tax.calculation", oid)
        if calc is None or self.store.owner(oid) != ctx.account:
            raise StripeError.not_found("tax.calculation", oid)
        return calc

    def tax_calculation_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self._calculation(ctx, self._owned_calc(ctx, oid))

    def tax_calculation_line_items(self, ctx: Context, oid: str) -> dict[str, Any]:
        self._owned_calc(ctx, oid)
        lines = [{k: v for k, v in line.items() if k != "tax_breakdown"} for line in self.store.meta(oid).get("lines", [])]
        return {"object": "list", "data": lines, "has_more": False, "url": f"/v1/tax/calculations/{oid}/line_items"}

    def tax_transaction_create_from_calculation(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"calculation", "reference", "metadata", "posted_at"})
        calc = self._owned_calc(ctx, p.string("calculation", required=True) or "")
        reference = p.string("reference", required=True) or ""
        tid = new_id("tax_")
        lines = [{"amount": line["amount"], "amount_tax": line["amount_tax"], "id": line["id"], "livemode": False,
                  "metadata": None, "object": "tax.transaction_line_item", "product": None,
                  "quantity": line["quantity"], "reference": line["reference"], "reversal": None,
                  "tax_behavior": line["tax_behavior"], "tax_code": line["tax_code"], "type": "transaction"}
                 for line in self.store.meta(calc["id"]).get("lines", [])]
        now = self.store.now()
        transaction = {
            "created": now, "currency": calc["currency"], "customer": None,
            "customer_details": calc["customer_details"], "id": tid,
            "line_items": {"data": lines, "has_more": False, "object": "list",
                           "url": f"/v1/tax/transactions/{tid}/line_items"},
            "livemode": False, "metadata": p.metadata() or None, "object": "tax.transaction", "posted_at": now,
            "reference": reference, "reversal": None, "ship_from_details": None, "shipping_cost": None,
            "tax_date": calc["tax_date"], "type": "transaction",
        }
        return self.store.add(transaction, owner=ctx.account)

    def tax_transaction_create_reversal(self, ctx: Context) -> dict[str, Any]:
        """A whole (`mode=full`) or partial reversal; partial by `flat_amount` (negative, tax included),
        spread over the original's lines in proportion. More than what is left is refused."""
        p = ctx.params
        p.check_known({"mode", "original_transaction", "reference", "flat_amount", "metadata", "line_items",
                       "shipping_cost"})
        original = self.store.get_typed("tax.transaction", p.string("original_transaction", required=True) or "")
        if original is None or self.store.owner(original["id"]) != ctx.account or original["type"] != "transaction":
            raise StripeError.not_found("tax.transaction", str(p.raw("original_transaction")), param="original_transaction")
        mode = p.choice("mode", ("full", "partial"), required=True)
        reference = p.string("reference", required=True) or ""
        if any(t["reference"] == reference for t in self.store.all("tax.transaction", owner=ctx.account)):
            raise StripeError.invalid("A transaction with this reference already exists.", param="reference",
                                      code="tax_transaction_reference_taken")
        lines = original["line_items"]["data"]
        total = sum(line["amount"] + (line["amount_tax"] if line["tax_behavior"] == "exclusive" else 0) for line in lines)
        left = total - self.store.meta(original["id"]).get("reversed", 0)
        if mode == "full":
            wanted = left
        else:
            if p.raw("line_items") is not None:
                raise StripeError.invalid("The emulator reverses partially by flat_amount only.", param="line_items")
            flat = p.integer("flat_amount", required=True) or 0
            if flat >= 0:
                raise StripeError.invalid("flat_amount must be negative.", param="flat_amount")
            wanted = -flat
        if wanted <= 0 or wanted > left:
            raise StripeError.invalid("The reversal exceeds what is left of the original transaction.",
                                      param="flat_amount" if mode == "partial" else "mode")
        self.store.meta(original["id"])["reversed"] = total - left + wanted
        tid = new_id("tax_")
        reversed_lines = []
        for line in lines:
            amount = -int((Decimal(line["amount"]) * wanted / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            tax = -int((Decimal(line["amount_tax"]) * wanted / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            reversed_lines.append({**line, "amount": amount, "amount_tax": tax, "id": new_id("tax_li_", 14),
                                   "reversal": {"original_line_item": line["id"]}, "type": "reversal"})
        now = self.store.now()
        reversal = {**original, "created": now, "id": tid, "posted_at": now, "reference": reference,
                    "metadata": p.metadata() or None, "type": "reversal",
                    "reversal": {"original_transaction": original["id"]},
                    "line_items": {"data": reversed_lines, "has_more": False, "object": "list",
                                   "url": f"/v1/tax/transactions/{tid}/line_items"}}
        return self.store.add(reversal, owner=ctx.account)

    def tax_transaction_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        found = self.store.get_typed("tax.transaction", oid)
        if found is None or self.store.owner(oid) != ctx.account:
            raise StripeError.not_found("tax.transaction", oid)
        return found
