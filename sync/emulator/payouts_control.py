"""The payouts' control endpoints (tests, the demo): sweep the balance into payouts, fail
a payout, alter a balance transaction. Imports localstripe.server: load it only once the
add-on is installed (control_api does)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import server

from sync.emulator.payouts import alter_transaction, fail, sweep


async def _params(request: web.Request) -> dict[str, Any]:
    return dict(await server.get_post_data(request) or {})


async def sweep_route(request: web.Request) -> web.Response:
    payouts = sweep(**await _params(request))
    return server.json_response({"object": "list", "data": [p._export() for p in payouts]})


async def fail_route(request: web.Request) -> web.Response:
    payout = fail(request.match_info["id"], **await _params(request))
    return server.json_response(payout._export())


async def alter_transaction_route(request: web.Request) -> web.Response:
    txn = alter_transaction(request.match_info["id"], **await _params(request))
    return server.json_response(txn._export())


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_config/payouts/sweep", sweep_route)
    app.router.add_post("/_config/payouts/{id}/fail", fail_route)
    app.router.add_post("/_config/balance_transactions/{id}", alter_transaction_route)
