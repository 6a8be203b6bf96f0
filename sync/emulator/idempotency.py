"""`Idempotency-Key` on POST: the same key replays the first response without redoing the work."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from localstripe.errors import UserError

from sync.emulator.files import parameters_digest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The stripe SDK sends a fresh key with every POST, so bound the memory (Stripe: 24 h).
MAX_KEYS = 5000


@dataclass(frozen=True)
class _Request:
    path: str
    body_hash: str


@dataclass(frozen=True)
class _Saved:
    status: int
    body: bytes
    content_type: str


class IdempotencyCache:
    def __init__(self) -> None:
        self._requests: OrderedDict[str, _Request] = OrderedDict()
        self._responses: dict[str, _Saved] = {}

    def clear(self) -> None:
        self._requests.clear()
        self._responses.clear()

    def _remember(self, key: str, request: _Request) -> None:
        self._requests[key] = request
        while len(self._requests) > MAX_KEYS:
            old, _ = self._requests.popitem(last=False)
            self._responses.pop(old, None)

    def _forget(self, key: str) -> None:
        self._requests.pop(key, None)
        self._responses.pop(key, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key or not request.path.startswith("/v1/"):
            return await handler(request)
        this = _Request(request.path, await parameters_digest(request))
        first = self._requests.get(key)
        if first is not None:
            return self._replay(key, first, this)
        self._remember(key, this)
        try:
            response = await handler(request)
        except UserError as error:  # a card decline is a result Stripe replays too
            response = error.to_response()
        except BaseException:
            self._forget(key)
            raise
        if response.status >= 500 or not isinstance(response, web.Response):
            self._forget(key)  # Stripe does not keep results of failed executions
        else:
            self._responses[key] = _Saved(response.status, bytes(response.body or b""),
                                          response.content_type)
        return response

    def _replay(self, key: str, first: _Request, this: _Request) -> web.Response:
        if first != this:
            return _idempotency_error(
                400,
                f"Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                f"execute a different request.",
            )
        saved = self._responses.get(key)
        if saved is None:
            return _idempotency_error(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through). Please try again later.",
            )
        return web.Response(status=saved.status, body=saved.body, content_type=saved.content_type,
                            headers={"Idempotent-Replayed": "true"})


def _idempotency_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"type": "idempotency_error", "message": message}},
                             status=status)


cache = IdempotencyCache()
