"""Control endpoints under /_config/ (no API key, like localstripe's own): tests and the seeder.

Imports localstripe.server, which binds handlers at import: import this module only after
the add-on has patched the resources (addon.build_app does).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import server

from sync.emulator import disputes, drift, fraud_warnings, payouts_control
from sync.emulator.clock import clock
from sync.emulator.events import clear_webhooks
from sync.emulator.params import as_int


async def _params(request: web.Request) -> dict[str, Any]:
    return dict(await server.get_post_data(request) or {})


async def create_dispute(request: web.Request) -> web.Response:
    dispute = disputes.open_dispute(**await _params(request))
    return server.json_response(dispute._export())


async def resolve_dispute(request: web.Request) -> web.Response:
    dispute = disputes.resolve_dispute(request.match_info["id"], **await _params(request))
    return server.json_response(dispute._export())


def _clock_state() -> web.Response:
    return server.json_response({"now": clock.fixed, "real": clock.fixed is None})


async def set_clock(request: web.Request) -> web.Response:
    """`now=<unix ts>` fixes the time of everything created afterwards; empty/null: real time."""
    now = (await _params(request)).get("now")
    clock.set(None if now in (None, "", "null") else as_int(now, "now", minimum=0))
    return _clock_state()


async def get_clock(request: web.Request) -> web.Response:
    return _clock_state()


async def delete_webhooks(request: web.Request) -> web.Response:
    clear_webhooks()
    return web.Response()


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_config/disputes", create_dispute)
    app.router.add_post("/_config/disputes/{id}/resolve", resolve_dispute)
    app.router.add_post("/_config/clock", set_clock)
    app.router.add_get("/_config/clock", get_clock)
    app.router.add_delete("/_config/webhooks", delete_webhooks)
    drift.add_routes(app)
    payouts_control.add_routes(app)
    fraud_warnings.add_routes(app)
