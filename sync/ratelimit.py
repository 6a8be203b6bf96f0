"""A client-side limit on requests per second, shared by every thread using one gateway.

Stripe allows 25 requests/s in test mode and 100 in live mode; staying under that keeps
429s rare, and the SDK's retries handle the ones that still happen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token bucket: up to `per_second` calls a second, bursts of at most `burst`."""

    def __init__(
        self,
        per_second: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._rate = per_second
        self._capacity = float(burst or max(1, int(per_second)))
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a call is allowed."""
        while True:
            with self._lock:
                now = self._clock()
                refill = (now - self._updated) * self._rate
                self._tokens = min(self._capacity, self._tokens + refill)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)
