"""The add-on patches localstripe's internals, so it runs only on the version it was written for."""

from __future__ import annotations

from importlib import metadata

REQUIRED_LOCALSTRIPE = "1.15.10"


class EmulatorVersionError(RuntimeError):
    """The installed localstripe is not the version the add-on patches."""


def check_localstripe_version(found: str | None) -> None:
    """Raise with an actionable message unless `found` is the supported version."""
    if found != REQUIRED_LOCALSTRIPE:
        raise EmulatorVersionError(
            f"payconsole's Stripe emulator patches localstripe internals and needs "
            f"localstripe=={REQUIRED_LOCALSTRIPE}, but found {found or 'no localstripe'}. "
            f"Install it with: pip install localstripe=={REQUIRED_LOCALSTRIPE}"
        )


def require_localstripe() -> None:
    """Check the installed localstripe distribution (not its possibly stale __version__)."""
    try:
        found: str | None = metadata.version("localstripe")
    except metadata.PackageNotFoundError:
        found = None
    check_localstripe_version(found)
