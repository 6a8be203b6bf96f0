"""The reader thread the Analytics pane reads through keeps its connection between reads,
and drops one a read failed on (a server gone away), so that the next read reconnects."""

from __future__ import annotations

import pytest
from peewee import Database

from console.ledger_reader import LedgerReader
from ledger.models import Payment, database


def connection_of_this_thread() -> int:
    return id(database.connection())


def failing_read() -> None:
    raise RuntimeError("the server went away")


async def test_reads_keep_one_connection_until_one_fails(ledger: Database) -> None:
    reader = LedgerReader("test-reader")
    try:
        first = await reader.read(connection_of_this_thread)
        assert await reader.read(connection_of_this_thread) == first
        assert first != connection_of_this_thread()  # the reader's own, not the caller's
        with pytest.raises(RuntimeError, match="went away"):
            await reader.read(failing_read)
        assert await reader.read(lambda: Payment.select().count()) == 0  # reconnected
    finally:
        reader.close()


async def test_a_closed_reader_refuses_reads(ledger: Database) -> None:
    reader = LedgerReader("test-reader")
    reader.close()
    with pytest.raises(RuntimeError):
        await reader.read(connection_of_this_thread)
