"""`make run`'s output: one table naming every demo store and login, the README listing the same,
request lines only at LOG_LEVEL=DEBUG, email to the mailbox instead of the console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo.stores import DEMO_PASSWORD, DEMO_STORES, readme_table
from devservices.run import logins_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_every_store_with_its_dashboard_and_login_and_the_mailbox():
    table = logins_table(domain="marketplace.localhost", port="8000")
    assert DEMO_PASSWORD in table
    for store in DEMO_STORES:
        line = next(line for line in table.splitlines() if store.name in line)
        assert f"http://{store.slug}.marketplace.localhost:8000/dashboard/" in line
        assert store.owner_email in line
    assert "http://marketplace.localhost:8000/dev/mail/" in table
    assert "admin@example.com" in table and "buyer@example.com" in table
    assert len(DEMO_STORES) == 12 and len({store.currency for store in DEMO_STORES}) >= 5


def test_the_readme_lists_the_same_stores_and_logins():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- demo-logins:start -->\n", 1)[1].split("\n<!-- demo-logins:end -->", 1)[0]
    assert section == readme_table(), (
        "README.md's demo logins differ from demo/stores.py; paste the output of "
        "`python -c 'from demo.stores import readme_table; print(readme_table())'`")


@pytest.mark.parametrize(("log_level", "request_level"), [("INFO", "WARNING"), ("DEBUG", "DEBUG")])
def test_development_settings_log_requests_only_at_debug_and_send_mail_to_the_mailbox(log_level, request_level):
    probe = ("import django; django.setup(); from django.conf import settings; "
             "print(settings.LOGGING['loggers']['django.server']['level'], "
             "settings.LOGGING['loggers']['stripe']['level'], settings.EMAIL_BACKEND)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_LEVEL": log_level}
    env.pop("EMAIL_URL", None)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [request_level, request_level, "devservices.mailbox.MailboxBackend"]
