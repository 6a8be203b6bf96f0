"""`GET /v1/account`: the account every key of this emulator instance belongs to.

localstripe has no accounts. Each instance answers with one of its own, set by the launcher
(`--account-id`, `--account-name`, ...), so that tests can run two "accounts" side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

DEFAULT_ACCOUNT_ID = "acct_payconsole_demo"
DEFAULT_ACCOUNT_NAME = "payconsole demo"


@dataclass(frozen=True)
class EmulatedAccount:
    id: str = DEFAULT_ACCOUNT_ID
    name: str = DEFAULT_ACCOUNT_NAME
    country: str = "US"
    default_currency: str = "usd"

    def as_stripe(self) -> dict[str, Any]:
        """The Account object, in the shape of Stripe's (the fields payconsole reads and a
        few around them)."""
        return {
            "id": self.id, "object": "account", "type": "standard",
            "business_profile": {"name": self.name},
            "settings": {"dashboard": {"display_name": self.name}},
            "country": self.country, "default_currency": self.default_currency,
            "charges_enabled": True, "payouts_enabled": True, "details_submitted": True,
        }


def add_route(app: web.Application, account: EmulatedAccount) -> None:
    async def get_account(request: web.Request) -> web.Response:
        return web.json_response(account.as_stripe())

    app.router.add_get("/v1/account", get_account)
