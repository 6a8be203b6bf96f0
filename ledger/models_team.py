"""The ledger's tables for a team (ledger/team.py): who the operators are, the action
requests they make and the approvals they give. Used on a PostgreSQL team ledger only,
where triggers (TEAM_TRIGGERS) stamp each row with the database role that inserted it, so
nobody can request or approve under another name. Created by one migration.
"""

from __future__ import annotations

from peewee import BigAutoField, BigIntegerField, TextField

from ledger.models import LedgerModel


class TeamOperator(LedgerModel):
    """An operator: a PostgreSQL role, the payconsole roles it holds, its refund limits."""

    name = TextField(primary_key=True)
    roles = TextField()  # sorted, comma-separated: "disputes,support"
    limits = TextField()  # JSON {"usd": {"refund": 20000, "daily": 100000}} in minor units
    updated_at = BigIntegerField()
    updated_by = TextField()


class ActionRequest(LedgerModel):
    """An operator's action, waiting for (or done by) the sync service, which alone holds
    the Stripe key. Operators insert the first eight columns; the rest is the service's."""

    id = BigAutoField()
    action = TextField()
    target = TextField(index=True)
    call = TextField()  # JSON: the plan_* method and the arguments the operator gave
    seen = TextField()  # JSON: the plan as the operator confirmed it
    summary = TextField()
    amount = BigIntegerField(null=True)
    currency = TextField(null=True)
    idempotency_key = TextField(null=True)
    requested_by = TextField(index=True)  # set by the database: current_user
    requested_at = BigIntegerField()  # set by the database
    status = TextField(index=True)  # see ledger.team.REQUEST_STATUSES
    status_at = BigIntegerField()
    message = TextField(null=True)  # the outcome or the reason it was refused
    object_id = TextField(null=True)
    claimed_by = TextField(null=True)  # the service process that runs it (host:pid)


class RequestApproval(LedgerModel):
    """One operator's decision on another's request; the service counts it or says why not."""

    id = BigAutoField()
    request = BigIntegerField(index=True)
    decision = TextField()  # approve | reject
    reason = TextField()
    approver = TextField()  # set by the database: current_user
    decided_at = BigIntegerField()  # set by the database
    verdict = TextField(null=True)  # the service's: counted | ignored
    verdict_message = TextField(null=True)


TEAM_MODELS: tuple[type[LedgerModel], ...] = (TeamOperator, ActionRequest, RequestApproval)

_EPOCH_NOW = "floor(extract(epoch FROM clock_timestamp()))::bigint"

# The database, not the client, says who asked and who approved, and when; a request starts
# pending whatever the client sent; nobody approves their own request.
TEAM_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION action_request_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN NEW.requested_by := current_user; NEW.requested_at := {_EPOCH_NOW}; "
    "NEW.status := 'pending'; NEW.status_at := NEW.requested_at; NEW.message := NULL; "
    "NEW.object_id := NULL; NEW.claimed_by := NULL; RETURN NEW; END $$",
    "CREATE OR REPLACE TRIGGER action_request_stamp BEFORE INSERT ON action_request "
    "FOR EACH ROW EXECUTE FUNCTION action_request_stamp()",
    "CREATE OR REPLACE FUNCTION request_approval_stamp() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ DECLARE requester TEXT; "
    f"BEGIN NEW.approver := current_user; NEW.decided_at := {_EPOCH_NOW}; "
    "NEW.verdict := NULL; NEW.verdict_message := NULL; "
    "SELECT requested_by INTO requester FROM action_request WHERE id = NEW.request; "
    "IF NOT FOUND THEN RAISE EXCEPTION 'there is no request %', NEW.request; END IF; "
    "IF requester = NEW.approver THEN "
    "RAISE EXCEPTION 'nobody approves their own request (request %)', NEW.request; END IF; "
    "RETURN NEW; END $$",
    "CREATE OR REPLACE TRIGGER request_approval_stamp BEFORE INSERT ON request_approval "
    "FOR EACH ROW EXECUTE FUNCTION request_approval_stamp()",
)
