"""Operators as a team: the one owner of who may do what (roles), how much (limits), and
what the service decided for the whole team (require_approval, approval_hours, key mode).

Team mode is a PostgreSQL ledger that `payconsole team init` set up: the sync service's
database role alone writes Stripe's data; operators connect as their own roles, read, and
insert requests (ledger/requests.py) that the service runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ledger.dialect import dialect_of
from ledger.models import database
from ledger.models_team import TeamOperator
from ledger.money import MoneyError, format_amount, normalize_currency, parse_amount
from ledger.sql import execute
from ledger.state import get_state, set_state

ROLES = ("viewer", "support", "disputes", "admin")
# What each role may do beyond reading; admin may do everything and manage operators.
_ACTION_ROLE = {
    "refund": "support", "charge": "support", "capture": "support", "cancel": "support",
    "method.update": "support", "method.set_default": "support", "method.detach": "support",
    "dispute.evidence": "disputes", "dispute.accept": "disputes", "efw.refund": "disputes",
}
ACTIONS = tuple(_ACTION_ROLE)
MANAGE_OPERATORS = "operators.manage"
# Actions whose amounts count against an operator's refund limits.
REFUNDS = frozenset({"refund", "efw.refund"})
DAY = 86_400

SERVICE_ROLE_KEY = "team.service_role"
SETTINGS_KEY = "team.settings"


class TeamError(ValueError):
    """Bad team input (a role, a limit, an operator name); `str()` is one line."""


def role_for(action: str) -> str:
    """The role an action needs (admin has every role)."""
    return _ACTION_ROLE.get(action, "admin")


def may(roles: Iterable[str], action: str) -> bool:
    held = set(roles)
    return "admin" in held or role_for(action) in held


def parse_roles(text: Iterable[str]) -> tuple[str, ...]:
    roles = {part.strip() for item in text for part in item.split(",") if part.strip()}
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise TeamError(f"unknown role {', '.join(unknown)}: roles are {', '.join(ROLES)}")
    if not roles:
        raise TeamError(f"give at least one role ({', '.join(ROLES)})")
    return tuple(sorted(roles))


@dataclass(frozen=True, slots=True)
class Limit:
    refund: int | None = None  # per refund, minor units
    daily: int | None = None  # per UTC day


def parse_limit(text: str) -> tuple[str, int]:
    """'200.00:usd' -> ('usd', 20000)."""
    amount, sep, currency = text.rpartition(":")
    if not sep or not amount:
        raise TeamError(f"limit {text!r}: write it as AMOUNT:CURRENCY, e.g. 200.00:usd")
    try:
        code = normalize_currency(currency)
        return code, parse_amount(amount, code)
    except MoneyError as exc:
        raise TeamError(f"limit {text!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    roles: tuple[str, ...]
    limits: Mapping[str, Limit] = field(default_factory=dict)

    def may(self, action: str) -> bool:
        return may(self.roles, action)

    def limit(self, currency: str) -> Limit:
        return self.limits.get(currency, Limit())

    def describe_limits(self) -> str:
        parts = []
        for currency, limit in sorted(self.limits.items()):
            if limit.refund is not None:
                parts.append(f"refund {format_amount(limit.refund, currency)}")
            if limit.daily is not None:
                parts.append(f"daily {format_amount(limit.daily, currency)}")
        return ", ".join(parts) or "no limits"


def _limits_json(limits: Mapping[str, Limit]) -> str:
    return json.dumps({currency: {"refund": limit.refund, "daily": limit.daily}
                       for currency, limit in sorted(limits.items())}, sort_keys=True)


def _operator(row: TeamOperator) -> Operator:
    limits = {currency: Limit(value.get("refund"), value.get("daily"))
              for currency, value in json.loads(row.limits).items()}
    return Operator(row.name, tuple(row.roles.split(",")), limits)


def operator(name: str) -> Operator | None:
    row = TeamOperator.get_or_none(TeamOperator.name == name)
    return None if row is None else _operator(row)


def operators() -> list[Operator]:
    return [_operator(row) for row in TeamOperator.select().order_by(TeamOperator.name)]


def save_operator(op: Operator, *, by: str, now: int | None = None) -> None:
    stamp = int(time.time() if now is None else now)
    values = {TeamOperator.roles: ",".join(op.roles), TeamOperator.limits: _limits_json(op.limits),
              TeamOperator.updated_at: stamp, TeamOperator.updated_by: by}
    TeamOperator.insert(name=op.name, roles=",".join(op.roles), limits=_limits_json(op.limits),
                        updated_at=stamp, updated_by=by).on_conflict(
        conflict_target=[TeamOperator.name], update=values).execute()


def remove_operator(name: str) -> bool:
    return bool(TeamOperator.delete().where(TeamOperator.name == name).execute())


# -- what the service decided for the team ----------------------------------------------

@dataclass(frozen=True, slots=True)
class TeamSettings:
    """Published by the service when it starts, so every console shows the same rules."""

    require_approval: tuple[str, ...] = ()
    approval_hours: float = 24.0
    live: bool = False
    service_seen_at: int | None = None  # the service's last pass over the requests


def service_role() -> str | None:
    """The sync service's database role, when this ledger is in team mode."""
    if not dialect_of(database).is_postgres:
        return None
    value = get_state(SERVICE_ROLE_KEY)
    return str(value) if value else None


def settings() -> TeamSettings:
    stored = get_state(SETTINGS_KEY) or {}
    return TeamSettings(tuple(stored.get("require_approval", ())),
                        float(stored.get("approval_hours", 24.0)), bool(stored.get("live")),
                        stored.get("service_seen_at"))


def publish_settings(value: TeamSettings) -> None:
    set_state(SETTINGS_KEY, {"require_approval": list(value.require_approval),
                             "approval_hours": value.approval_hours, "live": value.live,
                             "service_seen_at": value.service_seen_at})


def check_approval_actions(names: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sorted(set(names)))
    unknown = [name for name in chosen if name not in _ACTION_ROLE]
    if unknown:
        raise TeamError(f"[team] require_approval: unknown action {', '.join(unknown)} "
                        f"(actions: {', '.join(ACTIONS)})")
    return chosen


# -- the database role this process runs as --------------------------------------------

def current_role() -> str:
    return str(execute(database, "SELECT current_user").fetchone()[0])


def operator_role() -> str | None:
    """On a team ledger reached as an operator's database role (not the service's): that
    role. None on a ledger without a team, or as the service."""
    service = service_role()
    if service is None:
        return None
    role = current_role()
    return None if role == service else role


# Tables only the service writes: any write privilege on them beyond an operator's is
# reported (a console should not be able to bypass the service).
_WATCHED = ("payment", "dispute", "audit_entry", "team_operator", "action_request")


def excess_privileges(role: str) -> list[str]:
    """The writes `role` may do that an operator's role should not."""
    found = []
    for table in _WATCHED:
        for privilege in ("UPDATE", "DELETE"):
            row = execute(database, "SELECT has_table_privilege(?, ?, ?)",
                          (role, table, privilege)).fetchone()
            if row[0]:
                found.append(f"{privilege} {table}")
    row = execute(database, "SELECT has_table_privilege(?, 'payment', 'INSERT')",
                  (role,)).fetchone()
    return [*(["INSERT payment"] if row[0] else []), *found]
