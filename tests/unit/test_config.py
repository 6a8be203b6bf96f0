"""Config precedence (CLI > environment > file > defaults) and one-line errors."""

from pathlib import Path

import pytest

from console.cli import main
from console.config import Settings, load_settings
from console.errors import ConfigError

pytestmark = pytest.mark.usefixtures("clean_environment")


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_defaults_need_no_file(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.sync.interval_seconds == 10
    assert settings.ledger.path == tmp_path / "xdg-data" / "payconsole" / "ledger.db"
    assert settings.api_key() is None


def test_precedence_cli_over_env_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    config = write_config(tmp_path / "c.toml", """
[stripe]
api_key = "sk_test_from_file"
api_base = "http://file.invalid"
[ledger]
path = "/from/file.db"
[sync]
interval_seconds = 30
backfill_days = 7
""")
    monkeypatch.setenv("PAYCONSOLE_CONFIG", str(config))
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_from_env")
    monkeypatch.setenv("PAYCONSOLE_SYNC__INTERVAL_SECONDS", "5")
    settings = load_settings(overrides={"ledger": {"path": "/from/cli.db"}})
    assert settings.api_key() == "sk_test_from_env"
    assert settings.sync.interval_seconds == 5
    assert settings.sync.backfill_days == 7  # only in the file
    assert settings.stripe.api_base == "http://file.invalid"
    assert str(settings.ledger.path) == "/from/cli.db"


def test_each_load_reads_only_its_own_file(tmp_path: Path) -> None:
    first = write_config(tmp_path / "a.toml", "[stripe]\napi_base = 'http://a.invalid'\n")
    second = write_config(tmp_path / "b.toml", "[sync]\nbackfill_days = 3\n")
    assert load_settings(str(first)).stripe.api_base == "http://a.invalid"
    settings = load_settings(str(second))
    assert (settings.stripe.api_base, settings.sync.backfill_days) == ("https://api.stripe.com", 3)
    assert isinstance(settings, Settings)
    assert Settings().sync.backfill_days == 30  # no file bound: defaults and environment only


def test_the_key_is_never_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_secretvalue")
    assert "secretvalue" not in repr(load_settings())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[stripe]\napi_kye = 'x'\n", "config: stripe.api_kye: unknown key"),
        ("[sinc]\n", "config: sinc: unknown key"),
        ("[sync]\ninterval_seconds = 'soon'\n", "config: sync.interval_seconds: Input should"),
        ("[sync]\nbackfill_days = 0\n", "config: sync.backfill_days: Input should be greater"),
        ("[sync\n", "is not valid TOML"),
    ],
)
def test_bad_files_get_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(config))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_readable_file_holding_a_key_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", "[stripe]\napi_key = 'sk_test_x'\n", 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings(str(config))


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"))


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", "[ledger]\npaht = 'x'\n")
    assert main(["--config", str(config), "sync", "--once"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"payconsole: config: ledger.paht: unknown key (in {config})"


def test_cli_without_a_key_says_how_to_set_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--once"]) == 2
    assert "STRIPE_API_KEY" in capsys.readouterr().err


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(str(example))
    assert settings.api_key() is None  # the example never holds a real key


def test_an_unexpected_error_is_one_redacted_line_and_a_logged_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    import console.cli as cli

    def explode(args: object) -> int:
        raise RuntimeError("boom with sk_test_SECRETCANARY123 inside")

    monkeypatch.setitem(cli.COMMANDS, "export",
                        dataclasses.replace(cli.COMMANDS["export"], handler=explode))
    assert main(["export", "payments"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected error: RuntimeError" in err
    assert "SECRETCANARY" not in err
    log = (tmp_path / "xdg-data" / "payconsole" / "payconsole.log").read_text()
    assert "Traceback" in log and "SECRETCANARY" not in log
