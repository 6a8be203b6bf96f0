"""A team ledger on PostgreSQL: one sync leader (and fail-over), changes announced to every
listener, copies between backends, the schema's version, and what a bad URL says. Against
a real server (the `pg_url` fixture)."""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.audit import NewEntry, append, verify_chain
from ledger.copy import CopyError, copy_ledger
from ledger.db import LedgerError, open_ledger
from ledger.leader import Leadership
from ledger.migrations import LATEST_VERSION, schema_version
from ledger.models import Payment
from ledger.notify import ChangeFeed
from ledger.state import get_state, set_state
from tests.helpers import FIXED_OBJECTS, fill

# -- the sync leader ------------------------------------------------------------------------


def test_two_processes_racing_to_lead_one_wins(pg_url: str) -> None:
    open_ledger(pg_url).close()
    rivals = [Leadership(pg_url, f"host:{n}") for n in range(6)]
    start = threading.Barrier(len(rivals))
    won: list[str] = []

    def race(rival: Leadership) -> None:
        start.wait()
        if rival.try_lead():
            won.append(rival.name)

    threads = [threading.Thread(target=race, args=(rival,)) for rival in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert all(rival.leader() == won[0] for rival in rivals)
    for rival in rivals:
        rival.release()


def test_a_leader_that_stops_is_replaced_at_the_next_try(pg_url: str) -> None:
    open_ledger(pg_url).close()
    first, second = Leadership(pg_url, "a:1"), Leadership(pg_url, "b:2")
    assert first.try_lead() and first.try_lead()  # keeps it
    assert not second.try_lead() and second.leader() == "a:1"
    first.release()
    assert second.try_lead() and first.leader() == "b:2"
    assert not first.try_lead()
    second.release()
    assert Leadership(pg_url).leader() is None


_LEADER_SCRIPT = """
import sys, time
from ledger.leader import Leadership
leadership = Leadership(sys.argv[1], "doomed:1")  # kept: its connection holds the lock
assert leadership.try_lead()
print("leading", flush=True)
time.sleep(600)
"""


def test_a_killed_leader_frees_the_lock_at_once(pg_url: str) -> None:
    """kill -9: the server sees the connection close and frees the session lock; the
    follower's next try (each sync interval) takes over."""
    open_ledger(pg_url).close()
    doomed = subprocess.Popen([sys.executable, "-c", _LEADER_SCRIPT, pg_url],
                              stdout=subprocess.PIPE, text=True)
    assert doomed.stdout is not None and doomed.stdout.readline().strip() == "leading"
    follower = Leadership(pg_url, "next:2")
    assert not follower.try_lead() and follower.leader() == "doomed:1"
    killed = time.monotonic()
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    while not follower.try_lead():
        assert time.monotonic() - killed < 5, "the dead leader's lock was never freed"
        time.sleep(0.01)
    print(f"\nfail-over after kill -9: {1000 * (time.monotonic() - killed):.0f} ms "
          "(plus at most one sync interval before the follower's next try)")
    follower.release()


def test_a_lost_connection_is_not_leading_and_the_next_try_reconnects(pg_url: str) -> None:
    open_ledger(pg_url).close()
    leader = Leadership(pg_url, "a:1")
    assert leader.try_lead()
    _terminate_others(pg_url)
    assert not leader.try_lead()  # noticed: it no longer holds the lock
    assert leader.try_lead()  # and took it again, the lock being free
    leader.release()


# -- changes announced -------------------------------------------------------------------


def test_every_commit_reaches_a_listener_quickly(pg_url: str) -> None:
    """Median and max over 50 changes, from commit to the listener's callback."""
    open_ledger(pg_url)
    heard: list[float] = []
    feed = ChangeFeed(pg_url, lambda: heard.append(time.monotonic()))
    feed.start()
    _wait(lambda: feed.state.connected and len(heard) == 1)  # the "reload all" on connect
    latencies = []
    for n in range(50):
        before, committed = len(heard), time.monotonic()
        set_state("probe", n)
        _wait(lambda before=before: len(heard) > before)  # type: ignore[misc]
        latencies.append(heard[-1] - committed)
    feed.stop()
    median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
    print(f"\nchange to listener: median {median:.1f} ms, max {worst:.1f} ms over 50")
    assert worst < 2000


def test_the_feed_reconnects_and_reports_the_gap(pg_url: str) -> None:
    open_ledger(pg_url)
    heard: list[float] = []
    states: list[Any] = []
    feed = ChangeFeed(pg_url, lambda: heard.append(time.monotonic()), states.append,
                      backoff=(0.05,))
    feed.start()
    _wait(lambda: feed.state.connected)
    _terminate_others(pg_url)
    _wait(lambda: any(not state.connected for state in states))
    _wait(lambda: feed.state.connected and len(heard) >= 2)  # reconnected: "reload all"
    count = len(heard)
    with psycopg.connect(pg_url, autocommit=True) as writer:  # another process's commit
        writer.execute("INSERT INTO sync_state (key, value) VALUES ('after', '1')")
    _wait(lambda: len(heard) > count)
    feed.stop()


# -- copies ----------------------------------------------------------------------------


def _chain(n: int) -> None:
    for seq in range(1, n + 1):
        append(NewEntry(operator="ada", action="refund", target=f"pi_{seq}",
                        result="succeeded", params={"amount": seq}), now=1_700_000_000 + seq)


def _filled(location: str) -> None:
    db = open_ledger(location)
    fill(db, FIXED_OBJECTS)
    _chain(3)
    set_state("events_cursor", 1_799_000_000)
    db.close()


def _contents(location: str) -> dict[str, Any]:
    db = open_ledger(location, read_only=True)
    try:
        payments = sorted((p.id, p.amount, p.currency, p.status, p.disputed)
                          for p in Payment.select())
        return {"payments": payments, "cursor": get_state("events_cursor"),
                "chain": (verify_chain().ok, verify_chain().checked)}
    finally:
        db.close()


def test_copy_both_ways_keeps_every_row_the_cursor_and_the_chain(
        pg_url: str, tmp_path: Path) -> None:
    original = str(tmp_path / "original.db")
    _filled(original)
    expected = _contents(original)
    assert expected["chain"] == (True, 3) and expected["cursor"] == 1_799_000_000
    for source, destination in ((original, pg_url), (pg_url, str(tmp_path / "back.db"))):
        copy_ledger(open_ledger(source, read_only=True), open_ledger(destination))
        assert _contents(destination) == expected


def test_copy_refuses_a_destination_that_holds_a_ledger(pg_url: str, tmp_path: Path) -> None:
    _filled(pg_url)
    source = str(tmp_path / "other.db")
    _filled(source)
    with pytest.raises(CopyError, match="--replace"):
        copy_ledger(open_ledger(source, read_only=True), open_ledger(pg_url))


def test_an_interrupted_copy_leaves_the_destination_empty(pg_url: str, tmp_path: Path
                                                          ) -> None:
    source = str(tmp_path / "source.db")
    _filled(source)

    def interrupt(table: str, done: int, total: int) -> None:
        if table == "payment" and done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_ledger(open_ledger(source, read_only=True), open_ledger(pg_url), interrupt)
    assert _contents(pg_url)["payments"] == [] and _contents(pg_url)["chain"] == (True, 0)


# -- schema, URLs -------------------------------------------------------------------------


def test_a_schema_newer_than_the_code_refuses_writes_in_one_line(pg_url: str) -> None:
    db = open_ledger(pg_url)
    db.execute_sql("UPDATE ledger_schema SET version = %s", (LATEST_VERSION + 3,))
    db.close()
    with pytest.raises(LedgerError) as refused:
        open_ledger(pg_url)
    message = str(refused.value)
    assert "\n" not in message and f"payconsole with schema {LATEST_VERSION + 3}" in message
    assert schema_version(open_ledger(pg_url, read_only=True)) == LATEST_VERSION + 3


def test_migrations_racing_from_two_processes_end_at_the_latest(pg_url: str) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_ledger(pg_url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert schema_version(open_ledger(pg_url)) == LATEST_VERSION


@pytest.mark.parametrize(("change", "says"), [
    (lambda url: url.rsplit("/", 1)[0] + "/no_such_db", "does not exist"),
    (lambda url: "postgresql://postgres:s3cret-pw@127.0.0.1:1/payments",
     "cannot reach the database server"),
])
def test_a_bad_url_says_why_and_never_the_password(pg_url: str, change: Any, says: str
                                                   ) -> None:
    with pytest.raises(LedgerError) as refused:
        open_ledger(change(pg_url))
    assert says in str(refused.value) and "s3cret-pw" not in str(refused.value)


def test_the_app_role_cannot_truncate_or_rewrite_the_audit_log(pg_url: str) -> None:
    db = open_ledger(pg_url)
    _chain(2)
    for statement in ("TRUNCATE audit_entry", "DELETE FROM audit_entry",
                      "UPDATE audit_entry SET operator = 'mallory'"):
        with pytest.raises(Exception, match="append-only"):
            db.execute_sql(statement)
    assert verify_chain().ok and verify_chain().checked == 2


# -- helpers -----------------------------------------------------------------------------


def _terminate_others(url: str) -> None:
    """What a restarted server or a dropped link does to every other connection."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def _wait(condition: Any, timeout: float = 30.0) -> None:  # a loaded machine is slow
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
