"""With a control token (STRIPE_EMULATOR_CONTROL_TOKEN), the `/_emulator/` control API, which
hands out the webhook signing secret, answers only to callers that send it; the hosted pages a
buyer's browser opens stay open."""

from __future__ import annotations

from werkzeug.test import Client

from stripe_emulator import EmulatorServer


def _client(token: str | None) -> Client:
    return Client(EmulatorServer(port=0, webhook_secret="whsec_x", control_token=token).app)


def test_control_calls_without_the_token_are_refused() -> None:
    client = _client("s3cret")
    for method, path in (("GET", "/_emulator/webhooks/config"), ("GET", "/_emulator/state"),
                         ("POST", "/_emulator/reset"), ("GET", "/_emulator/config")):
        response = client.open(path, method=method)
        assert response.status_code == 401, path
        assert "whsec_x" not in response.get_data(as_text=True)
        wrong = client.open(path, method=method, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    allowed = client.get("/_emulator/webhooks/config", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200 and allowed.get_json()["secret"] == "whsec_x"
    assert client.get("/_emulator/health").status_code == 200  # the health probe stays open


def test_hosted_pages_stay_open_with_a_token() -> None:
    client = _client("s3cret")
    page = client.get("/_emulator/pay/pi_unknown")
    assert page.status_code != 401


def test_without_a_token_the_control_api_is_open_as_before() -> None:
    assert _client(None).get("/_emulator/webhooks/config").status_code == 200


def test_the_token_comes_from_the_environment(monkeypatch) -> None:
    from stripe_emulator.__main__ import build_server

    monkeypatch.setenv("STRIPE_EMULATOR_CONTROL_TOKEN", "from-env")
    client = Client(build_server([]).app)
    assert client.get("/_emulator/state").status_code == 401
    assert client.get("/_emulator/state", headers={"Authorization": "Bearer from-env"}).status_code == 200
