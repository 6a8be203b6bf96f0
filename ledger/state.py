"""Named values the sync keeps in the ledger (cursors, health), as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any, TypeVar

from ledger.models import SyncState

R = TypeVar("R")


def get_state(key: str, default: Any = None) -> Any:
    row = SyncState.get_or_none(SyncState.key == key)
    return default if row is None else json.loads(row.value)


def set_state(key: str, value: Any) -> None:
    stored = json.dumps(value, sort_keys=True)
    SyncState.insert(key=key, value=stored).on_conflict(
        conflict_target=[SyncState.key], update={SyncState.value: stored}).execute()


def load_record(key: str, record: type[R]) -> R | None:
    """A dataclass stored with `save_record`, less the fields this version does not know (a
    newer or older payconsole may have written it); None when nothing is stored."""
    stored = get_state(key)
    if stored is None:
        return None
    known = {f.name for f in fields(record)}  # type: ignore[arg-type]  # a dataclass type
    return record(**{name: value for name, value in stored.items() if name in known})


def save_record(key: str, value: Any) -> None:
    set_state(key, asdict(value))
