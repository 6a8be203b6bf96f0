"""`payconsole sync`: the headless sync loop (and, on a team ledger, the service that runs
the operators' requests), and the background jobs the console shares with it."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from console.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    Command,
    make_request_runner,
    make_sync_service,
    settings_from,
)
from console.config import Settings
from ledger.db import open_ledger
from ledger.team import operator_role

if TYPE_CHECKING:
    from ledger.notify import ChangeFeed
    from sync.scheduler import Job, JobScheduler, Outcome
    from sync.service import SyncService
    from sync.team_service import RequestRunner
    from sync.webhook import WebhookReceiver


def _request_feed(settings: Settings, scheduler: JobScheduler) -> ChangeFeed:
    """A new request or approval runs the requests job at once, not at the next interval."""
    import asyncio

    from ledger.notify import ChangeFeed

    assert settings.ledger.url is not None  # team mode is PostgreSQL
    loop = asyncio.get_running_loop()

    def wake() -> None:
        loop.call_soon_threadsafe(scheduler.run_now, "requests")

    feed = ChangeFeed(settings.ledger.url, wake, tables=("action_request", "request_approval"))
    feed.start()
    return feed


def webhook_receivers(settings: Settings, service: SyncService) -> list[WebhookReceiver]:
    """The webhook receiver, when [webhook] has a secret; it feeds `service`'s apply path."""
    secret = settings.webhook_secret()
    if not secret:
        return []
    from sync.webhook import WebhookReceiver

    host, port = settings.webhook.address()
    return [WebhookReceiver(secret, service.apply_pushed, host=host, port=port,
                            max_body_bytes=settings.webhook.max_body_bytes)]


def reconcile_jobs(settings: Settings, service: SyncService,
                    on_done: Outcome | None = None) -> list[Job]:
    """The scheduled reconcile (repairing, recording its summary) unless it is off; the
    first run waits a period, so it never races the first sync's backfill."""
    if not settings.sync.reconcile_every:
        return []
    from sync.reconcile import scheduled_reconcile
    from sync.scheduler import Job

    def work() -> object:
        # A follower leaves the repairs to the leader, like the sync itself.
        if not service.leads():
            return None
        return scheduled_reconcile(service.gateway, days=settings.sync.reconcile_days)

    return [Job("reconcile", work, settings.sync.reconcile_every, on_done, run_at_start=False)]


def run_sync(args: argparse.Namespace) -> int:
    from sync.service import SyncError

    settings = settings_from(args)
    open_ledger(settings.ledger.location)
    if (role := operator_role()) is not None:
        print(f"payconsole: {role} is an operator of this team ledger: only its sync service's "
              "role runs the sync (your requests reach it through the ledger)", file=sys.stderr)
        return EXIT_BAD_INPUT
    service = make_sync_service(settings)
    runner = make_request_runner(settings, service.gateway)
    if args.once:
        if not service.leads():
            print(f"{service.role}: the leader syncs this ledger; nothing to do")
            return EXIT_OK
        try:
            print(service.run_once())
        except SyncError as exc:
            print(f"payconsole: sync failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if runner is not None:
            print(f"requests: {runner.run_once()} moved")
        return EXIT_OK
    return _sync_forever(service, settings, webhook_receivers(settings, service), runner)


def request_job(service: SyncService, runner: RequestRunner | None, every: float,
                 on_done: Outcome | None) -> list[Job]:
    """The team service's pass over the operators' requests, when this process leads."""
    if runner is None:
        return []
    from sync.scheduler import Job

    def work() -> str | None:
        moved = runner.run_once() if service.leads() else 0
        return f"requests: {moved} moved" if moved else None

    return [Job("requests", work, every, on_done)]


def _sync_forever(service: SyncService, settings: Settings,
                  receivers: list[WebhookReceiver], runner: RequestRunner | None = None) -> int:
    import asyncio

    from sync.account import AccountRefused
    from sync.scheduler import Job, JobScheduler
    from sync.webhook import WebhookError

    stop = asyncio.Event()  # set by a refusal no later run could overcome (another account)
    refused: list[AccountRefused] = []
    roles: list[str | None] = [None]  # leader / following host:pid, printed as it changes

    def reporter(job: str) -> Outcome:
        def report(result: object, error: BaseException | None) -> None:
            if isinstance(error, AccountRefused):
                refused.append(error)
                stop.set()
            elif error is not None:
                print(f"{job} failed: {error}", flush=True)
            elif result is not None:  # None: a run skipped (backing off, or following)
                print(result, flush=True)
            if service.role != roles[-1]:
                roles.append(service.role)
                print(f"sync: {service.role}", flush=True)

        return report

    interval = settings.sync.interval_seconds
    jobs = [Job("sync", service.run_due, interval, reporter("sync")),
            *reconcile_jobs(settings, service, reporter("reconcile")),
            *request_job(service, runner, interval, reporter("requests"))]

    async def forever() -> None:
        for receiver in receivers:
            await receiver.start()
            print(f"receiving webhooks at {receiver.url}", flush=True)
        scheduler = JobScheduler(jobs)
        scheduler.start()
        feed = _request_feed(settings, scheduler) if runner is not None else None
        try:
            await stop.wait()
        finally:
            if feed is not None:
                feed.stop()
            scheduler.shutdown()
            for receiver in receivers:
                await receiver.stop()

    print(f"syncing every {interval:g}s; Ctrl-C stops", flush=True)
    try:
        asyncio.run(forever())
    except WebhookError as exc:
        print(f"payconsole: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if refused:
        print(f"payconsole: {refused[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one sync run, then exit")


SYNC_COMMANDS: dict[str, Command] = {
    "sync": Command("bring the ledger up to date with Stripe (headless)",
                    "payconsole sync --once", run_sync, _sync_arguments),
}
