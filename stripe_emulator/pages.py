"""Hosted HTML pages: Connect onboarding, Express dashboard, 3-D Secure challenge, payment form."""

from __future__ import annotations

import contextlib
import re
import time
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .api import DEFAULT_API_VERSION, Context
from .cards import card_for_number
from .errors import StripeError
from .forms import Params
from .state import PLATFORM

if TYPE_CHECKING:
    from .api import StripeApi

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f9fc;margin:0;
color:#1a1f36}
main{max-width:420px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;
box-shadow:0 2px 8px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 8px} p{color:#4f566b;line-height:1.4}
label{display:block;font-size:14px;margin:16px 0 4px;color:#30313d}
input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9ced6;border-radius:6px;
font-size:16px}
.row{display:flex;gap:12px} .row>div{flex:1}
button{margin-top:20px;width:100%;padding:12px;border:0;border-radius:6px;background:#635bff;
color:#fff;font-size:16px;cursor:pointer}
button.secondary{background:#e3e8ee;color:#1a1f36}
.error{background:#fff1f0;color:#b3093c;border-radius:6px;padding:10px;margin-top:16px}
.badge{display:inline-block;font-size:12px;background:#ffde92;border-radius:4px;padding:2px 6px}
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        "<span class='badge'>Stripe emulator · test mode</span>"
        f"{body}</main></body></html>"
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _format_amount(amount: int, currency: str) -> str:
    zero_decimal = currency in ("jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof")
    if zero_decimal:
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:.2f} {currency.upper()}"


class HostedPages:
    def __init__(self, api: StripeApi) -> None:
        self.api = api
        self.store = api.store

    def handle(self, request: Request) -> Response | None:
        path = request.path
        routes = (
            (r"/_emulator/connect/onboarding/(?P<oid>[^/]+)/?", self.onboarding),
            (r"/_emulator/connect/dashboard/(?P<oid>[^/]+)/?", self.dashboard),
            (r"/_emulator/3ds/(?P<oid>[^/]+)/?", self.three_d_secure),
            (r"/_emulator/pay/(?P<oid>[^/]+)/?", self.pay),
        )
        for pattern, handler in routes:
            found = re.fullmatch(pattern, path)
            if found:
                with self.store.lock:
                    return handler(request, found.group("oid"))
        return None

    def _ctx(self, request: Request, account: str) -> Context:
        return Context(
            account=account,
            params=Params({}),
            base_url=request.host_url.rstrip("/"),
            request_id=None,
            idempotency_key=None,
            api_version=DEFAULT_API_VERSION,
        )

    def _run_after(self, ctx: Context) -> None:
        for hook in ctx.after:
            hook()

    # -- Connect onboarding -------------------------------------------------------------------
    def onboarding(self, request: Request, oid: str) -> Response:
        acct = self.store.get_typed("account", oid)
        token = request.values.get("link", "")
        links = self.store.meta(oid).get("links", {}) if acct else {}
        link = links.get(token)
        if acct is None or link is None:
            return _page("Link invalid", "<h1>This onboarding link is invalid.</h1>", 404)
        expired = link["expires_at"] < self.store.now()
        if link["used"] or expired:
            if link["refresh_url"]:
                return redirect(link["refresh_url"], 303)
            return _page("Link expired", "<h1>This onboarding link has expired.</h1>", 410)
        if request.method == "POST":
            link["used"] = True
            ctx = self._ctx(request, PLATFORM)
            if request.form.get("action") == "later":
                target = link["return_url"]
            else:
                self.api.complete_onboarding(ctx, oid)
                target = link["return_url"]
            if target:
                return redirect(target, 303)
            return _page("Onboarding complete", "<h1>Onboarding complete</h1>")
        refresh = (
            f"<p><a id='refresh-link' href='{escape(link['refresh_url'])}'>Start over</a></p>"
            if link["refresh_url"]
            else ""
        )
        body = f"""
<h1>Set up payouts for your store</h1>
<p>Connected account <code>{escape(oid)}</code> ({escape(acct["email"] or "no email")}).
In test mode no real details are needed: completing onboarding enables charges and payouts
and adds a test bank account.</p>
<form method="post" action="/_emulator/connect/onboarding/{escape(oid)}?link={escape(token)}">
  <input type="hidden" name="link" value="{escape(token)}">
  <button type="submit" id="complete-onboarding" name="action" value="complete">
    Complete onboarding</button>
  <button type="submit" id="leave-onboarding" class="secondary" name="action" value="later">
    Save and finish later</button>
</form>{refresh}"""
        return _page("Onboarding", body)

    def dashboard(self, request: Request, oid: str) -> Response:
        acct = self.store.get_typed("account", oid)
        if acct is None:
            return _page("Not found", "<h1>No such account.</h1>", 404)
        body = (
            f"<h1>Express dashboard</h1><p>Account <code>{escape(oid)}</code>: "
            f"charges {'enabled' if acct['charges_enabled'] else 'disabled'}, payouts "
            f"{'enabled' if acct['payouts_enabled'] else 'disabled'}.</p>"
        )
        return _page("Express dashboard", body)

    # -- 3-D Secure -----------------------------------------------------------------------------
    def _payment_intent(self, request: Request, oid: str) -> tuple[dict[str, Any] | None, str]:
        pi = self.store.get_typed("payment_intent", oid)
        secret = request.values.get("client_secret", "")
        if pi is None or secret != pi["client_secret"]:
            return None, secret
        return pi, secret

    def _redirect_back(self, pi: dict[str, Any], return_url: str | None, status: str) -> Response:
        if not return_url:
            return _page(
                "Payment result",
                f"<h1 id='result'>Payment {escape(status)}</h1>"
                f"<p>PaymentIntent <code>{escape(pi['id'])}</code> is {escape(pi['status'])}.</p>",
            )
        target = _with_query(
            return_url,
            {
                "payment_intent": pi["id"],
                "payment_intent_client_secret": pi["client_secret"],
                "redirect_status": status,
            },
        )
        return redirect(target, 303)

    def three_d_secure(self, request: Request, oid: str) -> Response:
        pi, secret = self._payment_intent(request, oid)
        if pi is None:
            return _page("Not found", "<h1>Unknown payment or wrong client secret.</h1>", 404)
        meta = self.store.meta(oid)
        if pi["status"] != "requires_action":
            return self._redirect_back(pi, meta.get("return_url"), _redirect_status(pi))
        if request.method == "POST":
            account = self.store.owner(oid) or PLATFORM
            ctx = self._ctx(request, account)
            if request.form.get("action") == "complete":
                meta["authenticated"] = pi["payment_method"]
                # A decline after authentication is recorded on the intent; the page just returns.
                with contextlib.suppress(StripeError):
                    self.api.confirm(ctx, pi, return_url=None)
                self._run_after(ctx)
            else:
                self.api.fail_authentication(ctx, pi)
            return self._redirect_back(pi, meta.get("return_url"), _redirect_status(pi))
        body = f"""
<h1>3D Secure 2 test page</h1>
<p>Payment of {escape(_format_amount(pi["amount"], pi["currency"]))}. Choose how the cardholder's
bank answers the authentication challenge.</p>
<form method="post">
  <input type="hidden" name="client_secret" value="{escape(secret)}">
  <button type="submit" id="complete-3ds" name="action" value="complete">Complete</button>
  <button type="submit" id="fail-3ds" class="secondary" name="action" value="fail">Fail</button>
</form>"""
        return _page("3D Secure", body)

    # -- payment page (the Payment Element's job) -----------------------------------------------
    def pay(self, request: Request, oid: str) -> Response:
        pi, secret = self._payment_intent(request, oid)
        if pi is None:
            return _page("Not found", "<h1>Unknown payment or wrong client secret.</h1>", 404)
        return_url = request.values.get("return_url") or None
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            if pi["status"] == "requires_action" and pi["next_action"]:
                return redirect(pi["next_action"]["redirect_to_url"]["url"], 303)
            return self._redirect_back(pi, return_url, _redirect_status(pi))
        if request.method == "GET":
            return self._pay_form(pi, secret, return_url, None, {})
        form = request.form
        values = {
            "number": form.get("card_number", ""),
            "expiry": form.get("card_expiry", ""),
            "cvc": form.get("card_cvc", ""),
            "name": form.get("cardholder_name", ""),
        }
        card = card_for_number(values["number"])
        if card is None:
            return self._pay_form(pi, secret, return_url, "Your card number is incorrect.", values)
        expiry = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", values["expiry"])
        if not expiry or not 1 <= int(expiry.group(1)) <= 12:
            return self._pay_form(
                pi, secret, return_url, "Your card's expiration date is incomplete.", values
            )
        month, year = int(expiry.group(1)), int(expiry.group(2))
        year = year + 2000 if year < 100 else year
        today = time.gmtime()
        if (year, month) < (today.tm_year, today.tm_mon):
            return self._pay_form(
                pi, secret, return_url, "Your card's expiration year is in the past.", values
            )
        if not re.fullmatch(r"\d{3,4}", values["cvc"].strip()):
            return self._pay_form(
                pi, secret, return_url, "Your card's security code is incomplete.", values
            )
        account = self.store.owner(oid) or PLATFORM
        ctx = self._ctx(request, account)
        pm = self.api.create_card_payment_method(
            ctx,
            card,
            exp_month=month,
            exp_year=year,
            billing_details={"name": values["name"] or None},
        )
        pi["payment_method"] = pm["id"]
        try:
            self.api.confirm(ctx, pi, return_url=return_url)
        except StripeError as exc:
            return self._pay_form(pi, secret, return_url, exc.message, values)
        self._run_after(ctx)
        if pi["status"] == "requires_action" and pi["next_action"]:
            return redirect(pi["next_action"]["redirect_to_url"]["url"], 303)
        return self._redirect_back(pi, return_url, _redirect_status(pi))

    def _pay_form(
        self,
        pi: dict[str, Any],
        secret: str,
        return_url: str | None,
        error: str | None,
        values: dict[str, str],
    ) -> Response:
        amount = _format_amount(pi["amount"], pi["currency"])
        error_html = (
            f"<div class='error' id='payment-error' role='alert'>{escape(error)}</div>"
            if error
            else "<div id='payment-error' role='alert'></div>"
        )

        def value(key: str) -> str:
            return escape(values.get(key, ""))

        body = f"""
<h1>Pay {escape(amount)}</h1>
<p>{escape(pi.get("description") or "Card payment")}</p>
<form method="post" id="payment-form">
  <input type="hidden" name="client_secret" value="{escape(secret)}">
  <input type="hidden" name="return_url" value="{escape(return_url or "")}">
  <label for="card-number">Card number</label>
  <input id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number"
    placeholder="4242 4242 4242 4242" value="{value("number")}" required>
  <div class="row">
    <div><label for="card-expiry">Expiry (MM / YY)</label>
    <input id="card-expiry" name="card_expiry" autocomplete="cc-exp" placeholder="MM / YY"
      value="{value("expiry")}" required></div>
    <div><label for="card-cvc">CVC</label>
    <input id="card-cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc"
      placeholder="123" value="{value("cvc")}" required></div>
  </div>
  <label for="cardholder-name">Name on card</label>
  <input id="cardholder-name" name="cardholder_name" autocomplete="cc-name"
    value="{value("name")}">
  {error_html}
  <button type="submit" id="pay-button">Pay {escape(amount)}</button>
</form>"""
        return _page("Payment", body, 200)


def _redirect_status(pi: dict[str, Any]) -> str:
    status = pi["status"]
    if status in ("succeeded", "requires_capture"):
        return "succeeded"
    if status == "processing":
        return "processing"
    return "failed"
