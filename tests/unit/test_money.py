import pytest

from ledger.money import MoneyError, exponent, format_amount, format_major, parse_amount


@pytest.mark.parametrize(
    ("currency", "places"),
    [("usd", 2), ("EUR", 2), ("jpy", 0), ("KRW", 0), ("xof", 0), ("kwd", 3), ("BHD", 3)],
)
def test_exponent_knows_each_currency(currency: str, places: int) -> None:
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "usd", 1250),
        ("12.5", "usd", 1250),
        ("12", "usd", 1200),
        ("1,000.01", "eur", 100001),
        ("1500", "jpy", 1500),
        ("1.250", "kwd", 1250),
        ("0.001", "kwd", 1),
        ("0", "usd", 0),
    ],
)
def test_parse_amount(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.505", "usd", "at most 2 decimals"),
        ("1.5", "jpy", "no decimals"),
        ("1.2345", "kwd", "at most 3 decimals"),
        ("-5", "usd", "not an amount"),
        ("abc", "usd", "not an amount"),
        ("", "usd", "not an amount"),
        ("1e3", "usd", "not an amount"),
        ("12.50", "dollars", "three-letter"),
    ],
)
def test_parse_amount_refuses_with_a_reason(text: str, currency: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_amount(text, currency)


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1250, "usd", "12.50 USD"),
        (5, "usd", "0.05 USD"),
        (1500, "jpy", "1,500 JPY"),
        (1250, "kwd", "1.250 KWD"),
        (-1250, "eur", "-12.50 EUR"),
        (123456789, "usd", "1,234,567.89 USD"),
    ],
)
def test_format_amount(minor: int, currency: str, shown: str) -> None:
    assert format_amount(minor, currency) == shown


@pytest.mark.parametrize("currency", ["usd", "jpy", "kwd"])
@pytest.mark.parametrize("minor", [0, 1, 99, 100, 12345, 10**9 + 7])
def test_format_then_parse_round_trips(minor: int, currency: str) -> None:
    assert parse_amount(format_major(minor, currency), currency) == minor
