"""Search and filters over ledger tables, compiled to parameterised SQL.

A `PaymentFilter` holds criteria that all must hold; `condition(table)` turns it into a
WHERE fragment with `?` parameters for the payment table, or for disputes, refunds,
customers and payment methods where the same criteria make sense (`FILTERABLE`). User
input only ever travels as a parameter.

Prefix searches use indexes: an id prefix is a range on the primary key
(`id >= 'pi_3Ab' AND id < 'pi_3Ac'`), an email prefix is a LIKE that SQLite turns into a
range on the NOCASE email index. Case-insensitive matching is for ASCII letters, as
SQLite's NOCASE and LIKE do it.

The search box syntax (`parse_search`), terms separated by spaces, all must match:
    status:succeeded,canceled   currency:jpy   customer:cus_123   failure:card_declined
    amount>10 amount<=99.99 amount:5..20  (major units of the currency given with it)
    email:ada (prefix)   email~lovelace (contains)   last4:4242   id:pi_3Ab
    since:2026-11-01 (from UTC midnight)   until:2026-11-30 (through that day, UTC)
    pi_3Ab   a bare word: an id prefix, an email prefix or (4 digits) a card's last4
Double quotes keep spaces in a value: email:"ada lovelace".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger import dispute_status
from ledger.dialect import dialect_of
from ledger.models import database
from ledger.money import MoneyError, normalize_currency, parse_amount


class FilterError(ValueError):
    """A filter or search that cannot be used; the message says why."""


MAX_TEXT = 256  # longest value searched for (an email is at most 254 characters)
MAX_SEARCH = 2_000

STATUSES = frozenset(
    # PaymentIntent, then legacy charge and refund statuses, then dispute statuses.
    "requires_payment_method requires_confirmation requires_action processing "
    "requires_capture canceled succeeded pending failed".split() + list(dispute_status.ALL)
)


@dataclass(frozen=True)
class Condition:
    """A WHERE fragment ("" for no condition) and its parameters."""

    sql: str = ""
    params: tuple[Any, ...] = ()

    def where(self) -> str:
        return f" WHERE {self.sql}" if self.sql else ""

    def and_(self, sql: str, params: Iterable[Any] = ()) -> Condition:
        """This condition and another fragment."""
        joined = f"({self.sql}) AND ({sql})" if self.sql else sql
        return Condition(joined, (*self.params, *params))


@dataclass(frozen=True)
class Columns:
    """Which column of a table each criterion reads; None: the table cannot filter on it."""

    email: str | None = None
    last4: str | None = None
    amount: str | None = None
    status: str | None = None
    currency: str | None = None
    failure: tuple[str, ...] = ()
    customer: str | None = None


FILTERABLE: dict[str, Columns] = {
    "payment": Columns(
        email="customer_email", last4="card_last4", amount="amount", status="status",
        currency="currency", failure=("failure_code", "decline_code"), customer="customer",
    ),
    "dispute": Columns(amount="amount", status="status", currency="currency"),
    "refund": Columns(amount="amount", status="status", currency="currency"),
    "customer": Columns(email="email", customer="id"),
    "payment_method": Columns(email="billing_email", last4="card_last4", customer="customer"),
    "event": Columns(),
}


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern that uses ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`, in SQLite's BINARY
    order (UTF-8 bytes, which is code point order); None when there is none."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not text: skip them
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


def _check_text(label: str, value: str) -> None:
    if not value:
        raise FilterError(f"{label}: needs a value")
    if len(value) > MAX_TEXT:
        raise FilterError(f"{label}: too long ({len(value)} characters, at most {MAX_TEXT})")
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise FilterError(f"{label}: contains characters that cannot be searched")


@dataclass(frozen=True)
class PaymentFilter:
    """Criteria that all must hold. Amounts are minor units, inclusive; `since` and
    `until` are unix seconds, `[since, until)`; empty fields do not filter."""

    id_prefix: str | None = None
    email: str | None = None
    email_contains: bool = False  # False: `email` is a prefix
    last4: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    statuses: tuple[str, ...] = ()  # any of them
    currency: str | None = None
    since: int | None = None
    until: int | None = None
    failure_code: str | None = None  # the failure code or the decline code
    customer: str | None = None
    words: tuple[str, ...] = ()  # each an id prefix, email prefix or last4

    def __post_init__(self) -> None:
        texts = {"id": self.id_prefix, "email": self.email, "customer": self.customer,
                 "failure": self.failure_code}
        for label, value in [*texts.items(), *(("word", w) for w in self.words)]:
            if value is not None:
                _check_text(label, value)
        if self.last4 is not None and not re.fullmatch(r"[0-9]{4}", self.last4):
            raise FilterError(f"last4: {self.last4!r} is not four digits")
        if self.currency is not None:
            object.__setattr__(self, "currency", _currency(self.currency))
        unknown = sorted(set(self.statuses) - STATUSES)
        if unknown:
            raise FilterError(
                f"status: unknown {', '.join(unknown)}; known: {', '.join(sorted(STATUSES))}"
            )
        _check_range("amount", self.amount_min, self.amount_max, allow_equal=True)
        _check_range("since/until", self.since, self.until, allow_equal=False)

    def is_empty(self) -> bool:
        return self == PaymentFilter()

    def condition(self, table: str = "payment") -> Condition:
        """The WHERE fragment selecting this filter's rows of `table`."""
        columns = FILTERABLE.get(table)
        if columns is None:
            if self.is_empty():
                return Condition()
            raise FilterError(f"{table} rows cannot be filtered")
        parts = list(self._parts(columns, table))
        return Condition(
            " AND ".join(sql for sql, _ in parts), tuple(p for _, ps in parts for p in ps)
        )

    def _parts(self, columns: Columns, table: str) -> Iterable[tuple[str, list[Any]]]:
        def column(name: str | None, label: str) -> str:
            if not name:
                raise FilterError(f"{table} rows cannot be filtered by {label}")
            return name

        if self.id_prefix is not None:
            yield _id_prefix(self.id_prefix)
        if self.email is not None:
            found = _email(column(columns.email, "email"), self.email, self.email_contains)
            yield _scanned(table, *found) if self.email_contains else found
        if self.last4 is not None:
            yield f"{column(columns.last4, 'last4')} = ?", [self.last4]
        if self.amount_min is not None:
            yield f"{column(columns.amount, 'amount')} >= ?", [self.amount_min]
        if self.amount_max is not None:
            yield f"{column(columns.amount, 'amount')} <= ?", [self.amount_max]
        if self.statuses:
            marks = ", ".join("?" * len(self.statuses))
            yield f"{column(columns.status, 'status')} IN ({marks})", list(self.statuses)
        if self.currency is not None:
            yield f"{column(columns.currency, 'currency')} = ?", [self.currency]
        if self.since is not None:
            yield "created >= ?", [self.since]
        if self.until is not None:
            yield "created < ?", [self.until]
        if self.failure_code is not None:
            names = columns.failure if columns.failure else (column(None, "failure code"),)
            sql = " OR ".join(f"{n} = ?" for n in names)
            yield _scanned(table, sql, [self.failure_code] * len(names))
        if self.customer is not None:
            yield f"{column(columns.customer, 'customer')} = ?", [self.customer]
        for word in self.words:
            yield _word(word, columns)


