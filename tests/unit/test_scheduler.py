"""Jobs run off the loop, report on it, and a job that waits a period does run."""

import asyncio
import threading
from collections.abc import Callable

from sync.scheduler import Job, JobScheduler


async def test_jobs_run_in_threads_and_report_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    runs: dict[str, list[tuple[int, int]]] = {"now": [], "later": []}
    reported = asyncio.Event()

    def done_for(name: str) -> Callable[[int, BaseException | None], None]:
        def done(result: int, error: BaseException | None) -> None:
            assert error is None
            runs[name].append((result, threading.get_ident()))
            if runs["later"]:
                reported.set()
        return done

    scheduler = JobScheduler([
        Job("now", threading.get_ident, 0.2, done_for("now")),
        Job("later", threading.get_ident, 0.3, done_for("later"), run_at_start=False),
    ])
    scheduler.start()
    try:
        await asyncio.wait_for(reported.wait(), timeout=5)
    finally:
        scheduler.shutdown()
    worker, reporter = runs["later"][0]
    assert worker != loop_thread and reporter == loop_thread
    assert runs["now"], "a run_at_start job runs at once"


async def test_a_failing_job_reports_its_error_and_keeps_the_loop() -> None:
    errors: list[BaseException | None] = []
    got = asyncio.Event()

    def boom() -> None:
        raise RuntimeError("down")

    def done(result: object, error: BaseException | None) -> None:
        errors.append(error)
        got.set()

    scheduler = JobScheduler([Job("boom", boom, 10, done)])
    scheduler.start()
    try:
        await asyncio.wait_for(got.wait(), timeout=5)
    finally:
        scheduler.shutdown()
    assert isinstance(errors[0], RuntimeError)
