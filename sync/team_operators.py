"""Managing a team's operators, as requests like every other change: an admin asks
(`payconsole operators add|set|remove`), the service checks and does it (the team_operator
row, and the database role's membership of the operators' group), and audits it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger import requests, team
from ledger.models import database
from ledger.team import MANAGE_OPERATORS, Limit, Operator, TeamError
from ledger.team_setup import check_role_name, grant_operator, revoke_operator

ADD, SET, REMOVE = "add", "set", "remove"


def change_call(verb: str, name: str, roles: tuple[str, ...] = (),
                limits: Mapping[str, Limit] | None = None) -> dict[str, Any]:
    """The request's call: what to change, as data (limits in minor units)."""
    return {"method": MANAGE_OPERATORS, "args": [],
            "kwargs": {"verb": verb, "name": name, "roles": list(roles),
                       "limits": {currency: {"refund": limit.refund, "daily": limit.daily}
                                  for currency, limit in (limits or {}).items()}}}


def request_change(verb: str, name: str, roles: tuple[str, ...] = (),
                   limits: Mapping[str, Limit] | None = None) -> int:
    described = f"{verb} operator {name}" + (f" as {', '.join(roles)}" if roles else "")
    return requests.insert_request(action=MANAGE_OPERATORS, target=name,
                                   call=change_call(verb, name, roles, limits), seen={},
                                   summary=described, amount=None, currency=None,
                                   idempotency_key=None)


def apply_change(requester: str, kwargs: Mapping[str, Any], *, now: int) -> str:
    """Do the change an admin asked for; returns what was done, raises TeamError."""
    asking = team.operator(requester)
    if asking is None or not asking.may(MANAGE_OPERATORS):
        raise TeamError(f"only an admin manages operators; {requester} is not one")
    verb, name = kwargs.get("verb"), check_role_name(str(kwargs.get("name", "")))
    current = team.operator(name)
    if verb == REMOVE:
        if name == requester:
            raise TeamError("an admin does not remove themself: ask another admin")
        if current is None:
            raise TeamError(f"{name} is not an operator")
        revoke_operator(database, name)
        team.remove_operator(name)
        return f"removed operator {name}"
    if verb == ADD and current is not None:
        raise TeamError(f"{name} is an operator already: use `operators set`")
    if verb == SET and current is None:
        raise TeamError(f"{name} is not an operator: use `operators add`")
    if verb not in (ADD, SET):
        raise TeamError(f"unknown change {verb!r}")
    changed = _merged(current, name, kwargs)
    if verb == ADD:
        grant_operator(database, name)
    team.save_operator(changed, by=requester, now=now)
    return f"{name}: {', '.join(changed.roles)}; {changed.describe_limits()}"


def _merged(current: Operator | None, name: str, kwargs: Mapping[str, Any]) -> Operator:
    roles = team.parse_roles(kwargs.get("roles") or (current.roles if current else ()))
    limits = dict(current.limits) if current else {}
    for currency, value in dict(kwargs.get("limits") or {}).items():
        old = limits.get(currency, Limit())
        refund, daily = value.get("refund"), value.get("daily")
        limits[currency] = Limit(old.refund if refund is None else int(refund),
                                 old.daily if daily is None else int(daily))
    return Operator(name, roles, limits)
