"""The header's words for an operator's console on a team ledger: who this is (the database
role and its payconsole roles), when the team's sync service was last seen, how many
requests wait for an approval, and what this role could write that it should not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.widgets.formatting import age
from ledger import requests, team


@dataclass(frozen=True)
class OperatorFacts:
    name: str  # the database role
    roles: tuple[str, ...] | None  # None: the team has no such operator
    service_seen_at: int | None
    awaiting_approval: int
    excess: tuple[str, ...] = ()  # ledger.team.excess_privileges of the role


def read_operator_facts(name: str, excess: Sequence[str]) -> OperatorFacts:
    member = team.operator(name)
    return OperatorFacts(name, member.roles if member else None,
                         team.settings().service_seen_at,
                         requests.count_in([requests.AWAITING_APPROVAL]), tuple(excess))


def operator_text(facts: OperatorFacts, now: float) -> str:
    """"operator alice (support) · service last seen 12s ago"."""
    roles = ", ".join(facts.roles) if facts.roles is not None else "not an operator"
    seen = facts.service_seen_at
    service = (f"service last seen {age(now - seen)}" if seen is not None
               else "service never seen on this ledger")
    return f"operator {facts.name} ({roles}) · {service}"


def approvals_badge(facts: OperatorFacts) -> str:
    count = facts.awaiting_approval
    if not count:
        return ""
    waiting = "1 request waits" if count == 1 else f"{count:,} requests wait"
    return f" {waiting} for approval: see Approvals "


def privileges_warning(facts: OperatorFacts) -> str:
    if not facts.excess:
        return ""
    return (f"role {facts.name} can write {', '.join(facts.excess)} directly: it should only "
            "insert requests (re-run payconsole team init, or revoke the grants)")
