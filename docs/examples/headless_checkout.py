"""Buy from two vendors through the marketplace API alone, and pay the way a native client does.

    python docs/examples/headless_checkout.py --api http://127.0.0.1:8000 --host marketplace.localhost \
        --stripe-api http://127.0.0.1:12111 --email buyer@example.com --password demo-pass-1234

token -> cart with one item of each of two vendors -> checkout (the server decides every amount
and returns the PaymentIntent's client secret and the publishable key) -> confirm the
PaymentIntent client-side with the publishable key and a test card (what Stripe.js and the mobile
SDKs send) -> poll the order until Stripe's signed webhook has marked it paid.

Needs only `requests`. Against Stripe test mode leave out `--stripe-api` (https://api.stripe.com).
Prints the order as JSON; exits non-zero with the API's error when a step fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from typing import Any

import requests

ADDRESS = {"name": "Headless Buyer", "line1": "Main 1", "city": "Berlin", "postal_code": "10115",
           "country": "DE"}


class Api:
    """The marketplace API on `base` (Host header for `*.localhost` names Python cannot resolve)."""

    def __init__(self, base: str, host: str | None) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        if host:
            self.session.headers["Host"] = host

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        if response.status_code not in expect:
            sys.exit(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


def two_vendors_in_stock(api: Api) -> list[tuple[int, int]]:
    """(vendor id, variant id) of one in-stock product of each of two vendors, from the search."""
    picked: dict[int, int] = {}
    for listing in api.call("GET", "/api/v1/listings/", params={"in_stock": "1"})["results"]:
        vendor_id = listing["vendor"]["id"]
        if vendor_id in picked or not listing["in_stock"]:
            continue
        detail = api.call("GET", f"/api/v1/listings/{listing['id']}/")
        variant = next((v for v in detail["variants"] if v.get("stock", 1) > 0), None)
        if variant is not None:
            picked[vendor_id] = variant["id"]
        if len(picked) == 2:
            return list(picked.items())
    sys.exit("the search found fewer than two vendors with something in stock")


def confirm_payment(stripe_api: str, payment: dict[str, Any], card: str) -> dict[str, Any]:
    """Confirm the PaymentIntent as Stripe.js does: the publishable key and the client secret."""
    response = requests.post(
        f"{stripe_api.rstrip('/')}/v1/payment_intents/{payment['payment_intent_id']}/confirm",
        auth=(payment["publishable_key"], ""),
        data={"client_secret": payment["client_secret"], "payment_method": card,
              "return_url": "https://example.invalid/return"},
        timeout=30,
    )
    if response.status_code != 200:
        sys.exit(f"confirm: {response.status_code} {response.text}")
    intent: dict[str, Any] = response.json()
    return intent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="the marketplace's base URL")
    parser.add_argument("--host", help="Host header (e.g. marketplace.localhost)")
    parser.add_argument("--stripe-api", default="https://api.stripe.com")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--card", default="pm_card_visa", help="a Stripe test PaymentMethod")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for `paid`")
    args = parser.parse_args(argv)

    api = Api(args.api, args.host)
    token = api.call("POST", "/api/v1/auth/token/",
                     json={"email": args.email, "password": args.password, "device": "headless-example"})
    api.session.headers["Authorization"] = f"Token {token['token']}"

    for vendor_id, variant_id in two_vendors_in_stock(api):
        api.call("POST", "/api/v1/cart/items/", json={"vendor_id": vendor_id, "variant_id": variant_id})
    checkout = api.call("POST", "/api/v1/checkout/", json={"address": ADDRESS},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
    order, payment = checkout["order"], checkout["payment"]
    if payment is None:
        sys.exit(f"no payment details: {checkout['payment_error']}")

    intent = confirm_payment(args.stripe_api, payment, args.card)
    if intent["status"] not in ("succeeded", "processing"):
        sys.exit(f"the payment is {intent['status']}: {intent.get('last_payment_error')}")

    deadline = time.monotonic() + args.timeout
    while True:
        order = api.call("GET", f"/api/v1/orders/{order['id']}/")
        if order["status"] == "paid":
            break
        if time.monotonic() > deadline:
            sys.exit(f"order {order['number']} is still {order['status']} after {args.timeout:.0f}s")
        time.sleep(0.5)
    print(json.dumps(order, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
