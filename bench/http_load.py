"""Open-loop HTTP load generator, run in a process of its own by bench/http_bench.py:

    python -m bench.http_load --port 8000 --path / --rate 200 --seconds 20 [--host marketplace.localhost]

Requests are due at fixed offered rate (Poisson arrivals, fixed seed) whatever the answers take; a
pool of keep-alive connections sends each at its due time, and latency counts from the due time,
so waiting for a free connection (queueing) is part of it (no coordinated omission). Prints one
JSON object: samples (ms), errors, late starts, achieved rate.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import random
import sys
import threading
import time


def run(*, port: int, path: str, host: str, rate: float, seconds: float, connections: int,
        headers: dict[str, str]) -> dict[str, object]:
    rng = random.Random(21)
    due: list[float] = []
    t = 0.0
    while t < seconds:
        t += rng.expovariate(rate)
        due.append(t)
    jobs: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (offset := jobs.get()) is not None:
            scheduled = start + offset
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request("GET", path, headers={"Host": host, **headers})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done = time.perf_counter()
            with lock:
                latencies.append((done - scheduled) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 0 or status >= 400:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for offset in due:
        jobs.put(offset)
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {"samples_ms": latencies, "errors": errors[0], "statuses": statuses, "offered": len(due),
            "offered_per_s": rate, "achieved_per_s": round(len(latencies) / elapsed, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--host", default="marketplace.localhost")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    args = parser.parse_args(argv)
    headers = dict(h.split(": ", 1) for h in args.header)
    result = run(port=args.port, path=args.path, host=args.host, rate=args.rate, seconds=args.seconds,
                 connections=args.connections, headers=headers)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