def _currency(value: str) -> str:
    try:
        return normalize_currency(value)
    except MoneyError as exc:
        raise FilterError(f"currency: {exc}") from None


def _check_range(label: str, low: int | None, high: int | None, *, allow_equal: bool) -> None:
    if low is None or high is None:
        return
    if low > high or (low == high and not allow_equal):
        raise FilterError(f"{label}: the range is empty ({low} to {high})")


def _scanned(table: str, sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """A criterion no index can seek (a contains search, the failure code): have SQLite
    find the matching rows first, scanning a narrow covering index, rather than walking
    the whole table in display order looking for a page of them."""
    return f"rowid IN (SELECT rowid FROM {table} WHERE {sql})", params


def _id_prefix(prefix: str) -> tuple[str, list[Any]]:
    upper = prefix_upper_bound(prefix)
    if upper is None:
        return "id >= ?", [prefix]
    return "(id >= ? AND id < ?)", [prefix, upper]


def _email(column: str, text: str, contains: bool) -> tuple[str, list[Any]]:
    pattern = f"{'%' if contains else ''}{escape_like(text)}%"
    return dialect_of(database).ci_like(column), [pattern]


def _word(word: str, columns: Columns) -> tuple[str, list[Any]]:
    """A bare search word: an id prefix, an email prefix, or a last4."""
    parts = [_id_prefix(word)]
    if columns.email:
        parts.append(_email(columns.email, word, contains=False))
    if columns.last4 and re.fullmatch(r"[0-9]{4}", word):
        parts.append((f"{columns.last4} = ?", [word]))
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]


# -- parsing ----------------------------------------------------------------------------


