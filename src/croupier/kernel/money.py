"""Money as integers: the currency table and the ``Money`` value type.

The ledger counts every currency in integer *ledger units*: fiat keeps 6 decimals (micro-units),
so provider protocols with 5 or 6 decimals and sub-cent stakes convert exactly; crypto keeps its
own scale (BTC 8). Payment providers speak ISO 4217 *minor units* (EUR cents, JPY yen), which
convert exactly into ledger units. No float ever touches money: a float is refused, and so is
any conversion that would lose a digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from croupier.kernel.errors import DomainError

# Transfer amounts and account sums are signed 64-bit in the database.
MAX_AMOUNT: Final = 2**63 - 1


def _pow10(exponent: int) -> int:
    assert exponent >= 0
    result: int = 10**exponent
    return result


class MoneyError(DomainError):
    code = "money.invalid"
    status = 422
    title = "Invalid amount of money"


class UnknownCurrency(DomainError):
    code = "money.unknown_currency"
    status = 422
    title = "Unknown currency"


class CurrencyMismatch(DomainError):
    code = "money.currency_mismatch"
    status = 422
    title = "Amounts in different currencies"


class InexactConversion(DomainError):
    code = "money.inexact_conversion"
    status = 422
    title = "The amount cannot be converted exactly"


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency the platform can hold.

    ``ledger_scale`` is the number of decimals the ledger keeps; ``minor_units`` the number
    payment providers use (ISO 4217 exponent, or the chain's smallest unit for crypto).
    """

    code: str
    name: str
    ledger_scale: int
    minor_units: int
    is_crypto: bool = False

    def __post_init__(self) -> None:
        assert self.minor_units <= self.ledger_scale, "minor units must convert exactly"


def _fiat(code: str, name: str, minor_units: int = 2) -> Currency:
    return Currency(code=code, name=name, ledger_scale=6, minor_units=minor_units)


CURRENCIES: Final[dict[str, Currency]] = {
    c.code: c
    for c in (
        _fiat("EUR", "Euro"),
        _fiat("USD", "US Dollar"),
        _fiat("GBP", "Pound Sterling"),
        _fiat("CAD", "Canadian Dollar"),
        _fiat("SEK", "Swedish Krona"),
        _fiat("DKK", "Danish Krone"),
        _fiat("NOK", "Norwegian Krone"),
        _fiat("CHF", "Swiss Franc"),
        _fiat("BRL", "Brazilian Real"),
        _fiat("MXN", "Mexican Peso"),
        _fiat("JPY", "Yen", minor_units=0),
        _fiat("KWD", "Kuwaiti Dinar", minor_units=3),
        Currency("BTC", "Bitcoin", ledger_scale=8, minor_units=8, is_crypto=True),
        Currency("USDT", "Tether USD", ledger_scale=6, minor_units=6, is_crypto=True),
    )
}


def currency(code: str) -> Currency:
    """The currency with this ISO code, or :class:`UnknownCurrency`."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise UnknownCurrency(f"Unknown currency {code!r}.", currency=code) from None


def _check_int(value: object) -> int:
    # bool is an int subclass; True EUR is not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"Amounts are integers, got {type(value).__name__}.")
    return value


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: an integer count of ledger units of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount)
        currency(self.currency)
        if abs(self.amount) > MAX_AMOUNT:
            raise MoneyError("The amount is beyond the ledger's 64-bit range.")

    # construction -------------------------------------------------------------------------

    @classmethod
    def zero(cls, code: str) -> Money:
        return cls(0, code)

    @classmethod
    def from_units(cls, value: int, decimals: int, code: str) -> Money:
        """From an integer with ``decimals`` implied decimals (Caleta: 5), refusing loss."""
        value = _check_int(value)
        scale = currency(code).ledger_scale
        if decimals <= scale:
            return cls(value * _pow10(scale - decimals), code)
        factor = _pow10(decimals - scale)
        if value % factor:
            raise InexactConversion(
                f"{value} with {decimals} decimals has more precision than the ledger keeps "
                f"for {code} ({scale}).",
            )
        return cls(value // factor, code)

    @classmethod
    def from_minor_units(cls, value: int, code: str) -> Money:
        """From ISO 4217 minor units (EUR cents, JPY yen): always exact."""
        return cls.from_units(value, currency(code).minor_units, code)

    @classmethod
    def parse(cls, text: str, code: str) -> Money:
        """From a decimal string such as ``"3.56"``; refuses more decimals than the ledger keeps.

        The arithmetic is on the decimal's digits, never through a ``Decimal`` context, so no
        digit is ever rounded away whatever its length or exponent.
        """
        # A float or bool would reach Decimal() and be accepted: only text is an amount.
        if not isinstance(text, str):
            raise MoneyError(f"Amounts are parsed from text, got {type(text).__name__}.")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"{text!r} is not a decimal amount.") from None
        if not value.is_finite():
            raise MoneyError(f"{text!r} is not a finite amount.")
        scale = currency(code).ledger_scale
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        significant = "".join(map(str, digits)).lstrip("0")
        if not significant:
            return cls(0, code)
        stripped = significant.rstrip("0")
        shift = exponent + (len(significant) - len(stripped)) + scale
        if shift < 0:
            raise InexactConversion(f"{text} {code} has more than {scale} decimals.")
        if len(stripped) + shift > len(str(MAX_AMOUNT)):
            raise MoneyError("The amount is beyond the ledger's 64-bit range.")
        amount = int(stripped) * _pow10(shift)
        return cls(-amount if sign else amount, code)

    # conversion ---------------------------------------------------------------------------

    def to_units(self, decimals: int) -> int:
        """As an integer with ``decimals`` implied decimals, refusing loss."""
        scale = currency(self.currency).ledger_scale
        if decimals >= scale:
            return self.amount * _pow10(decimals - scale)
        factor = _pow10(scale - decimals)
        if self.amount % factor:
            raise InexactConversion(
                f"{self} cannot be expressed with {decimals} decimals.",
            )
        return self.amount // factor

    def to_minor_units(self) -> int:
        """As ISO 4217 minor units for a payment provider, refusing sub-minor amounts."""
        return self.to_units(currency(self.currency).minor_units)

    def to_decimal_string(self) -> str:
        """Exact decimal text, e.g. ``"3.560000"`` for EUR."""
        scale = currency(self.currency).ledger_scale
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), _pow10(scale))
        return f"{sign}{whole}.{frac:0{scale}d}" if scale else f"{sign}{whole}"

    # arithmetic ---------------------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError("Money combines only with Money.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"
