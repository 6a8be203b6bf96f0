"""Client for the emulator's /_config/ control endpoints (stdlib only: usable anywhere)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class EmulatorControlError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"emulator control call failed ({status}): {message}")
        self.status = status


class ControlClient:
    """`base` is the emulator's address, e.g. EmulatorProcess.api_base."""

    def __init__(self, base: str, *, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        body = json.dumps(params).encode() if params is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise EmulatorControlError(exc.code, _error_message(detail)) from None
        return json.loads(text) if text.strip() else None

    def reset(self) -> None:
        """Forget all data, idempotency keys, the fixed clock and webhook registrations."""
        self._call("DELETE", "/_config/data")
        self._call("DELETE", "/_config/webhooks")

    def set_clock(self, now: int | None) -> None:
        """Objects and events created from now on carry `now` (unix s); None: real time."""
        self._call("POST", "/_config/clock", {"now": now})

    def create_dispute(self, charge: str, *, reason: str | None = None,
                       amount: int | None = None, due_by: int | None = None,
                       status: str | None = None) -> dict[str, Any]:
        params = {"charge": charge, "reason": reason, "amount": amount, "due_by": due_by,
                  "status": status}
        return self._call("POST", "/_config/disputes",
                          {k: v for k, v in params.items() if v is not None})

    def resolve_dispute(self, dispute: str, status: str) -> dict[str, Any]:
        """The bank's decision: won, lost (or warning_closed for an inquiry)."""
        path = f"/_config/disputes/{urllib.parse.quote(dispute)}/resolve"
        return self._call("POST", path, {"status": status})

    def create_early_fraud_warning(self, charge: str, *, fraud_type: str | None = None
                                   ) -> dict[str, Any]:
        """The issuer flags a succeeded charge as probably fraudulent (an issfr_ object)."""
        params = {"charge": charge, **({"fraud_type": fraud_type} if fraud_type else {})}
        result: dict[str, Any] = self._call("POST", "/_config/early_fraud_warnings", params)
        return result

    def drift(self, object_id: str, **fields: Any) -> dict[str, Any]:
        """Change `object_id`'s stored fields (a dict field is merged) with no event."""
        result: dict[str, Any] = self._call(
            "POST", f"/_config/drift/{urllib.parse.quote(object_id)}", fields)
        return result

    def delete_event(self, event_id: str) -> None:
        """Remove an event, as if Stripe had never listed it."""
        self._call("DELETE", f"/_config/events/{urllib.parse.quote(event_id)}")

    def sweep_payouts(self, status: str = "paid") -> list[dict[str, Any]]:
        """One automatic payout per currency of the available balance not yet paid out."""
        answer = self._call("POST", "/_config/payouts/sweep", {"status": status})
        payouts: list[dict[str, Any]] = answer["data"]
        return payouts

    def fail_payout(self, payout: str, failure_code: str = "could_not_process",
                    failure_message: str | None = None) -> dict[str, Any]:
        """The bank returns `payout`; its amount comes back to the balance."""
        params = {"failure_code": failure_code, "failure_message": failure_message}
        result: dict[str, Any] = self._call(
            "POST", f"/_config/payouts/{urllib.parse.quote(payout)}/fail",
            {k: v for k, v in params.items() if v is not None})
        return result

    def alter_balance_transaction(self, txn: str, amount: int) -> dict[str, Any]:
        """Change a balance transaction's amount (and net) with no event."""
        result: dict[str, Any] = self._call(
            "POST", f"/_config/balance_transactions/{urllib.parse.quote(txn)}",
            {"amount": amount})
        return result

    def register_webhook(self, webhook_id: str, url: str, secret: str,
                         events: list[str] | None = None) -> None:
        params: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            params["events"] = events
        self._call("POST", f"/_config/webhooks/{urllib.parse.quote(webhook_id)}", params)


def _error_message(body: str) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body.strip() or "no details"
