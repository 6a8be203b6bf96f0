"""What a user of the real thing installs: a wheel built from this repository, in a clean
venv, without the `demo` extra. It must run `--help` and `sync --once` (against an emulator
started from the development venv), and the two commands that need the extra must say how
to get it. About 15 s, nearly all of it pip installing the dependencies: from the wheels that
`make` installed the development venv from ($PAYCONSOLE_WHEELHOUSE) when they are all there,
else from the index (a minute or more: pip's HTTP cache keeps nothing on some machines)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
import stripe

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "console", "ledger", "sync")
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
WHEELHOUSE = os.environ.get("PAYCONSOLE_WHEELHOUSE", "")


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300,
                          **kwargs)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    """`pip ARGS` from the wheelhouse alone when it has every package asked for (the same
    pinned versions, nothing downloaded), else from the index."""
    if WHEELHOUSE and Path(WHEELHOUSE).is_dir():
        local = _run([*PIP, *args, "--no-index", "--find-links", WHEELHOUSE])
        if local.returncode == 0:
            return local
    return _run([*PIP, *args])


def _build_wheel(work: Path) -> Path:
    """`pip wheel --no-deps` on a copy of the sources (a build writes into its tree)."""
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = _pip("wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(source))
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("payconsole-*.whl")
    return wheel


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the wheel and its dependencies only; returns its bin directory."""
    work = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(work)
    # No pip inside: this venv's pip installs into it, which saves the ensurepip step.
    venv.create(work / "venv", with_pip=False)
    python = work / "venv" / "bin" / "python"
    installed = _pip("--python", str(python), "install", "--quiet", "--no-compile", str(wheel))
    assert installed.returncode == 0, installed.stderr
    return python.parent


def test_the_wheel_runs_without_the_demo_extra(clean_venv: Path, tmp_path: Path,
                                               emulator: Any,
                                               stripe_client: stripe.StripeClient) -> None:
    """SQLite only: the installed wheel's default ledger, the embedded file."""
    env = {"PATH": "/usr/bin:/bin", "STRIPE_API_KEY": "sk_test_payconsole",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    payconsole = str(clean_venv / "payconsole")
    absent = _run([str(clean_venv / "python"), "-c", "import localstripe"], env=env)
    assert absent.returncode == 1 and "No module named 'localstripe'" in absent.stderr

    helped = _run([payconsole, "--help"], env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "sync" in helped.stdout, helped.stderr

    card = stripe_client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 1, "exp_year": 2032, "cvc": "123"}})
    intent = stripe_client.v1.payment_intents.create({
        "amount": 1500, "currency": "usd", "payment_method": card.id, "confirm": True}).id
    ledger = tmp_path / "ledger.db"
    synced = _run([payconsole, "sync", "--once", "--ledger", str(ledger),
                   "--api-base", emulator.api_base], env=env, cwd=tmp_path)
    assert synced.returncode == 0 and "backfilled" in synced.stdout, synced.stderr
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT id FROM payment").fetchall() == [(intent,)]

    for command in ("demo", "emulator"):
        refused = _run([payconsole, command], env=env, cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr == (f"payconsole {command}: the local Stripe emulator is not "
                                  "installed; install the demo extra: "
                                  "pip install 'payconsole[demo]'\n")
