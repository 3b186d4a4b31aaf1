"""The emulator's WSGI application (API, control, hosted pages) and the threaded HTTP server."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import socket
import struct
import threading
import time
import traceback
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .api import DEFAULT_API_VERSION, Context, StripeApi
from .control import Control
from .elements import ElementsPages, client_side_check
from .errors import StripeError
from .faults import FaultInjector, FaultRule, fault_error
from .forms import Params, decode_form
from .pages import HostedPages
from .state import PLATFORM, Store, new_id
from .webhooks import WebhookDispatcher

_FILE_CONTENTS = re.compile(r"/v1/files/(?P<oid>file_[A-Za-z0-9]+)/contents/?\Z")
_FILE_MIMETYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
                   "gif": "image/gif", "svg": "image/svg+xml", "csv": "text/csv"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, indent=2),
        status=status,
        headers=headers or {},
        content_type="application/json",
    )


# Stripe's API answers browsers from any origin (Stripe.js runs on the merchant's pages); no
# cookies are involved, so the wildcard gives nothing away.
_CORS = {"Access-Control-Allow-Origin": "*"}
_CORS_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "GET, POST, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Stripe-Version, Stripe-Account",
    "Access-Control-Max-Age": "600",
}


class EmulatorApp:
    """Routes `/v1/...` to the Stripe API, `/_emulator/...` to control and hosted pages."""

    def __init__(
        self, store: Store, dispatcher: WebhookDispatcher, control_token: str | None = None
    ) -> None:
        self.store = store
        # When set, control calls must send `Authorization: Bearer <token>`: the control API
        # hands out the webhook signing secret and can steer any outcome.
        self.control_token = control_token or None
        self.dispatcher = dispatcher
        self.api = StripeApi(store, dispatcher)
        self.pages = HostedPages(self.api)
        self.elements = ElementsPages(self.api)
        self.faults = FaultInjector()
        self.control = Control(self)
        self.startup_webhook = {
            "url": dispatcher.config.get("url"),
            "secret": dispatcher.config.get("secret"),
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        fault = self._fault_for(request)
        if fault is not None and fault.when == "before":
            broken = self._fault_apply(fault, environ, start_response, processed=False)
            if broken is not None:
                return broken
        try:
            response = self.dispatch(request)
        except Exception:  # noqa: BLE001 - any bug becomes Stripe's api_error, not a dropped socket
            response = json_response(
                {
                    "error": {
                        "type": "api_error",
                        "code": None,
                        "message": "Emulator internal error: " + traceback.format_exc(limit=3),
                        "param": None,
                    }
                },
                500,
            )
        if fault is not None and fault.when == "after":
            # The request ran (objects made, its idempotent result saved): only the answer is lost.
            broken = self._fault_apply(fault, environ, start_response, processed=True)
            if broken is not None:
                return broken
        return response(environ, start_response)

    # -- injected faults ----------------------------------------------------------------------
    def _fault_for(self, request: Request) -> FaultRule | None:
        if not request.path.startswith("/v1") or request.method == "OPTIONS":
            return None
        return self.faults.pick(request.method, request.path, request.headers.get("Idempotency-Key"))

    def _fault_apply(
        self, fault: FaultRule, environ: dict[str, Any], start_response: Any, *, processed: bool
    ) -> Any:
        """What the client gets instead of the real answer; None lets the real answer through
        (a slow fault, once its delay is over)."""
        if fault.kind in ("slow", "timeout"):
            self.faults.hold(fault.delay_ms)
        if fault.kind == "slow":
            return None
        if fault.kind == "status" and fault.status is not None:
            headers = {"Emulator-Fault": fault.id}
            if fault.body == "html":
                page = f"<html><body><h1>{fault.status}</h1>Bad gateway or overloaded.</body></html>"
                return Response(page, status=fault.status, headers=headers,
                                content_type="text/html")(environ, start_response)
            error = fault_error(fault.status)
            headers["Request-Id"] = new_id("req_", 14)
            return json_response(error.body(), error.status, headers)(environ, start_response)
        return _connection_drop(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/v1/") or path == "/v1":
            if request.method == "OPTIONS":
                return Response(status=204, headers=_CORS_PREFLIGHT)
            response = self.handle_api(request)
            response.headers.update(_CORS)
            return response
        if path.startswith(("/v3", "/_emulator/elements/")):
            element_page = self.elements.handle(request)
            if element_page is not None:
                self._persist(request)
                return element_page
        if path.startswith("/_emulator/"):
            page = self.pages.handle(request)
            if page is not None:
                self._persist(request)
                return page
            if not self._control_allowed(request):
                return json_response(
                    StripeError(
                        401, "invalid_request_error", "The emulator's control API needs its token."
                    ).body(),
                    401,
                )
            response = self.control.handle(request)
            self._persist(request)
            return response
        if path == "/":
            return json_response(
                {"emulator": "stripe", "api": "/v1", "control": "/_emulator/state"}
            )
        return json_response(StripeError.not_found("route", path).body(), 404)

    def _control_allowed(self, request: Request) -> bool:
        if self.control_token is None or request.path.rstrip("/") == "/_emulator/health":
            return True
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), self.control_token.encode())

    def _persist(self, request: Request) -> None:
        if request.method != "GET":
            with self.store.lock:
                self.store.save()

    # -- /v1 ----------------------------------------------------------------------------------
    def handle_api(self, request: Request) -> Response:
        request_id = new_id("req_", 14)
        headers = {"Request-Id": request_id}
        api_version = request.headers.get("Stripe-Version") or DEFAULT_API_VERSION
        headers["Stripe-Version"] = api_version
        try:
            data = decode_form(request.query_string.decode("latin-1"))
            uploads: dict[str, tuple[str, str, bytes]] = {}
            if request.method == "POST" and request.mimetype == "multipart/form-data":
                data.update(decode_form(urlencode(list(request.form.items(multi=True)))))
                uploads = {
                    name: (part.filename or "", part.mimetype or "", part.read())
                    for name, part in request.files.items()
                }
            elif request.method == "POST":
                data.update(decode_form(request.get_data(as_text=True)))
            # Stripe.js sends the publishable key as the `key` parameter, not as a header.
            publishable = self._authenticate(request, str(data.pop("key", "") or ""))
            if publishable:
                with self.store.lock:
                    client_side_check(self.store, request.method, request.path, data)
        except StripeError as exc:
            return json_response(exc.body(), exc.status, headers)
        contents = _FILE_CONTENTS.match(request.path) if request.method == "GET" else None
        if contents:
            return self._file_contents(request, contents["oid"], headers)
        params = Params(data)
        account_header = request.headers.get("Stripe-Account") or ""
        idem_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if idem_key:
            headers["Idempotency-Key"] = idem_key
        with self.store.lock:
            account = PLATFORM
            if account_header:
                if self.store.get_typed("account", account_header) is None:
                    refused = StripeError(
                        403,
                        "invalid_request_error",
                        f"The provided key does not have access to account '{account_header}' "
                        "(or that account does not exist). Application access may have been "
                        "revoked.",
                        code="account_invalid",
                    )
                    return json_response(refused.body(), refused.status, headers)
                account = account_header
            record_key = f"{account}|{idem_key}" if idem_key else None
            fingerprint = json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "params": data,
                    "files": {k: hashlib.sha256(v[2]).hexdigest() for k, v in uploads.items()},
                },
                sort_keys=True,
            )
            if record_key:
                record = self.store.idempotency.get(record_key)
                if record is not None:
                    if record["fingerprint"] != fingerprint:
                        conflict = StripeError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{idem_key}' if you meant to execute a different request.",
                        )
                        return json_response(conflict.body(), conflict.status, headers)
                    replay_headers = dict(headers, **{"Idempotent-Replayed": "true"})
                    replay_headers["Original-Request"] = record["request_id"]
                    return Response(
                        record["body"],
                        status=record["status"],
                        headers=replay_headers,
                        content_type="application/json",
                    )
            ctx = Context(
                account=account,
                params=params,
                base_url=request.host_url.rstrip("/"),
                request_id=request_id,
                idempotency_key=idem_key,
                api_version=api_version,
                files=uploads,
            )
            status, body, save = self._run_handler(request, ctx)
            text = json.dumps(body, indent=2)
            if record_key and save:
                self.store.idempotency[record_key] = {
                    "fingerprint": fingerprint,
                    "status": status,
                    "body": text,
                    "request_id": request_id,
                }
            if request.method != "GET":
                self.store.save()
        return Response(text, status=status, headers=headers, content_type="application/json")

    def _run_handler(self, request: Request, ctx: Context) -> tuple[int, dict[str, Any], bool]:
        try:
            matched = self.api.match(request.method, request.path)
            if matched is None:
                raise StripeError(
                    404,
                    "invalid_request_error",
                    f"Unrecognized request URL ({request.method}: {request.path}). This emulator "
                    "covers the endpoints listed in stripe_emulator/README.md.",
                )
            handler, groups = matched
            body = handler(ctx, **groups)
            body = self.api.expand(ctx, body, ctx.params.expand())
            for hook in ctx.after:
                hook()
            return 200, body, True
        except StripeError as exc:
            return exc.status, exc.body(), exc.replayable

    def _file_contents(self, request: Request, oid: str, headers: dict[str, str]) -> Response:
        account = request.headers.get("Stripe-Account") or PLATFORM
        try:
            with self.store.lock:
                obj, content = self.api.file_contents(account, oid)
        except StripeError as exc:
            return json_response(exc.body(), exc.status, headers)
        mimetype = _FILE_MIMETYPES.get(obj["type"], "application/octet-stream")
        return Response(content, headers=headers, mimetype=mimetype)

    def _authenticate(self, request: Request, form_key: str) -> bool:
        """Check the API key; True when it is a publishable key (the caller limits what it may do)."""
        header = request.headers.get("Authorization", "")
        key = form_key
        if not key and header.startswith("Bearer "):
            key = header[7:].strip()
        elif not key and header.startswith("Basic "):
            try:
                key = base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key:
            raise StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_"
                "SECRET_KEY').",
            )
        if not key.startswith(("sk_", "rk_", "pk_")) or "_live_" in key:
            raise StripeError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {key[:12]}****. The emulator accepts test-mode "
                "keys only (sk_test_..., and pk_test_... for Stripe.js's calls).",
                code="api_key_invalid" if "_live_" not in key else "api_key_live_mode",
            )
        return key.startswith("pk_")


def _connection_drop(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Close the client's connection without an answer (a reset, or a timeout's end).

    With SO_LINGER 0 the kernel resets the connection when the server closes it; the shutdown
    makes the client see the end at once, and the status line werkzeug then tries to write fails
    as a dropped connection, which it ignores."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
    start_response("500 Connection dropped", [])
    return []


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class EmulatorServer:
    """A Stripe-compatible emulator serving HTTP in a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        state_file: str | None = None,
        quiet: bool = True,
        control_token: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.quiet = quiet
        self.store = Store(state_file=state_file)
        self.dispatcher = WebhookDispatcher(
            url=webhook_url, secret=webhook_secret, on_result=self._on_delivery,
            clock=lambda: time.time() + self.store.clock_offset,
        )
        self.app = EmulatorApp(self.store, self.dispatcher, control_token=control_token)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _on_delivery(self, event_id: str, ok: bool) -> None:
        if not ok:
            return
        with self.store.lock:
            event = self.store.get_typed("event", event_id)
            if event is not None:
                event["pending_webhooks"] = 0

    def start(self) -> EmulatorServer:
        self._server = make_server(
            self.host,
            self.port,
            self.app,
            threaded=True,
            request_handler=_QuietHandler if self.quiet else None,
        )
        self.port = self._server.server_port
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the foreground (used by `python -m stripe_emulator`)."""
        if self._server is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.dispatcher.stop()
        with self.store.lock:
            self.store.save()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Python-level shortcuts for tests that run the server in-process.
    def reset(self) -> None:
        self.app.control.reset()

    def flush_webhooks(self, timeout: float = 30.0) -> dict[str, Any]:
        return self.dispatcher.flush(timeout)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
