"""Command line entry point: `python -m stripe_emulator --port 12111 --webhook-url URL`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from .server import EmulatorServer


def build_server(argv: list[str] | None = None) -> EmulatorServer:
    """The server the command line (and the environment) describes, not started yet."""
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator", description="Local Stripe-compatible emulator."
    )
    parser.add_argument("--host", default=os.environ.get("STRIPE_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("STRIPE_EMULATOR_PORT", "12111"))
    )
    parser.add_argument("--webhook-url", default=os.environ.get("STRIPE_EMULATOR_WEBHOOK_URL"))
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET"))
    parser.add_argument("--state-file", default=os.environ.get("STRIPE_EMULATOR_STATE_FILE"))
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    return EmulatorServer(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        state_file=args.state_file,
        quiet=not args.verbose,
        # From the environment only, so it never shows in a process list.
        control_token=os.environ.get("STRIPE_EMULATOR_CONTROL_TOKEN") or None,
    )


def main(argv: list[str] | None = None) -> int:
    server = build_server(argv)
    # SIGTERM ends like Ctrl-C, so the state file is written on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.start()
    print(f"Stripe emulator listening on {server.url}", file=sys.stderr, flush=True)
    if server.dispatcher.config.get("url"):
        print(f"Delivering webhooks to {server.dispatcher.config['url']}", file=sys.stderr, flush=True)
    if server.app.control_token:
        print("Control API (/_emulator/...) needs its token", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
