"""payconsole's add-on to localstripe 1.15.10: what it lacks or gets wrong for this product.

Disputes, the missing charge / refund / payment-method / dispute events, current object
shapes, manual capture with capture_before, refund amount rules, idempotency keys, a
settable clock and a sane state file.
Everything patches localstripe.resources and must run before localstripe.server is imported,
because the server binds some handlers (the `extra_apis` table) at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from localstripe import resources

from sync.emulator import (
    account,
    balance,
    charges,
    clock,
    compat,
    disputes,
    events,
    files,
    fraud_warnings,
    payment_methods,
    payouts,
    persistence,
    refunds,
)
from sync.emulator.idempotency import cache as idempotency_cache

_installed = False


def _reset_addon_state() -> None:
    """`DELETE /_config/data` also forgets idempotency keys and returns to real time."""
    idempotency_cache.clear()
    clock.clock.set(None)


def install(state: persistence.StateFile) -> None:
    """Patch localstripe's resources; once per process."""
    global _installed
    if _installed:
        raise RuntimeError("the emulator add-on is already installed in this process")
    compat.require_localstripe()
    clock.install()
    events.install()
    persistence.install(state, on_clear=_reset_addon_state)
    payment_methods.install()
    charges.install()
    refunds.install()
    disputes.install()
    balance.install()
    files.install()
    payouts.install()
    fraud_warnings.install()
    _installed = True


def build_app(state: persistence.StateFile,
              emulated_account: account.EmulatedAccount | None = None) -> web.Application:
    """localstripe's aiohttp app with the add-on, its control routes, the state file and the
    account its keys belong to."""
    install(state)
    from localstripe import server  # only now: it binds handlers at import

    from sync.emulator import control_api

    state.load(resources.store)
    app: web.Application = server.app
    # After error and auth handling, before localstripe's save-after-write middleware.
    app.middlewares.insert(2, idempotency_cache.middleware)
    control_api.add_routes(app)
    files.add_routes(app)
    account.add_route(app, emulated_account or account.EmulatedAccount())
    app.cleanup_ctx.append(_flusher(state))
    return app


def _flusher(
    state: persistence.StateFile,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Save at most about once a second while serving, and once more on shutdown."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(state.run_flusher(resources.store))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        state.flush(resources.store)

    return run
