"""A controllable clock, so the demo seeder can create a past month with historical timestamps."""

from __future__ import annotations

import time

from localstripe import resources


class Clock:
    """Real time, or a fixed instant set through `POST /_config/clock`."""

    def __init__(self) -> None:
        self._fixed: int | None = None

    @property
    def fixed(self) -> int | None:
        return self._fixed

    def set(self, now: int | None) -> None:
        self._fixed = now

    def time(self) -> float:
        return float(self._fixed) if self._fixed is not None else time.time()


clock = Clock()


def install() -> None:
    # resources.py calls `time.time()` through its module global `time`: swap that name only.
    resources.time = clock
