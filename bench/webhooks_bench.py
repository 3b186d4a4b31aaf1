"""`python -m bench --only webhooks`: see bench/webhook_bench.py."""

from bench.webhook_bench import run

__all__ = ["run"]
