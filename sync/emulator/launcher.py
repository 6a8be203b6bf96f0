"""Run the emulator (`python -m sync.emulator`) and drive it from Python (`EmulatorProcess`).

Only the stdlib at import: `EmulatorProcess` users must not pull localstripe into their process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from sync.emulator.compat import EmulatorVersionError, require_localstripe
from sync.emulator.control import ControlClient

HOST = "127.0.0.1"  # never all interfaces: the emulator has no real authentication
DEFAULT_PORT = 8420
READY_PREFIX = "LISTENING "


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sync.emulator",
        description="Local Stripe emulator (localstripe + payconsole add-on) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1; 0 picks a free one (default {DEFAULT_PORT})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state", type=Path, metavar="FILE",
                       help="keep the data in FILE between runs")
    where.add_argument("--no-persist", action="store_true",
                       help="keep the data in memory only (the default without --state)")
    parser.add_argument("--account-id", metavar="ACCT",
                        help="the account GET /v1/account answers with, for every key "
                             "(default acct_payconsole_demo)")
    parser.add_argument("--account-name", metavar="NAME",
                        help="that account's business name (default: payconsole demo)")
    parser.add_argument("--log-requests", action="store_true",
                        help="log every request to stderr")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (a parent process that dies stops us)")
    return parser.parse_args(argv)


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def _stop_on(stop: asyncio.Event, args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        stdin = sys.stdin.fileno()

        def on_stdin() -> None:
            if not os.read(stdin, 4096):
                loop.remove_reader(stdin)
                stop.set()

        loop.add_reader(stdin, on_stdin)


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from sync.emulator import addon, persistence
    from sync.emulator.account import EmulatedAccount

    sock = _bind(args.port)  # first: a taken port fails before any state is loaded
    state = persistence.StateFile(args.state)
    chosen = {"id": args.account_id, "name": args.account_name}
    app = addon.build_app(state, EmulatedAccount(**{k: v for k, v in chosen.items() if v}))
    access_log = logging.getLogger("aiohttp.access") if args.log_requests else None
    runner = web.AppRunner(app, access_log=access_log)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        stop = asyncio.Event()
        _stop_on(stop, args)
        # Only now: the socket is listening, so a client may connect as soon as it reads this.
        print(f"{READY_PREFIX}{sock.getsockname()[1]}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()  # runs the add-on's cleanup: the final state flush
        sock.close()


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground until SIGINT/SIGTERM; returns the exit status."""
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.log_requests else logging.WARNING,
                        stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        require_localstripe()  # before anything imports localstripe's internals
    except EmulatorVersionError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    from sync.emulator.persistence import StateFileError

    try:
        asyncio.run(_serve(args))
    except StateFileError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"emulator: cannot listen on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


class EmulatorError(RuntimeError):
    """The emulator process did not start or answer; the message includes its stderr tail."""


class EmulatorProcess:
    """One emulator subprocess on a free loopback port, as a context manager.

    `state=None` keeps data in memory only; a path keeps it in that file across restarts.
    `account_id` / `account_name`: the account its keys belong to (default: the demo's).
    """

    def __init__(self, *, state: str | os.PathLike[str] | None = None, port: int = 0,
                 startup_timeout: float = 20.0, log_requests: bool = False,
                 account_id: str | None = None, account_name: str | None = None) -> None:
        self.state = Path(state) if state is not None else None
        self._account_options = [
            *(["--account-id", account_id] if account_id else []),
            *(["--account-name", account_name] if account_name else []),
        ]
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._log_requests = log_requests
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._port: int | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def _command(self) -> list[str]:
        cmd = [sys.executable, "-m", "sync.emulator", "--port", str(self._requested_port),
               "--exit-on-stdin-eof"]
        cmd += ["--state", str(self.state)] if self.state is not None else ["--no-persist"]
        cmd += self._account_options
        return cmd + (["--log-requests"] if self._log_requests else [])

    def start(self) -> EmulatorProcess:
        if self._proc is not None:
            raise EmulatorError("the emulator is already running")
        # stderr to a file, not a pipe nobody reads: a full pipe would block the server.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self._proc = subprocess.Popen(self._command(), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            self._port = self._wait_until_listening()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_listening(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self._startup_timeout
        fd, seen = self._proc.stdout.fileno(), b""
        while b"\n" not in seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmulatorError(f"emulator did not listen within {self._startup_timeout} s"
                                    f"{self._stderr_tail()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            chunk = os.read(fd, 4096) if ready else b""
            if ready and not chunk:
                code = self._proc.wait()
                raise EmulatorError(f"emulator exited with status {code}{self._stderr_tail()}")
            seen += chunk
        line = seen.split(b"\n", 1)[0].decode(errors="replace").strip()
        if not line.startswith(READY_PREFIX):
            raise EmulatorError(f"unexpected emulator output {line!r}{self._stderr_tail()}")
        return int(line.removeprefix(READY_PREFIX))

    def _stderr_tail(self, limit: int = 2000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        tail = self._stderr.read().decode(errors="replace")[-limit:].strip()
        return f"\n--- emulator stderr (tail) ---\n{tail}" if tail else ""

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate (the emulator flushes its state on SIGTERM) and wait; returns the status."""
        proc, self._proc, self._port = self._proc, None, None
        code = None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return code

    def kill(self) -> None:
        """SIGKILL without any flush: for tests of what survives a crash."""
        if self._proc is not None:
            self._proc.kill()
        self.stop()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- addresses and control -------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmulatorError("the emulator is not running")
        return self._port

    @property
    def api_base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.api_base)

    def reset(self) -> None:
        """Empty the emulator: data, idempotency keys, clock and webhook registrations."""
        self.control.reset()
