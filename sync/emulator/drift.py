"""Control endpoints that make real drift between the emulator and a ledger: change an
object's fields without emitting its event, and delete an event, so that the sync never
hears of a change (as with a lost webhook or an event past Stripe's 30 days)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import resources, server

from sync.emulator.errors import stripe_error


def _stored(object_id: str, *, events: bool = False) -> tuple[str, Any]:
    """The store key and object of `object_id` (events only when asked: they share ids
    with nothing, but an object's drift must never rewrite its history)."""
    for key, value in resources.store.items():
        kind, _, stored_id = key.partition(":")
        if stored_id == object_id and (kind == "event") == events:
            return key, value
    raise stripe_error(404, f"No such object: '{object_id}'", code="resource_missing")


def _drifted(current: Any, value: Any) -> Any:
    """A dict field is merged into a copy (earlier events keep theirs); others replaced."""
    if isinstance(current, dict) and isinstance(value, dict):
        return {**current, **value}
    return value


async def drift_object(request: web.Request) -> web.Response:
    """`POST /_config/drift/{id}` with a JSON object of fields: set them, emit nothing."""
    _, obj = _stored(request.match_info["id"])
    fields = await request.json()
    if not isinstance(fields, dict) or not fields:
        raise stripe_error(400, "expected a JSON object of the fields to change")
    for name, value in fields.items():
        if name.startswith("_") or name in ("id", "object") or not hasattr(obj, name):
            raise stripe_error(400, f"{obj.object} has no settable field {name!r}", param=name)
        try:
            setattr(obj, name, _drifted(getattr(obj, name), value))
        except AttributeError:  # a computed property of the emulator's
            raise stripe_error(400, f"{obj.object}.{name} is computed, not stored",
                               param=name) from None
    resources.store.dump_to_disk()
    return server.json_response(obj._export())


async def delete_event(request: web.Request) -> web.Response:
    """`DELETE /_config/events/{id}`: the event is gone from `GET /v1/events`."""
    key, _ = _stored(request.match_info["id"], events=True)
    del resources.store[key]
    return web.Response()


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_config/drift/{id}", drift_object)
    app.router.add_delete("/_config/events/{id}", delete_event)
