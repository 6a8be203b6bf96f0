"""Profiles: `[profiles.NAME]` over the file's own settings, chosen by --profile or
PAYCONSOLE_PROFILE, under the usual precedence; `payconsole profiles` lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from console.cli_common import settings_from
from console.config import load_settings
from console.errors import ConfigError
from ledger.db import open_ledger
from sync.trust import StripeAccount, save_account

pytestmark = pytest.mark.usefixtures("clean_environment")

FILE = """
[stripe]
api_base = "http://shared.invalid"
api_key = "sk_test_shared"
[ledger]
path = "{tmp}/shared.db"
[sync]
backfill_days = 7

[profiles.acme.stripe]
api_key = "sk_live_acmesecret"
[profiles.acme.ledger]
path = "{tmp}/acme.db"
[profiles.acme.webhook]
listen = "127.0.0.1:9001"

[profiles.shop]
ledger = {{ path = "{tmp}/shop.db" }}
stripe = {{ api_key = "sk_test_shopsecret", api_base = "http://shop.invalid" }}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FILE.format(tmp=tmp_path))
    path.chmod(0o600)
    return path


def test_each_profile_resolves_to_its_ledger_and_key(config: Path, tmp_path: Path) -> None:
    acme = load_settings(str(config), profile="acme")
    assert (acme.ledger.path, acme.api_key()) == (tmp_path / "acme.db", "sk_live_acmesecret")
    assert acme.stripe.api_base == "http://shared.invalid"  # the file's own, under the profile
    assert acme.webhook.listen == "127.0.0.1:9001" and acme.sync.backfill_days == 7
    shop = load_settings(str(config), profile="shop")
    assert (shop.ledger.path, shop.api_key()) == (tmp_path / "shop.db", "sk_test_shopsecret")
    assert shop.stripe.api_base == "http://shop.invalid"
    plain = load_settings(str(config))
    assert (plain.ledger.path, plain.api_key()) == (tmp_path / "shared.db", "sk_test_shared")


def test_the_environment_chooses_and_the_command_line_wins(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYCONSOLE_PROFILE", "shop")
    assert load_settings(str(config)).ledger.path == tmp_path / "shop.db"
    from console.cli import build_parser

    args = build_parser().parse_args(["status", "--config", str(config), "--profile", "acme"])
    assert settings_from(args).ledger.path == tmp_path / "acme.db"


def test_precedence_stays_cli_then_environment_then_profile(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_from_env")
    monkeypatch.setenv("PAYCONSOLE_WEBHOOK__LISTEN", "127.0.0.1:9999")
    settings = load_settings(str(config), {"ledger": {"path": "/from/cli.db"}}, "acme")
    assert settings.api_key() == "sk_test_from_env"
    assert settings.webhook.listen == "127.0.0.1:9999"
    assert str(settings.ledger.path) == "/from/cli.db"


def test_an_unknown_profile_is_a_config_error_naming_the_known_ones(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config), profile="acmee")
    assert str(caught.value) == (f"config: unknown profile 'acmee' (in {config}; known: acme, "
                                 "shop)")
    assert main(["status", "--config", str(config), "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="unknown profile 'acme' \\(no config file"):
        load_settings(profile="acme")


def test_a_profile_holds_only_stripe_ledger_and_webhook(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[profiles.acme.sync]\nbackfill_days = 3\n")
    with pytest.raises(ConfigError, match=r"profiles\.acme\.sync: a profile holds only"):
        load_settings(str(path), profile="acme")


def test_a_readable_file_with_a_key_in_a_profile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[profiles.acme.stripe]\napi_key = 'sk_test_x'\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"holds profiles\.acme\.stripe\.api_key but others "
                                          r"can read it .*chmod 600"):
        load_settings(str(path))


def test_profiles_lists_ledgers_and_recorded_accounts_never_keys(
        config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_ledger(tmp_path / "acme.db")
    save_account(StripeAccount("acct_acme", livemode=True, name="Acme Ltd"))
    monkeypatch.setenv("PAYCONSOLE_PROFILE", "acme")
    assert main(["profiles", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"  (no profile)     {tmp_path}/shared.db  no ledger yet",
        f"* acme             {tmp_path}/acme.db  Acme Ltd (acct_acme, live)",
        f"  shop             {tmp_path}/shop.db  no ledger yet",
    ]
    assert main(["profiles", "--config", str(config), "--format", "json"]) == 0
    out = capsys.readouterr().out
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["acme"]["account"]["id"] == "acct_acme" and rows["acme"]["active"]
    assert rows["shop"] == {"name": "shop", "active": False, "ledger": f"{tmp_path}/shop.db",
                            "account": None, "problem": "no ledger yet"}
    assert "secret" not in out and "sk_" not in out
