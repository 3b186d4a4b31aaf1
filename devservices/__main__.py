"""`python -m devservices {start,stop,env}`: manage the embedded PostgreSQL and Valkey servers."""

import sys

from devservices import embedded


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "env"
    if command in ("start", "env"):
        print(f"DATABASE_URL={embedded.database_url()}")
        print(f"REDIS_URL={embedded.redis_url()}")
        return 0
    if command == "stop":
        embedded.stop()
        print("embedded services stopped")
        return 0
    print(f"unknown command {command!r}; use start, env or stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
