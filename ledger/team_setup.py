"""`payconsole team init`: the database roles and grants that make team mode enforced by
PostgreSQL, not by the client. Run with an owner's (admin's) connection; idempotent, and
re-run after every migration so new tables get their grants.

- the service role (LOGIN): reads and writes the ledger; never updates or deletes audit rows
  (the audit triggers refuse anyone; the grant is withdrawn as well);
- the operators' group role (NOLOGIN): reads everything, inserts requests and approvals
  (only the columns an operator may give), nothing else. Each operator is a login role of
  their own, made a member of the group by `operators add`.
"""

from __future__ import annotations

import re

from ledger.dialect import dialect_of
from ledger.sql import LedgerDatabase, execute
from ledger.state import set_state
from ledger.team import SERVICE_ROLE_KEY, TeamError

SERVICE_ROLE = "payconsole_service"
OPERATOR_GROUP = "payconsole_operator"

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_REQUEST_COLUMNS = ("action, target, call, seen, summary, amount, currency, "
                    "idempotency_key")


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name):
        raise TeamError(f"role name {name!r}: use lowercase letters, digits and _ "
                        "(at most 63, not starting with a digit)")
    return name


def role_exists(db: LedgerDatabase, name: str) -> bool:
    return execute(db, "SELECT 1 FROM pg_roles WHERE rolname = ?", (name,)).fetchone() is not None


def is_member(db: LedgerDatabase, name: str, group: str = OPERATOR_GROUP) -> bool:
    row = execute(db, "SELECT pg_has_role(?, ?, 'MEMBER')", (name, group)).fetchone()
    return bool(row[0])


def _grants(service: str) -> tuple[str, ...]:
    group = OPERATOR_GROUP
    return (
        f'GRANT USAGE ON SCHEMA public TO "{service}", {group}',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{service}"',
        f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{service}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM "{service}"',
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM {group}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {group}",
        f"GRANT INSERT ({_REQUEST_COLUMNS}) ON action_request TO {group}",
        f"GRANT INSERT (request, decision, reason) ON request_approval TO {group}",
        f"GRANT USAGE ON SEQUENCE action_request_id_seq, request_approval_id_seq TO {group}",
        # The service adds and removes operators: it may grant this group, nothing more.
        f'GRANT {group} TO "{service}" WITH ADMIN OPTION',
    )


def init_team(db: LedgerDatabase, service: str = SERVICE_ROLE) -> list[str]:
    """Create what is missing, (re)apply the grants; returns what was created."""
    if not dialect_of(db).is_postgres:
        raise TeamError("team mode needs a PostgreSQL ledger ([ledger] url)")
    check_role_name(service)
    created = []
    with db.atomic():
        for role, options in ((service, "LOGIN"), (OPERATOR_GROUP, "NOLOGIN")):
            if not role_exists(db, role):
                execute(db, f'CREATE ROLE "{role}" {options}')
                created.append(f"role {role}")
        for statement in _grants(service):
            execute(db, statement)
        set_state(SERVICE_ROLE_KEY, service)
    return created


def grant_operator(db: LedgerDatabase, name: str) -> None:
    """Make an existing login role an operator (the service does it for `operators add`)."""
    check_role_name(name)
    if not role_exists(db, name):
        raise TeamError(f"there is no PostgreSQL role {name}: create it first "
                        f"(CREATE ROLE {name} LOGIN), then add it")
    execute(db, f'GRANT {OPERATOR_GROUP} TO "{name}"')


def revoke_operator(db: LedgerDatabase, name: str) -> None:
    check_role_name(name)
    if role_exists(db, name):
        execute(db, f'REVOKE {OPERATOR_GROUP} FROM "{name}"')
