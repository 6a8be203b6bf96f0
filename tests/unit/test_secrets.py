"""Secrets stay out of messages, logs and tracebacks; a key's mode is read from its prefix."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peewee import SqliteDatabase

from console.config import load_settings
from console.errors import ConfigError
from sync.gateway import GatewayError
from sync.health import load_health
from sync.secrets import RedactingFilter, key_mode, redact
from sync.service import SyncError, SyncService
from sync.webhook import WebhookReceiver

KEY = "sk_live_SECRETCANARY123"


@pytest.mark.parametrize("secret", [
    "sk_test_51AbCdEf", "sk_live_51AbCdEf", "rk_test_51AbCdEf", "rk_live_51AbCdEf",
    "whsec_AbCdEf012",
])
@pytest.mark.parametrize("around", [
    "{}", "key={}", "Bearer {}", "STRIPE_KEY_{}", "'{}'", "({})", "https://x/?k={}&y",
    "{}\n{}", "Invalid API Key provided: {}",
])
def test_every_kind_of_secret_is_redacted_wherever_it_sits(secret: str, around: str) -> None:
    text = redact(around.format(secret, secret))
    assert "AbCdEf" not in text
    assert secret.rsplit("_", 1)[0] + "_…" in text  # what kind of secret it was stays


@settings(max_examples=80, deadline=None)
@given(before=st.text(max_size=20), after=st.text(max_size=20),
       body=st.from_regex(r"\A[A-Za-z0-9]{6,40}\Z"),
       prefix=st.sampled_from(["sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_"]))
def test_redaction_never_leaves_a_secret_body(before: str, after: str, body: str,
                                              prefix: str) -> None:
    separated = before + " " + prefix + body + " " + after
    assert prefix + body not in redact(separated)


def test_ids_and_words_that_merely_contain_test_are_left_alone() -> None:
    text = "pi_3Ab test_mode desk evt_1 tests/unit/test_secrets.py"
    assert redact(text) == text


@pytest.mark.parametrize(("key", "mode"), [
    ("sk_live_x", "live"), ("rk_live_x", "live"), ("sk_test_x", "test"), ("rk_test_x", "test"),
    ("sk_test_live_x", "test"),
])
def test_key_mode_reads_the_prefix(key: str, mode: str) -> None:
    assert key_mode(key) == mode


def test_log_records_their_arguments_and_tracebacks_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test_secrets")
    log.addHandler(handler)
    try:
        log.warning("calling with %s and %r", KEY, {"key": KEY})
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            log.exception("failed with whsec_SECRETCANARY")
        log.warning("stack", stack_info=True, extra={"k": KEY})
    finally:
        log.removeHandler(handler)
    assert "SECRETCANARY" not in stream.getvalue()
    assert "RuntimeError: boom sk_live_…" in stream.getvalue()


def test_errors_health_and_reprs_never_carry_a_secret(
        ledger: SqliteDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert "SECRETCANARY" not in str(GatewayError(f"Stripe said: bad key {KEY}"))

    class Exploding:
        requests_made = 0

        def pages(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"an unexpected failure quoting {KEY}")

    with pytest.raises(SyncError) as caught:
        SyncService(Exploding()).run_once()  # type: ignore[arg-type]
    assert "SECRETCANARY" not in str(caught.value)
    assert "SECRETCANARY" not in (load_health().last_error or "")

    receiver = WebhookReceiver("whsec_SECRETCANARY", SyncService(Exploding()).apply_pushed)  # type: ignore[arg-type]
    assert "SECRETCANARY" not in repr(receiver) + repr(receiver.stats)
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_SECRETCANARY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PAYCONSOLE_CONFIG", raising=False)
    assert "SECRETCANARY" not in repr(load_settings()) + str(load_settings().model_dump())


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("PAYCONSOLE_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "config.toml"


def test_the_webhook_secret_comes_from_the_environment_or_a_private_file(
        clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().webhook_secret() is None  # no secret: no receiver
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_fromenv")
    assert load_settings().webhook_secret() == "whsec_fromenv"
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    clean_env.write_text('[webhook]\nsecret = "whsec_fromfile"\nlisten = "[::1]:9999"\n')
    clean_env.chmod(0o644)
    with pytest.raises(ConfigError, match=r"holds webhook\.secret but others can read it"):
        load_settings(str(clean_env))
    clean_env.chmod(0o600)
    settings = load_settings(str(clean_env))
    assert (settings.webhook_secret(), settings.webhook.address()) == ("whsec_fromfile",
                                                                       ("::1", 9999))


@pytest.mark.parametrize(("listen", "secret", "message"), [
    ("0.0.0.0:8787", None, "not a loopback address"),
    ("192.168.1.5:8787", None, "not a loopback address"),
    ("127.0.0.1", None, "must be host:port"),
    ("127.0.0.1:70000", None, "must be host:port"),
    ("127.0.0.1:8787", "sk_test_oops", "must be a webhook signing secret"),
])
def test_webhook_settings_refuse_what_would_expose_or_misuse_a_secret(
        clean_env: Path, listen: str, secret: str | None, message: str) -> None:
    webhook = {"listen": listen, **({"secret": secret} if secret else {})}
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(overrides={"webhook": webhook})
    assert "oops" not in str(caught.value)
