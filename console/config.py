"""Configuration: pydantic models filled from, highest first, CLI flags, the environment
(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, PAYCONSOLE_<SECTION>__<KEY>), the TOML file
(--config, else PAYCONSOLE_CONFIG, else the XDG default path) and defaults.

A profile (`--profile NAME` or PAYCONSOLE_PROFILE) is a `[profiles.NAME]` table of the file
with its own [stripe], [ledger] and [webhook] settings, laid over the file's own: one file,
several accounts, each with its ledger and key.

Every problem becomes a `ConfigError` whose message names the key and what is wrong.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import stat
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import InitSettingsSource

from console.errors import ConfigError
from ledger.deadline_alerts import DEFAULT_THRESHOLDS, parse_threshold
from ledger.locations import display_url, has_password, is_postgres_url
from ledger.team import TeamError, check_approval_actions

APP_NAME = "payconsole"
PROFILE_ENV = "PAYCONSOLE_PROFILE"
PROFILE_SECTIONS = ("stripe", "ledger", "webhook")  # what a profile may set


def data_dir() -> Path:
    return user_data_path(APP_NAME)


def default_config_path() -> Path:
    return user_config_path(APP_NAME) / "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StripeSettings(_Section):
    api_key: SecretStr | None = None
    api_base: str = "https://api.stripe.com"
    requests_per_second: float = Field(default=20.0, gt=0, le=100)
    max_network_retries: int = Field(default=2, ge=0, le=10)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)


class LedgerSettings(_Section):
    path: Path = Field(default_factory=lambda: data_dir() / "ledger.db")
    # A team ledger on PostgreSQL (postgresql://user@host:5432/db); when set, `path` is
    # not used. The password comes the libpq way (PGPASSWORD, ~/.pgpass, passfile=).
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not is_postgres_url(value):
            raise ValueError("must be a postgresql:// URL (an SQLite ledger is [ledger] path)")
        return value

    @property
    def location(self) -> str | Path:
        """What ledger.db.open_ledger opens: the URL, else the file."""
        return self.url or self.path.expanduser()

    @property
    def shown(self) -> str:
        """The location as it may be printed: never a password."""
        return display_url(self.url) if self.url else str(self.path.expanduser())

    @property
    def is_file(self) -> bool:
        return self.url is None


class SyncSettingsModel(_Section):
    interval_seconds: float = Field(default=10.0, ge=1, le=86400)
    backfill_days: int = Field(default=30, ge=1, le=3650)
    overlap_seconds: int = Field(default=120, ge=0, le=86400)
    # The scheduled reconcile against Stripe (repairing): every this many seconds, 0 = off,
    # over objects created in the last `reconcile_days` days.
    reconcile_every: float = Field(default=3600.0, ge=0, le=7 * 86400)
    reconcile_days: int = Field(default=3, ge=1, le=3650)


class ConsoleSettings(_Section):
    operator: str = Field(default_factory=getpass.getuser, min_length=1, max_length=64)
    keymap: dict[str, str] = Field(default_factory=dict)
    # Hide and refuse every action (refunds, charges, edits): a review-only console.
    read_only: bool = False
    # A live key (sk_live_/rk_live_) is read-only unless this is true.
    allow_live_actions: bool = False


class WebhookSettings(_Section):
    # Where the receiver listens (loopback only: Stripe reaches it through `stripe listen`
    # or a tunnel). It runs only when `secret` is set.
    listen: str = "127.0.0.1:8787"
    # The endpoint's signing secret (whsec_...); or STRIPE_WEBHOOK_SECRET.
    secret: SecretStr | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @field_validator("listen")
    @classmethod
    def _loopback_address(cls, value: str) -> str:
        listen_address(value)
        return value

    @field_validator("secret")
    @classmethod
    def _signing_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("must be a webhook signing secret (whsec_...)")
        return value

    def address(self) -> tuple[str, int]:
        return listen_address(self.listen)


class AlertsSettings(_Section):
    # Each open dispute needing a response alerts once as it comes within each of these of
    # its evidence deadline ("72h", "3d", "90m").
    dispute_due_within: list[str] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS))
    # A program and its arguments run for each alert, the alert as JSON on its stdin.
    command: list[str] = Field(default_factory=list)
    command_timeout_seconds: float = Field(default=10.0, gt=0, le=600)

    @field_validator("dispute_due_within")
    @classmethod
    def _durations(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_threshold(text)
        return value

    def thresholds(self) -> tuple[int, ...]:
        return tuple(sorted({parse_threshold(text) for text in self.dispute_due_within},
                            reverse=True))


class TeamSettingsModel(_Section):
    """A team ledger's rules, as its sync service publishes them (ledger/team.py)."""

    # Actions that always wait for a second operator's approval, e.g. ["dispute.accept"].
    require_approval: list[str] = Field(default_factory=list)
    approval_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # How long an operator's CLI or console waits for the service's outcome.
    wait_seconds: float = Field(default=60.0, ge=0, le=3600)

    @field_validator("require_approval")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        try:
            return list(check_approval_actions(value))
        except TeamError as exc:
            raise ValueError(str(exc)) from None


