"""Background jobs on APScheduler 3.x, sharing the caller's asyncio loop.

Each job's blocking work runs in a thread (`asyncio.to_thread`), so the loop (Textual's,
in the console) stays responsive; `max_instances=1` and `coalesce=True` mean a slow sync
is never run twice at once nor queued up behind itself. The result, or the exception, is
handed to `on_done` on the loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

Outcome = Callable[[Any, BaseException | None], None]


@dataclass
class Job:
    name: str
    work: Callable[[], Any]
    every_seconds: float
    on_done: Outcome | None = None
    run_at_start: bool = True
    # Called by `run_now` first, e.g. to end a backoff the operator wants to skip.
    wake: Callable[[], None] | None = None


class JobScheduler:
    def __init__(self, jobs: list[Job]) -> None:
        # Imported here: a console that runs no jobs (offline) never loads APScheduler.
        # APScheduler 3 ships no type information.
        from apscheduler.schedulers.asyncio import (  # type: ignore[import-untyped]
            AsyncIOScheduler,
        )

        self._jobs = {job.name: job for job in jobs}
        self._scheduler = AsyncIOScheduler()

    def start(self) -> None:
        """Start on the running event loop (call from inside it)."""
        self._scheduler.configure(event_loop=asyncio.get_running_loop())
        for job in self._jobs.values():
            # APScheduler reads next_run_time=None as "paused": leave it out to wait a period.
            first_run = {"next_run_time": datetime.now().astimezone()} if job.run_at_start else {}
            self._scheduler.add_job(
                self._run,
                "interval",
                seconds=job.every_seconds,
                args=[job],
                id=job.name,
                max_instances=1,
                coalesce=True,
                **first_run,
            )
        self._scheduler.start()

    def run_now(self, name: str) -> None:
        """Ask for a run as soon as the previous one (if any) has finished."""
        wake = self._jobs[name].wake
        if wake is not None:
            wake()
        self._scheduler.modify_job(name, next_run_time=datetime.now().astimezone())

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    @staticmethod
    async def _run(job: Job) -> None:
        try:
            result = await asyncio.to_thread(job.work)
        except Exception as exc:  # reported to the owner, never kills the loop
            log.warning("job %s failed: %s", job.name, exc)
            if job.on_done:
                job.on_done(None, exc)
            return
        if job.on_done:
            job.on_done(result, None)
