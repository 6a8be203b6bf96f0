"""Configuration: pydantic models filled from, highest first, CLI flags, the environment
(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, PAYCONSOLE_<SECTION>__<KEY>), the TOML file
(--config, else PAYCONSOLE_CONFIG, else the XDG default path) and defaults.

Every problem becomes a `ConfigError` whose message names the key and what is wrong.
"""

from __future__ import annotations

import getpass
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import InitSettingsSource

APP_NAME = "payconsole"


class ConfigError(Exception):
    """A configuration problem, stated in one line."""


def data_dir() -> Path:
    return user_data_path(APP_NAME)


def default_config_path() -> Path:
    return user_config_path(APP_NAME) / "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StripeSettings(_Section):
    api_key: SecretStr | None = None
    api_base: str = "https://api.stripe.com"
    requests_per_second: float = Field(20.0, gt=0, le=100)
    max_network_retries: int = Field(2, ge=0, le=10)
    timeout_seconds: float = Field(30.0, gt=0, le=600)


class LedgerSettings(_Section):
    path: Path = Field(default_factory=lambda: data_dir() / "ledger.db")


class SyncSettingsModel(_Section):
    interval_seconds: float = Field(10.0, ge=1, le=86400)
    backfill_days: int = Field(30, ge=1, le=3650)
    overlap_seconds: int = Field(120, ge=0, le=86400)


class ConsoleSettings(_Section):
    operator: str = Field(default_factory=getpass.getuser, min_length=1, max_length=64)
    keymap: dict[str, str] = Field(default_factory=dict)
    # Hide and refuse every action (refunds, charges, edits): a review-only console.
    read_only: bool = False
    # A live key (sk_live_/rk_live_) is read-only unless this is true.
    allow_live_actions: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAYCONSOLE_", env_nested_delimiter="__", extra="forbid"
    )

    stripe: StripeSettings = Field(default_factory=StripeSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    sync: SyncSettingsModel = Field(default_factory=SyncSettingsModel)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's contents arrive through `_file` (see load_settings).
        return (init_settings, _StripeEnvSource(settings_cls), env_settings,
                _FileSource(settings_cls))

    def api_key(self) -> str | None:
        return self.stripe.api_key.get_secret_value() if self.stripe.api_key else None


_file_contents: dict[str, Any] = {}


class _FileSource(InitSettingsSource):
    """The already-read TOML file (read by load_settings, so errors name the file)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls, init_kwargs=_file_contents)


class _StripeEnvSource(InitSettingsSource):
    """The names Stripe's own tools use: STRIPE_API_KEY."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        key = os.environ.get("STRIPE_API_KEY")
        super().__init__(settings_cls, init_kwargs={"stripe": {"api_key": key}} if key else {})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _refuse_readable_secret(path: Path, contents: dict[str, Any]) -> None:
    """Like ssh with a private key: a file holding a secret must be private to its owner."""
    holds_secret = bool((contents.get("stripe") or {}).get("api_key"))
    mode = stat.S_IMODE(path.stat().st_mode)
    if holds_secret and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} holds stripe.api_key but others can read it (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )


def _describe(error: ValidationError, path: Path | None) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    where = f" (in {path})" if path else ""
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"config: {key}: {problem}{where}{more}"


def config_path(cli_path: str | None) -> tuple[Path, bool]:
    """The config file to read and whether it was asked for (then it must exist)."""
    chosen = cli_path or os.environ.get("PAYCONSOLE_CONFIG")
    return (Path(chosen).expanduser(), True) if chosen else (default_config_path(), False)


def load_settings(cli_config: str | None = None, overrides: dict[str, Any] | None = None
                  ) -> Settings:
    """Settings from every source; `overrides` are CLI flags as nested sections."""
    path, required = config_path(cli_config)
    contents: dict[str, Any] = {}
    if required or path.exists():
        contents = _read_toml(path)
        _refuse_readable_secret(path, contents)
    _file_contents.clear()
    _file_contents.update(contents)
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path if contents else None)) from None