def listen_address(text: str) -> tuple[str, int]:
    """(host, port) from "127.0.0.1:8787" or "[::1]:8787"; loopback hosts only."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be host:port, e.g. 127.0.0.1:8787")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{host!r} is not a loopback address: the receiver listens on "
                         "127.0.0.1 (or ::1) only")
    return host, int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAYCONSOLE_", env_nested_delimiter="__", extra="forbid"
    )

    stripe: StripeSettings = Field(default_factory=StripeSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    sync: SyncSettingsModel = Field(default_factory=SyncSettingsModel)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    team: TeamSettingsModel = Field(default_factory=TeamSettingsModel)

    # The TOML file these settings read, lowest of the sources but the defaults, and the
    # profile of it: None for Settings itself (defaults and environment only); load_settings
    # binds them per call.
    config_file: ClassVar[Path | None] = None
    profile: ClassVar[str | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = (init_settings, _StripeEnvSource(settings_cls), env_settings)
        if cls.config_file is None:
            return sources
        return (*sources, TomlFileSource(settings_cls, cls.config_file, cls.profile))

    def api_key(self) -> str | None:
        return self.stripe.api_key.get_secret_value() if self.stripe.api_key else None

    def webhook_secret(self) -> str | None:
        return self.webhook.secret.get_secret_value() if self.webhook.secret else None


class TomlFileSource(InitSettingsSource):
    """The TOML config file at `path` (with `profile`'s settings over its own), read and its
    permissions checked when the settings are built; every problem is a ConfigError naming
    the file."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path,
                 profile: str | None = None) -> None:
        contents = _read_toml(path)
        _refuse_readable_secret(path, contents)
        profiles = _profiles(path, contents.pop("profiles", {}))
        if profile is not None:
            for name, values in _profile(path, profiles, profile).items():
                contents[name] = {**_section(contents, name), **values}
        super().__init__(settings_cls, init_kwargs=contents)


def _profiles(path: Path, table: object) -> dict[str, dict[str, Any]]:
    """The file's `[profiles.NAME]` tables, each holding only PROFILE_SECTIONS."""
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise ConfigError(f"config: profiles: must be [profiles.NAME] tables (in {path})")
    for name, sections in table.items():
        for key, value in sections.items():
            if key not in PROFILE_SECTIONS or not isinstance(value, dict):
                raise ConfigError(
                    f"config: profiles.{name}.{key}: a profile holds only the "
                    f"{', '.join(f'[{s}]' for s in PROFILE_SECTIONS)} sections (in {path})")
    return table


def _profile(path: Path | None, profiles: dict[str, dict[str, Any]], name: str
             ) -> dict[str, Any]:
    if name not in profiles:
        known = f"known: {', '.join(sorted(profiles))}" if profiles else "it has none"
        where = f"in {path}" if path else "no config file"
        raise ConfigError(f"config: unknown profile {name!r} ({where}; {known})")
    return profiles[name]


class _StripeEnvSource(InitSettingsSource):
    """The names Stripe's own tools use: STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        values: dict[str, Any] = {}
        if key := os.environ.get("STRIPE_API_KEY"):
            values["stripe"] = {"api_key": key}
        if secret := os.environ.get("STRIPE_WEBHOOK_SECRET"):
            values["webhook"] = {"secret": secret}
        super().__init__(settings_cls, init_kwargs=values)


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
    tables = {"": contents} | {
        f"profiles.{name}.": sections
        for name, sections in _section(contents, "profiles").items() if isinstance(sections, dict)}
    held = [f"{prefix}{section}.{key}" for prefix, table in tables.items()
            for section, key in (("stripe", "api_key"), ("webhook", "secret"))
            if _section(table, section).get(key)] + [
            f"{prefix}ledger.url's password" for prefix, table in tables.items()
            if has_password(str(_section(table, "ledger").get("url") or ""))]
    mode = stat.S_IMODE(path.stat().st_mode)
    if held and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} holds {' and '.join(held)} but others can read it (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )


def _section(contents: dict[str, Any], name: str) -> dict[str, Any]:
    section = contents.get(name)
    return section if isinstance(section, dict) else {}


def _describe(error: ValidationError, path: Path | None) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    problem = ("unknown key" if first["type"] == "extra_forbidden"
               else first["msg"].removeprefix("Value error, "))
    where = f" (in {path})" if path else ""
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"config: {key}: {problem}{where}{more}"


def config_path(cli_path: str | None) -> tuple[Path, bool]:
    """The config file to read and whether it was asked for (then it must exist)."""
    chosen = cli_path or os.environ.get("PAYCONSOLE_CONFIG")
    return (Path(chosen).expanduser(), True) if chosen else (default_config_path(), False)


NO_PROFILE = ""  # asked for explicitly: the file's own settings, whatever PAYCONSOLE_PROFILE says


def chosen_profile(cli_profile: str | None) -> str | None:
    """--profile, else PAYCONSOLE_PROFILE, else none."""
    if cli_profile is not None:
        return cli_profile or None
    return os.environ.get(PROFILE_ENV) or None


def profile_names(cli_config: str | None = None) -> list[str]:
    """The profiles of the config file, sorted; none without a file."""
    file = _config_file(cli_config)
    if file is None:
        return []
    contents = _read_toml(file)
    return sorted(_profiles(file, contents.get("profiles", {})))


def _config_file(cli_config: str | None) -> Path | None:
    path, required = config_path(cli_config)
    return path if required or path.exists() else None


def load_settings(cli_config: str | None = None, overrides: dict[str, Any] | None = None,
                  profile: str | None = None) -> Settings:
    """Settings from every source; `overrides` are CLI flags as nested sections, `profile`
    the one asked for on the command line (else PAYCONSOLE_PROFILE's)."""
    file = _config_file(cli_config)
    chosen = chosen_profile(profile)
    if chosen is not None and file is None:
        _profile(None, {}, chosen)  # raises: a profile needs a file to live in

    class SettingsFromFile(Settings):
        config_file = file
        profile = chosen

    try:
        return SettingsFromFile(**(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file)) from None
