"""Route table edits: localstripe binds its extra API functions into `extra_apis` at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstripe import resources


def set_extra_api(method: str, url: str, func: Callable[..., Any]) -> None:
    """Replace the handler of `method url` or add it; must run before localstripe.server loads."""
    table: list[tuple[str, str, Callable[..., Any]]] = resources.extra_apis
    for index, (m, u, _) in enumerate(table):
        if (m, u) == (method, url):
            table[index] = (method, url, func)
            return
    table.append((method, url, func))
