"""Helpers for the emulator tests: control API calls, a webhook receiver, hosted-page driving."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urljoin

import stripe
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from tests.support.waiting import wait_until

WEBHOOK_SECRET = "whsec_emulator_test_secret"
API_KEY = "sk_test_emulator"


def control(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the emulator's JSON control API (POST when a body is given, else GET)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


@dataclass
class Receiver:
    """A tiny webhook endpoint: verifies signatures with the stripe SDK, records what came."""

    secret: str
    status: int = 200
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BaseWSGIServer | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        payload = request.get_data(as_text=True)
        header = request.headers.get("Stripe-Signature", "")
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                return Response("try again", status=500)(environ, start_response)
        try:
            event = stripe.Webhook.construct_event(payload, header, self.secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            with self.lock:
                self.rejected.append(str(exc))
            return Response("bad signature", status=400)(environ, start_response)
        with self.lock:
            self.received.append(event.to_dict())
        return Response("ok", status=self.status)(environ, start_response)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/stripe/"

    def types(self) -> list[str]:
        with self.lock:
            return [e["type"] for e in self.received]

    def ids(self) -> list[str]:
        with self.lock:
            return [e["id"] for e in self.received]

    def wait_for(self, predicate: Callable[[Receiver], bool], timeout: float = 10.0) -> None:
        wait_until(lambda: predicate(self), timeout, message=lambda: f"received {self.types()}", interval=0.02)


# -- hosted pages, driven like a browser but without following redirects ---------------------
@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: str
    url: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(url: str, form: dict[str, str] | None = None) -> Page:
    """GET `url`, or POST `form` to it; redirects are returned, not followed."""
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    try:
        with _opener.open(request, timeout=30) as resp:
            return Page(resp.status, dict(resp.headers), resp.read().decode(), url)
    except HTTPError as exc:
        return Page(exc.code, dict(exc.headers), exc.read().decode(), url)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if attr.get("id"):
            self.ids.add(attr["id"])
        if tag == "label" and attr.get("for"):
            self.labels[attr["for"]] = attr["for"]
        if tag == "form":
            self.forms.append({"action": attr.get("action", ""), "fields": {}, "buttons": {}})
        elif self.forms and tag == "input" and attr.get("name"):
            self.forms[-1]["fields"][attr["name"]] = attr.get("value", "")
            if attr.get("id"):
                self.forms[-1]["fields_by_id"] = {
                    **self.forms[-1].get("fields_by_id", {}),
                    attr["id"]: attr["name"],
                }
        elif self.forms and tag == "button" and attr.get("id"):
            self.forms[-1]["buttons"][attr["id"]] = (attr.get("name"), attr.get("value"))


def parse(page: Page) -> _Forms:
    parser = _Forms()
    parser.feed(page.body)
    return parser


def press(page: Page, button_id: str, **by_id: str) -> Page:
    """Submit the form holding button `button_id`, typing `by_id` values into inputs by id."""
    for form in parse(page).forms:
        if button_id in form["buttons"]:
            data = dict(form["fields"])
            names = form.get("fields_by_id", {})
            for input_id, value in by_id.items():
                data[names.get(input_id.replace("_", "-"), input_id)] = value
            name, value = form["buttons"][button_id]
            if name:
                data[name] = value or ""
            return http(urljoin(page.url, form["action"] or page.url), data)
    raise AssertionError(f"no form with button #{button_id} on {page.url}: {page.body[:500]}")


# -- flows ---------------------------------------------------------------------------------
def onboard(client: stripe.StripeClient, **params: Any) -> Any:
    """Create an Express account and complete onboarding through the hosted account-link page."""
    account = client.v1.accounts.create(params={"type": "express", "country": "US", **params})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://marketplace.example/onboarding/refresh",
            "return_url": "https://marketplace.example/onboarding/return",
        }
    )
    page = http(link.url)
    assert page.status == 200, page.body
    done = press(page, "complete-onboarding")
    assert done.status == 303, done.body
    assert done.location == "https://marketplace.example/onboarding/return"
    return client.v1.accounts.retrieve(account.id)


def pay(
    client: stripe.StripeClient, amount: int = 10_000, card: str = "pm_card_visa", **params: Any
) -> Any:
    """A PaymentIntent created and confirmed on the platform, with its charge expanded."""
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method": card,
            "confirm": True,
            "expand": ["latest_charge"],
            **params,
        }
    )


def available(balance: Any, currency: str = "usd") -> int:
    return sum(f.amount for f in balance.available if f.currency == currency)
