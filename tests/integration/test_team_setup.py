"""`team init` on a real PostgreSQL server: idempotent, re-applied grants cover new tables,
and a role given more than an operator's is noticed."""

from __future__ import annotations

import peewee
import pytest

from ledger import team as team_ledger
from ledger.models import database
from ledger.team_setup import init_team
from tests.helpers import TeamLedgerUrls


def test_init_again_changes_nothing_and_grants_new_tables(team: TeamLedgerUrls) -> None:
    team.open_as("admin")
    database.execute_sql("CREATE TABLE later_table (id BIGINT)")
    team.open_as("alice")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("SELECT * FROM later_table")
    team.open_as("admin")
    assert init_team(database.obj) == []  # nothing created the second time
    team.open_as("alice")
    assert database.execute_sql("SELECT count(*) FROM later_table").fetchone() == (0,)
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        database.execute_sql("INSERT INTO later_table VALUES (1)")


def test_a_role_with_more_than_an_operators_grants_is_noticed(team: TeamLedgerUrls) -> None:
    team.open_as("admin")
    database.execute_sql("GRANT UPDATE ON payment TO bob")
    team.open_as("bob")
    assert team_ledger.excess_privileges("bob") == ["UPDATE payment"]
    assert team_ledger.excess_privileges("alice") == []
