"""Money as integer ledger units: construction, conversion, parsing and arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.kernel.money import (
    CURRENCIES,
    MAX_AMOUNT,
    CurrencyMismatch,
    InexactConversion,
    Money,
    MoneyError,
    UnknownCurrency,
    currency,
)

# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [3.56, 1.0, 0.0, float("nan"), float("inf")])
def test_a_float_amount_is_refused(amount):
    with pytest.raises(MoneyError) as exc_info:
        Money(amount, "EUR")
    assert exc_info.value.code == "money.invalid"


@pytest.mark.parametrize("amount", [True, False])
def test_a_bool_amount_is_refused(amount):
    with pytest.raises(MoneyError) as exc_info:
        Money(amount, "EUR")
    assert exc_info.value.code == "money.invalid"


def test_a_float_is_refused_by_every_integer_constructor():
    with pytest.raises(MoneyError):
        Money.from_minor_units(356.0, "EUR")
    with pytest.raises(MoneyError):
        Money.from_units(356000.0, 5, "EUR")
    with pytest.raises(MoneyError):
        Money.from_minor_units(True, "EUR")


def test_the_largest_signed_64_bit_amount_is_accepted():
    assert Money(MAX_AMOUNT, "EUR").amount == 2**63 - 1
    assert Money(-MAX_AMOUNT, "EUR").amount == -(2**63 - 1)


@pytest.mark.parametrize("amount", [2**63, -(2**63) - 1, 10**30])
def test_an_amount_beyond_the_ledgers_64_bit_range_is_refused(amount):
    with pytest.raises(MoneyError) as exc_info:
        Money(amount, "EUR")
    assert exc_info.value.code == "money.invalid"


def test_a_conversion_that_overflows_the_ledger_range_is_refused():
    # JPY minor units scale by 10^6 into ledger units.
    with pytest.raises(MoneyError):
        Money.from_minor_units(MAX_AMOUNT // 10**6 + 1, "JPY")
    assert Money.from_minor_units(MAX_AMOUNT // 10**6, "JPY").to_minor_units() == (
        MAX_AMOUNT // 10**6
    )


def test_a_sum_beyond_the_ledger_range_is_refused():
    largest = Money(MAX_AMOUNT, "EUR")
    with pytest.raises(MoneyError):
        largest + Money(1, "EUR")
    assert largest.amount == MAX_AMOUNT


@pytest.mark.parametrize("code", ["XXX", "eur", "", "EURO", "BTC "])
def test_an_unknown_currency_is_refused(code):
    with pytest.raises(UnknownCurrency) as exc_info:
        Money(1, code)
    assert exc_info.value.code == "money.unknown_currency"
    assert exc_info.value.extra == {"currency": code}


def test_an_unknown_currency_is_refused_by_every_constructor():
    for build in (
        lambda: currency("XXX"),
        lambda: Money.zero("XXX"),
        lambda: Money.from_minor_units(1, "XXX"),
        lambda: Money.from_units(1, 5, "XXX"),
        lambda: Money.parse("1", "XXX"),
    ):
        with pytest.raises(UnknownCurrency) as exc_info:
            build()
        assert exc_info.value.code == "money.unknown_currency"


def test_every_currency_keeps_at_least_as_many_ledger_decimals_as_minor_units():
    for c in CURRENCIES.values():
        assert 0 <= c.minor_units <= c.ledger_scale
        assert currency(c.code) is c


# -- minor units (payment providers) --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "minor", "ledger"),
    [
        ("EUR", 356, 3_560_000),  # cents
        ("EUR", -356, -3_560_000),
        ("JPY", 1_500, 1_500_000_000),  # yen have no minor unit
        ("KWD", 1_234, 1_234_000),  # fils: 3 decimals
        ("BTC", 12_345_678, 12_345_678),  # satoshi: the ledger keeps 8 decimals too
        ("USDT", 1, 1),
    ],
)
def test_minor_units_convert_exactly_into_ledger_units_and_back(code, minor, ledger):
    money = Money.from_minor_units(minor, code)
    assert money == Money(ledger, code)
    assert money.to_minor_units() == minor


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (3_560_001, "EUR"),  # 3.560001 EUR: a millionth of a euro below one cent
        (5_000, "EUR"),  # half a cent
        (999_999, "JPY"),  # less than one yen
        (1_000_500, "KWD"),  # half a fils
    ],
)
def test_a_sub_minor_unit_amount_cannot_be_paid_out_in_minor_units(amount, code):
    money = Money(amount, code)
    with pytest.raises(InexactConversion) as exc_info:
        money.to_minor_units()
    assert exc_info.value.code == "money.inexact_conversion"
    assert money.amount == amount


# -- provider units with implied decimals ---------------------------------------------------


def test_caleta_five_decimal_units_convert_exactly():
    # Caleta reports 3.56 EUR as 356000 units of 1/100000.
    money = Money.from_units(356_000, 5, "EUR")
    assert money == Money(3_560_000, "EUR")
    assert money.to_units(5) == 356_000
    assert money.to_minor_units() == 356


def test_a_sub_cent_caleta_stake_converts_exactly():
    # 0.00123 EUR is not a whole number of cents but the ledger keeps it.
    money = Money.from_units(123, 5, "EUR")
    assert money.amount == 1_230
    assert money.to_units(5) == 123


def test_a_seven_decimal_value_the_ledger_cannot_keep_is_refused():
    with pytest.raises(InexactConversion) as exc_info:
        Money.from_units(35_600_001, 7, "EUR")
    assert exc_info.value.code == "money.inexact_conversion"


def test_a_seven_decimal_value_that_is_exact_is_accepted():
    assert Money.from_units(35_600_000, 7, "EUR") == Money(3_560_000, "EUR")


def test_more_decimals_than_the_target_refuses_to_drop_digits():
    with pytest.raises(InexactConversion):
        Money(3_560_001, "EUR").to_units(5)
    assert Money(3_560_010, "EUR").to_units(5) == 356_001
    assert Money(3_560_001, "EUR").to_units(9) == 3_560_001_000


# -- decimal text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "amount"),
    [
        ("3.56", "EUR", 3_560_000),
        ("-3.56", "EUR", -3_560_000),
        ("0.000001", "EUR", 1),
        ("1500", "JPY", 1_500_000_000),
        ("0.00000001", "BTC", 1),
        ("1.234", "KWD", 1_234_000),
        ("3.560000000", "EUR", 3_560_000),  # trailing zeros lose nothing
    ],
)
def test_decimal_text_parses_exactly(text, code, amount):
    assert Money.parse(text, code) == Money(amount, code)


@pytest.mark.parametrize(("text", "code"), [("1.0000001", "EUR"), ("0.000000001", "BTC")])
def test_decimal_text_with_more_decimals_than_the_ledger_keeps_is_refused(text, code):
    with pytest.raises(InexactConversion) as exc_info:
        Money.parse(text, code)
    assert exc_info.value.code == "money.inexact_conversion"


@pytest.mark.parametrize("text", ["abc", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "", "1,5"])
def test_text_that_is_not_a_finite_decimal_is_refused(text):
    with pytest.raises(MoneyError) as exc_info:
        Money.parse(text, "EUR")
    assert exc_info.value.code == "money.invalid"


def test_decimal_text_beyond_the_ledger_range_is_refused():
    with pytest.raises(MoneyError) as exc_info:
        Money.parse("9223372036854.775808", "EUR")  # 2^63 micro-euros
    assert exc_info.value.code == "money.invalid"
    assert Money.parse("9223372036854.775807", "EUR").amount == MAX_AMOUNT


def test_a_decimal_with_more_than_28_significant_digits_is_not_silently_rounded():
    with pytest.raises(InexactConversion):
        Money.parse("1.0000000000000000000000000001", "EUR")


def test_decimal_text_with_a_huge_exponent_is_refused_as_invalid():
    with pytest.raises(MoneyError):
        Money.parse("1e999999", "EUR")


@pytest.mark.parametrize("value", [0.5, True])
def test_parse_refuses_a_float_or_bool_instead_of_text(value):
    with pytest.raises(MoneyError):
        Money.parse(value, "EUR")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(-3_560_000, "EUR"), "-3.560000"),
        (Money(-1, "EUR"), "-0.000001"),
        (Money(-999_999, "EUR"), "-0.999999"),
        (Money(-1, "BTC"), "-0.00000001"),
        (Money(-(10**8), "BTC"), "-1.00000000"),
        (Money(-MAX_AMOUNT, "EUR"), "-9223372036854.775807"),
        (Money(0, "EUR"), "0.000000"),
        (Money(3_560_000, "EUR"), "3.560000"),
    ],
)
def test_decimal_string_shows_the_sign_and_every_ledger_decimal(money, text):
    assert money.to_decimal_string() == text
    assert Money.parse(text, money.currency) == money


def test_money_prints_with_its_currency():
    assert str(Money(-3_560_000, "EUR")) == "-3.560000 EUR"


# -- arithmetic -----------------------------------------------------------------------------


def test_amounts_in_the_same_currency_add_subtract_and_compare():
    a, b = Money(3_560_000, "EUR"), Money(440_000, "EUR")
    assert a + b == Money(4_000_000, "EUR")
    assert a - b == Money(3_120_000, "EUR")
    assert -a == Money(-3_560_000, "EUR")
    assert b < a
    assert b <= Money(440_000, "EUR")
    assert a > b
    assert Money.zero("EUR") == Money(0, "EUR")


def test_adding_euros_to_dollars_is_refused():
    eur, usd = Money(100, "EUR"), Money(100, "USD")
    for combine in (
        lambda: eur + usd,
        lambda: eur - usd,
        lambda: eur < usd,
        lambda: eur <= usd,
    ):
        with pytest.raises(CurrencyMismatch) as exc_info:
            combine()
        assert exc_info.value.code == "money.currency_mismatch"
    assert eur == Money(100, "EUR")
    assert usd == Money(100, "USD")


def test_money_does_not_combine_with_a_bare_integer():
    with pytest.raises(MoneyError):
        Money(100, "EUR") + 1


def test_money_is_an_immutable_value():
    money = Money(100, "EUR")
    with pytest.raises(AttributeError):
        money.amount = 200
    assert money == Money(100, "EUR")
    assert money != Money(100, "USD")
    assert hash(money) == hash(Money(100, "EUR"))


# -- properties -----------------------------------------------------------------------------

currencies = st.sampled_from(sorted(CURRENCIES.values(), key=lambda c: c.code))


@st.composite
def minor_amounts(draw):
    c = draw(currencies)
    limit = MAX_AMOUNT // 10 ** (c.ledger_scale - c.minor_units)
    return c.code, draw(st.integers(min_value=-limit, max_value=limit))


@st.composite
def any_money(draw):
    code = draw(currencies).code
    return Money(draw(st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT)), code)


@given(minor_amounts())
def test_minor_units_round_trip_for_every_currency(case):
    code, minor = case
    assert Money.from_minor_units(minor, code).to_minor_units() == minor


@given(any_money())
def test_decimal_string_round_trips_for_every_amount(money):
    assert Money.parse(money.to_decimal_string(), money.currency) == money


@given(any_money(), st.integers(min_value=0, max_value=12))
def test_provider_units_round_trip_whenever_the_conversion_is_exact(money, decimals):
    try:
        units = money.to_units(decimals)
    except InexactConversion:
        scale = CURRENCIES[money.currency].ledger_scale
        assert decimals < scale
        assert money.amount % 10 ** (scale - decimals) != 0
    else:
        assert Money.from_units(units, decimals, money.currency) == money


@given(any_money(), any_money())
def test_addition_and_subtraction_are_inverse_within_range(a, b):
    b = Money(b.amount, a.currency)
    try:
        total = a + b
    except MoneyError:
        assert abs(a.amount + b.amount) > MAX_AMOUNT
    else:
        assert total - b == a
