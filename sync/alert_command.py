"""Running the operator's `[alerts] command` for one deadline alert: the program and its
arguments, the alert as one JSON object on its standard input, a timeout. Blocking: callers
run it off the UI thread. A failure is returned (and logged) for the caller to show; it
never raises, so an alert command can never stop a sync or the next alert.

The program does not inherit the Stripe key or the webhook secret from the environment.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Mapping, Sequence

from sync.secrets import redact

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
_SECRET_VARIABLES = ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET")
_SECRET_PREFIXES = ("PAYCONSOLE_STRIPE__", "PAYCONSOLE_WEBHOOK__")


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items()
            if name not in _SECRET_VARIABLES and not name.startswith(_SECRET_PREFIXES)}


def run_alert_command(command: Sequence[str], alert: Mapping[str, object], *,
                      timeout: float = DEFAULT_TIMEOUT_SECONDS) -> str | None:
    """Run `command` with `alert` as JSON on stdin; None when it exited 0, else why not."""
    name = command[0] if command else "(none)"
    try:
        done = subprocess.run(list(command), input=json.dumps(alert, sort_keys=True),
                              capture_output=True, text=True, timeout=timeout,
                              env=_environment(), check=False)
    except subprocess.TimeoutExpired:
        problem = f"alert command {name} did not finish within {timeout:g}s (stopped)"
    except OSError as exc:
        problem = f"alert command {name} could not run: {exc.strerror or exc}"
    else:
        if done.returncode == 0:
            return None
        detail = (done.stderr or done.stdout).strip().splitlines()
        problem = (f"alert command {name} exited with {done.returncode}"
                   + (f": {detail[-1]}" if detail else ""))
    problem = redact(problem)
    log.warning("%s (alert for %s)", problem, alert.get("dispute"))
    return problem
