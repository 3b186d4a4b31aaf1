"""`python -m mutation [--modules a,b] [--report-only]`: run the mutation analysis, write docs/mutation.md."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from mutation import report, runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    parser.add_argument("--modules", default="", help="comma-separated module names (default: all)")
    parser.add_argument("--report-only", action="store_true", help="rewrite docs/mutation.md from results")
    parser.add_argument("--survivors", action="store_true",
                        help="rerun only the mutants that survived each module's last run "
                             "or that it did not reach")
    args = parser.parse_args(argv)
    # `kill PID` stops the run like Ctrl-C: the test run in progress is killed with it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    specs = runner.modules_load()
    known = {spec.name for spec in specs}
    chosen = [name for name in args.modules.replace(" ", ",").split(",") if name]
    unknown = sorted(set(chosen) - known)
    if unknown:
        print(f"mutation: unknown module(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
              file=sys.stderr)
        return 2
    if not args.report_only:
        import fasteners

        # MUTATION_SLOT=1 (2, ...) runs a second run beside the first: its own scratch tree, test
        # database and Valkey slot (runner.child_env).
        slot = runner.slot()
        work = runner.ROOT / ".local" / ("mutation" if not slot else f"mutation-{slot}")
        src = work / "src"
        work.mkdir(parents=True, exist_ok=True)
        # One run at a time: runs share the scratch tree and the mutation test database.
        lock = fasteners.InterProcessLock(str(work / ".lock"))
        if not lock.acquire(blocking=False):
            print("mutation: another run is in progress (.local/mutation/.lock)", file=sys.stderr)
            return 2
        runner.scratch_copy(src)
        runner.warm_up()
        env = runner.child_env(runner.ROOT / ".local")
        started = time.monotonic()
        by_name = {spec.name: spec for spec in specs}
        for spec in [by_name[name] for name in chosen] if chosen else specs:
            runner.module_run(spec, src=src, work=work, env=env, survivors_only=args.survivors)
            print(f"mutation: {spec.name} done after {time.monotonic() - started:.0f} s", flush=True)
    problems = report.write(specs, Path(runner.ROOT / "docs" / "mutation.md"))
    for problem in problems:
        print(f"mutation: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
