"""Named values the sync keeps in the ledger (cursors, health), as JSON."""

from __future__ import annotations

import json
from typing import Any

from ledger.models import SyncState


def get_state(key: str, default: Any = None) -> Any:
    row = SyncState.get_or_none(SyncState.key == key)
    return default if row is None else json.loads(row.value)


def set_state(key: str, value: Any) -> None:
    stored = json.dumps(value, sort_keys=True)
    SyncState.insert(key=key, value=stored).on_conflict_replace().execute()
