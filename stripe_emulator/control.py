"""The JSON control API under `/_emulator/`: reset, inspect, steer webhooks, force outcomes."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .api import DEFAULT_API_VERSION, Context
from .errors import StripeError
from .faults import rule_from_body
from .forms import Params, decode_form
from .state import PLATFORM

if TYPE_CHECKING:
    from .server import EmulatorApp

ControlHandler = Callable[..., Any]


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2), status=status, content_type="application/json")


class Control:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.api = app.api
        self.store = app.store
        self.dispatcher = app.dispatcher
        self.routes: list[tuple[str, re.Pattern[str], ControlHandler]] = []
        r = self._route
        r("GET", r"/_emulator/health", lambda body: {"ok": True})
        r("POST", r"/_emulator/reset", lambda body: self.reset())
        r("GET", r"/_emulator/state", lambda body: self.state())
        r("GET", r"/_emulator/config", lambda body: dict(self.api.settings))
        r("POST", r"/_emulator/config", self.configure)
        r("GET", r"/_emulator/webhooks/config", lambda body: dict(self.dispatcher.config))
        r("POST", r"/_emulator/webhooks/config", self.webhook_config)
        r("POST", r"/_emulator/webhooks/flush", self.webhook_flush)
        r("GET", r"/_emulator/webhooks/deliveries", self.webhook_deliveries)
        r("POST", r"/_emulator/clock/advance", self.clock_advance)
        r("POST", r"/_emulator/balance/adjust", self.balance_adjust)
        r("POST", r"/_emulator/accounts/(?P<oid>[^/]+)/complete_onboarding", self.onboard)
        r("POST", r"/_emulator/accounts/(?P<oid>[^/]+)/requirements", self.requirements)
        r("POST", r"/_emulator/payouts/(?P<oid>[^/]+)/fail", self.payout_fail)
        r("POST", r"/_emulator/payouts/(?P<oid>[^/]+)/pay", self.payout_pay)
        r("POST", r"/_emulator/disputes/(?P<oid>[^/]+)/close", self.dispute_close)
        r("POST", r"/_emulator/charges/(?P<oid>[^/]+)/dispute", self.charge_dispute)
        r("POST", r"/_emulator/events/(?P<oid>[^/]+)/resend", self.event_resend)
        r("GET", r"/_emulator/faults", lambda body: self.faults_list())
        r("POST", r"/_emulator/faults", self.fault_add)
        r("DELETE", r"/_emulator/faults", lambda body: {"deleted": self.app.faults.clear()})
        r("DELETE", r"/_emulator/faults/(?P<oid>flt_[A-Za-z0-9]+)", self.fault_remove)

    def _route(self, method: str, pattern: str, handler: ControlHandler) -> None:
        self.routes.append((method, re.compile(pattern + r"/?\Z"), handler))

    def handle(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                try:
                    body = self._body(request)
                    if request.path.endswith("/webhooks/flush"):
                        # Must not hold the store lock: delivery callbacks take it.
                        return _json(handler(body, **found.groupdict()))
                    with self.store.lock:
                        return _json(handler(body, **found.groupdict()))
                except StripeError as exc:
                    return _json(exc.body(), exc.status)
                except (ValueError, TypeError) as exc:
                    return _json(StripeError.invalid(str(exc)).body(), 400)
        return _json(StripeError.not_found("control endpoint", request.path).body(), 404)

    def _body(self, request: Request) -> dict[str, Any]:
        if request.method != "POST":
            return dict(request.args.items())
        raw = request.get_data(as_text=True)
        if not raw.strip():
            return {}
        if (request.mimetype or "").endswith("json") or raw.lstrip().startswith("{"):
            try:
                loaded = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise StripeError.invalid(f"Malformed JSON body: {exc}") from exc
            if not isinstance(loaded, dict):
                raise StripeError.invalid("The JSON body must be an object.")
            return loaded
        return decode_form(raw)

    def _ctx(self) -> Context:
        return Context(
            account=PLATFORM,
            params=Params({}),
            base_url="",
            request_id=None,
            idempotency_key=None,
            api_version=DEFAULT_API_VERSION,
        )

    def _run_after(self, ctx: Context) -> None:
        for hook in ctx.after:
            hook()

    # -- handlers -----------------------------------------------------------------------------
    def reset(self) -> dict[str, Any]:
        with self.store.lock:
            self.store.clear()
            self.api.settings = {"payouts_auto_paid": True}
            self.dispatcher.reset(**self.app.startup_webhook)
            self.store.save()
        self.app.faults.clear()
        return {"reset": True}

    def state(self) -> dict[str, Any]:
        objects = {
            kind: [self.api.render(o) for o in items.values()]
            for kind, items in self.store.objects.items()
        }
        owners = {
            oid: (None if owner == PLATFORM else owner) for oid, owner in self.store.owners.items()
        }
        return {
            "platform_account": self.store.platform_account_id,
            "objects": objects,
            "owners": owners,
            "now": self.store.now(),
        }

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        for key, value in body.items():
            if key not in self.api.settings:
                raise StripeError.invalid(f"Unknown setting: {key}", param=key)
            self.api.settings[key] = _truthy(value)
        return dict(self.api.settings)

    def webhook_config(self, body: dict[str, Any]) -> dict[str, Any]:
        changes = dict(body)
        for key in ("reorder", "paused"):
            if key in changes:
                changes[key] = _truthy(changes[key])
        for key in ("duplicate", "delay_ms", "max_attempts", "retry_base_ms", "concurrency",
                    "reorder_window_ms"):  # fmt: skip
            if key in changes:
                changes[key] = int(changes[key])
        return self.dispatcher.configure(changes)

    def webhook_flush(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.dispatcher.flush(float(body.get("timeout", 30)))

    def webhook_deliveries(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "deliveries": self.dispatcher.deliveries(body.get("event_id")),
            "pending": self.dispatcher.pending_count(),
            "scheduled": self.dispatcher.scheduled(),
        }

    def clock_advance(self, body: dict[str, Any]) -> dict[str, Any]:
        self.store.clock_offset += int(body.get("seconds", 0))
        self.dispatcher.clock_changed()  # retries on the "stripe" schedule may have fallen due
        return {"now": self.store.now(), "offset": self.store.clock_offset}

    def balance_adjust(self, body: dict[str, Any]) -> dict[str, Any]:
        account = body.get("account") or PLATFORM
        if account != PLATFORM and self.store.get_typed("account", account) is None:
            raise StripeError.not_found("account", account, param="account")
        txn = self.api.post_txn(
            account,
            amount=int(body["amount"]),
            currency=str(body.get("currency", "usd")).lower(),
            txn_type="adjustment",
            source=None,
            description=body.get("description") or "Emulator balance adjustment",
            reporting_category="other_adjustment",
        )
        return copy.deepcopy(txn)

    def onboard(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        return self.api.complete_onboarding(self._ctx(), oid)

    def requirements(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        return self.api.requirements_set(self._ctx(), oid, body)

    def payout_fail(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        return self.api.payout_fail(
            self._ctx(),
            oid,
            code=body.get("failure_code") or "account_closed",
            message=body.get("failure_message"),
        )

    def payout_pay(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        return self.api.payout_mark_paid(self._ctx(), oid)

    def dispute_close(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        outcome = body.get("outcome", "lost")
        if outcome not in ("won", "lost"):
            raise StripeError.invalid("outcome must be won or lost", param="outcome")
        return self.api.render(self.api.close_dispute(self._ctx(), oid, outcome))

    def charge_dispute(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        ch = self.store.get_typed("charge", oid)
        if ch is None:
            raise StripeError.not_found("charge", oid)
        owner = self.store.owner(oid) or PLATFORM
        dp = self.api.open_dispute(
            self._ctx(), ch, account=owner, reason=body.get("reason", "fraudulent")
        )
        return self.api.render(dp)

    def faults_list(self) -> dict[str, Any]:
        return {"object": "list", "data": self.app.faults.rules()}

    def fault_add(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.app.faults.add(rule_from_body(body)).render()

    def fault_remove(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        if not self.app.faults.remove(oid):
            raise StripeError.not_found("fault", oid)
        return {"id": oid, "deleted": True}

    def event_resend(self, body: dict[str, Any], oid: str) -> dict[str, Any]:
        event = self.store.get_typed("event", oid)
        if event is None:
            raise StripeError.not_found("event", oid)
        queued = self.dispatcher.enqueue(copy.deepcopy(event))
        return {"event": oid, "queued": bool(queued)}


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes", "on")
