"""A fault-injecting HTTP proxy on loopback, in front of the emulator (tests only).

It forwards every request to `upstream` unchanged, except those a queued `Fault` claims:
those get an error status (500, 429 with Retry-After, ...) or hang without answering.
It runs its own event loop in a thread, so synchronous code (the SDK) can talk to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

# Hop-by-hop headers and those aiohttp recomputes: never copied across the proxy.
_DROPPED = {"host", "content-length", "transfer-encoding", "connection", "content-encoding",
            "keep-alive"}


@dataclass
class Fault:
    """What to do to a matching request instead of forwarding it."""

    status: int = 500
    body: str = '{"error": {"type": "api_error", "message": "injected fault"}}'
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the proxy stops): the client times out
    path: str = ""  # only requests whose path starts with this
    skip: int = 0  # let this many matching requests through first
    times: int = 1  # then apply to this many


@dataclass
class Seen:
    method: str
    path: str
    outcome: str  # "forwarded", the injected status, or "hang"


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.on_request: Callable[[str, str], None] | None = None  # (method, path), sync
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._hangs: set[asyncio.Event] = set()

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._port is not None, "the proxy is not running"
        return f"http://127.0.0.1:{self._port}"

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        """Forget queued faults and release every hanging request."""
        with self._lock:
            self.faults.clear()
        self._loop.call_soon_threadsafe(self._release_hangs)

    def outcomes(self, path: str = "") -> list[str]:
        with self._lock:
            return [s.outcome for s in self.seen if s.path.startswith(path)]

    # -- on the proxy's loop ----------------------------------------------------------

    def _release_hangs(self) -> None:
        for hang in list(self._hangs):
            hang.set()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession(auto_decompress=True)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        for hang in list(self._hangs):
            hang.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _claim(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not path.startswith(fault.path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _record(self, request: web.Request, outcome: str) -> None:
        with self._lock:
            self.seen.append(Seen(request.method, request.path, outcome))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.on_request is not None:
            await asyncio.to_thread(self.on_request, request.method, request.path)
        fault = self._claim(request.path)
        if fault is not None and fault.hang:
            self._record(request, "hang")
            released = asyncio.Event()
            self._hangs.add(released)
            try:
                await released.wait()
            finally:
                self._hangs.discard(released)
            return web.Response(status=504, text="released")
        if fault is not None:
            self._record(request, str(fault.status))
            return web.Response(status=fault.status, text=fault.body,
                                headers={"Content-Type": "application/json", **fault.headers})
        self._record(request, "forwarded")
        return await self._forward(request)

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers,
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROPPED}
            return web.Response(status=upstream.status, body=body, headers=kept)