def parse_instant(text: str, *, end_of_day: bool = False) -> int:
    """Unix seconds from an ISO date (UTC midnight; with `end_of_day`, the midnight after
    it) or an ISO datetime (UTC unless it names an offset)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FilterError(
            f"{text!r} is not a date (use 2026-11-01 or 2026-11-01T12:00:00Z)"
        ) from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


_TERM = re.compile(r"(?P<key>[A-Za-z_0-9]+)(?P<op>>=|<=|[:~=<>])(?P<value>.*)", re.S)
_TOKEN = re.compile(r'(?:[^\s"]|"[^"]*")+')
_ALIASES = {"failure_code": "failure", "decline": "failure", "decline_code": "failure",
            "cus": "customer", "from": "since", "to": "until"}


def _tokens(text: str) -> list[str]:
    if len(text) > MAX_SEARCH:
        raise FilterError(f"search is too long ({len(text)} characters, at most {MAX_SEARCH})")
    if text.count('"') % 2:
        raise FilterError('search has an unclosed double quote (")')
    return _TOKEN.findall(text)


def _unquote(value: str) -> str:
    return re.sub(r'"([^"]*)"', r"\1", value)


Term = tuple[str, str, str]  # key, operator, value


def _split(token: str) -> Term | None:
    """A `key<op>value` term, or None for a bare word."""
    match = _TERM.fullmatch(token)
    if match is None:
        return None
    key = match["key"].lower()
    return _ALIASES.get(key, key), match["op"], _unquote(match["value"])


def parse_search(text: str, base: PaymentFilter | None = None) -> PaymentFilter:
    """The filter a search line asks for, narrowing `base` (e.g. the filter bar's)."""
    terms: list[Term] = []
    words: list[str] = []
    for token in _tokens(text):
        term = _split(token)
        if term is None:
            words.append(_unquote(token))
        else:
            terms.append(term)
    return apply_terms(base or PaymentFilter(), terms, words)


def filter_from_options(**options: str | None) -> PaymentFilter:
    """The filter of command-line options named like search keys (since, until, status,
    currency, customer, ...); None or "" options are left out."""
    terms = [(key, ":", value) for key, value in options.items() if value]
    return apply_terms(PaymentFilter(), terms, [])


def apply_terms(base: PaymentFilter, terms: list[Term], words: list[str]) -> PaymentFilter:
    fields = dataclasses.asdict(base)
    fields["words"] = (*base.words, *words)
    # The currency first: amounts are parsed in its minor unit, wherever it was typed.
    for key, op, value in sorted(terms, key=lambda term: term[0] != "currency"):
        _apply(fields, key, op, value)
    return PaymentFilter(**fields)


_EXACT = {"id": "id_prefix", "last4": "last4", "failure": "failure_code",
          "customer": "customer"}


def _apply(fields: dict[str, Any], key: str, op: str, value: str) -> None:
    if key == "amount":
        _apply_amount(fields, op, value)
        return
    if key == "email" and op in (":", "=", "~"):
        fields["email"], fields["email_contains"] = value, op == "~"
        return
    if op not in (":", "="):
        raise FilterError(f"{key}{op}{value}: use {key}:value")
    if key == "currency":
        fields["currency"] = _currency(value)
    elif key in _EXACT:
        fields[_EXACT[key]] = value
    elif key == "status":
        fields["statuses"] = tuple(s.strip().lower() for s in value.split(",") if s.strip())
    elif key in ("since", "until"):
        fields[key] = parse_instant(value, end_of_day=key == "until")
    else:
        known = sorted({"amount", "currency", "email", "status", "since", "until", *_EXACT})
        raise FilterError(f"unknown filter {key!r}; use one of {', '.join(known)}")


def _apply_amount(fields: dict[str, Any], op: str, value: str) -> None:
    currency = fields["currency"]
    if currency is None:
        raise FilterError(
            f"amount{op}{value}: give a currency too (e.g. currency:usd), since amounts "
            "are counted in each currency's minor unit"
        )

    def minor(text: str) -> int:
        try:
            return parse_amount(text, currency)
        except MoneyError as exc:
            raise FilterError(f"amount: {exc}") from None

    if op in (":", "=") and ".." in value:
        low, high = value.split("..", 1)
        fields["amount_min"], fields["amount_max"] = minor(low), minor(high)
    elif op in (":", "="):
        fields["amount_min"] = fields["amount_max"] = minor(value)
    elif op in (">", ">="):
        fields["amount_min"] = minor(value) + (op == ">")
    elif op in ("<", "<="):
        fields["amount_max"] = minor(value) - (op == "<")
    else:
        raise FilterError(f"amount{op}{value}: use amount>N, amount<N or amount:N..M")
