"""Reading objects back from Stripe around an action: before planning (the CLI refreshes
its target) and after a write (what else the write changed). Stores nothing itself."""

from __future__ import annotations

import logging
from typing import Any

from sync.action_answers import kind_of, related_ids
from sync.gateway import GatewayError, NotFound, StripeGateway
from sync.resources import OBJECT_PATHS, PAYMENT_METHODS_PATH

log = logging.getLogger(__name__)


def fetch(gateway: StripeGateway, ids: list[str], *, follow: bool = False
          ) -> list[dict[str, Any]]:
    """GET each object Stripe knows; `follow`: and the objects they name (one level)."""
    objects = []
    for object_id in dict.fromkeys(ids):
        kind = kind_of(object_id)
        if kind is None:
            continue
        try:
            objects.append(gateway.get(OBJECT_PATHS[kind].format(object_id)))
        except NotFound:
            continue
    if follow:
        objects += fetch(gateway, [i for obj in objects for i in related_ids(obj)])
    return objects


def fetch_with_methods(gateway: StripeGateway, object_id: str) -> list[dict[str, Any]]:
    """One object, those hanging off it, and the cards of any customer among them; empty
    when Stripe does not know it. Raises GatewayError."""
    objects = fetch(gateway, [object_id], follow=True)
    for customer in [o["id"] for o in objects if o.get("object") == "customer"]:
        params = {"customer": customer, "type": "card"}
        objects += [m for page in gateway.pages(PAYMENT_METHODS_PATH, params) for m in page]
    return objects


def reread(gateway: StripeGateway, ids: list[str], *, follow: bool = False
           ) -> list[dict[str, Any]]:
    """After a write: best effort, since the sync will bring anything missed."""
    try:
        return fetch(gateway, ids, follow=follow)
    except GatewayError as exc:
        log.warning("could not re-read %s after an action: %s", ", ".join(ids), exc)
        return []
