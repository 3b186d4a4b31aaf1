"""Money: integer minor units with an ISO 4217 currency; allocation that sums exactly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

# Minor-unit exponents that differ from 2 (ISO 4217).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}
SUPPORTED_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "DKK", "PLN", "JPY")
# Exchange rates are kept to ten decimal places (the ECB publishes at most five significant digits;
# cross rates between two quotes need more).
RATE_PLACES = 10
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)


class MoneyError(ValueError):
    pass


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def validate_currency(currency: str) -> str:
    code = (currency or "").upper()
    if code not in SUPPORTED_CURRENCIES:
        raise MoneyError(f"Unsupported currency {currency!r}.")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise MoneyError("Money amounts are integers in minor units.")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise MoneyError(f"Invalid currency {self.currency!r}.")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"Currency mismatch: {self.currency} and {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)


def parse_amount(text: str | int | Decimal, currency: str) -> int:
    """Parse a major-unit amount ('12.50') into minor units, refusing extra decimals."""
    places = exponent(currency)
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"{text!r} is not an amount.") from exc
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not an amount.")
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} amounts have at most {places} decimals.")
    return int(scaled)


def format_money(amount: int, currency: str) -> str:
    places = exponent(currency)
    value = Decimal(amount).scaleb(-places)
    return f"{value:,.{places}f} {currency}"


def format_money_localized(amount: int, currency: str) -> str:
    """Minor units for people, in the active locale: '1,234.50 EUR' (en), '1.234,50 EUR' (de),
    '1 234,50 EUR' (fr); JPY without decimals. The `money` template filter uses it too."""
    from django.utils.formats import number_format

    places = exponent(currency)
    return f"{number_format(to_major(int(amount), currency), places, use_l10n=True, force_grouping=True)} {currency}"


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def percentage_of(amount: int, basis_points: int) -> int:
    """`amount × bp / 10000`, rounded half up (commissions, fees)."""
    return int(
        (Decimal(amount) * Decimal(basis_points) / Decimal(10000)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` in proportion to `weights`; the parts always sum to `amount` exactly.

    Largest-remainder method: floor each share, then hand the leftover units to the largest
    remainders (ties to the earliest), so the result is deterministic.
    """
    if not weights:
        raise MoneyError("Cannot allocate over no weights.")
    if any(weight < 0 for weight in weights):
        raise MoneyError("Weights must not be negative.")
    total = sum(weights)
    if total == 0:
        shares = [0] * len(weights)
        shares[0] = amount
        return shares
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    floors = [magnitude * weight // total for weight in weights]
    remainders = [magnitude * weight % total for weight in weights]
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[:leftover]:
        floors[index] += 1
    return [sign * share for share in floors]


def rate_normalize(rate: Decimal | str | int) -> Decimal:
    """An exchange rate as stored and used: a positive Decimal with at most `RATE_PLACES` places."""
    try:
        value = Decimal(str(rate))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"{rate!r} is not an exchange rate.") from exc
    if not value.is_finite() or value <= 0:
        raise MoneyError(f"{rate!r} is not an exchange rate.")
    normalized = value.quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
    if normalized <= 0:
        raise MoneyError(f"{rate!r} is too small an exchange rate.")
    return normalized


def cross_rate(*, base_per_from: Decimal, base_per_to: Decimal) -> Decimal:
    """`to` per one `from`, from two quotes against one base (ECB: units of X per 1 EUR)."""
    with localcontext() as context:
        context.prec = 34
        return rate_normalize(Decimal(base_per_to) / Decimal(base_per_from))


def convert(amount: int, *, source: str, target: str, rate: Decimal) -> int:
    """Minor units of `source` in `target` at `rate` (`target` per one `source`, major units),
    rounded once, half up (away from zero), across the currencies' ISO 4217 exponents."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MoneyError("Money amounts are integers in minor units.")
    if source == target:
        return amount
    rate = rate_normalize(rate)
    with localcontext() as context:
        context.prec = 60
        value = Decimal(amount) * rate * Decimal(10) ** (exponent(target) - exponent(source))
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
