"""App-wide messages: small dataclasses that bubble up to PayConsoleApp."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class SyncFinished(Message):
    """A background job ran; the ledger may have changed.

    `result` is opaque (a sync.service.SyncReport for the sync job): only `str()` it.
    """

    job: str
    result: Any
    error: BaseException | None


@dataclass
class OpenPayment(Message):
    """Someone asked to see one payment in full."""

    payment_id: str
