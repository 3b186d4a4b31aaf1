"""docs/mutation.md from mutation/results/*.json and the reviewed survivor list (survivors.toml)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from mutation.runner import RESULTS, ROOT, ModuleSpec

SURVIVORS = ROOT / "mutation" / "survivors.toml"
AIM = 90.0

HEADER = """# Mutation testing of the money and isolation core

Written by `make mutation` (all modules) or `make mutation MODULES=pricing,tax` (some; the others
keep their last results); do not edit by hand. How it works and why this tool:
docs/adr/0057-mutation-testing.md. Each mutant is one small slip in the code (an operator, a
comparison, a constant, a removed decorator or condition) made by cosmic-ray's operators in the
listed functions, or a hand-made slip (a permission swapped, a filter dropped, a change in the
ledger's SQL triggers); the listed tests that call the mutated function run against it, and a
mutant is *killed* when one of them fails.

An *equivalent* mutant behaves exactly like the original (reviewed, with the reason, in
`mutation/survivors.toml`); the aim is at least {aim:.0f}% of the other mutants killed per module.
"""


def _survivors() -> tuple[dict[str, str], dict[str, str]]:
    data = tomllib.loads(SURVIVORS.read_text()) if SURVIVORS.exists() else {}
    return dict(data.get("equivalent", {})), dict(data.get("killed", {}))


def _load(spec: ModuleSpec) -> dict[str, Any] | None:
    path = RESULTS / f"{spec.name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _code(text: str) -> str:
    return "`" + " ".join(text.split()).replace("`", "'")[:140] + "`"


def write(specs: list[ModuleSpec], target: Path) -> list[str]:
    """Write the report; return the problems (a module under the aim, a stale reviewed entry)."""
    equivalent, killed_list = _survivors()
    problems: list[str] = []
    rows, sections, not_run = [], [], []
    for spec in specs:
        result = _load(spec)
        if result is None:
            not_run.append(spec)
            continue
        mutants = result["mutants"]
        killed = [m for m in mutants if m["status"] == "killed"]
        equiv = [m for m in mutants if m["status"] == "survived" and m["key"] in equivalent]
        survived = [m for m in mutants if m["status"] == "survived" and m["key"] not in equivalent]
        pending = [m for m in mutants if m["status"] == "pending"]
        errors = [m for m in mutants if m["status"] not in ("killed", "survived", "pending")]
        counted = len(mutants) - len(equiv) - len(pending)
        rate = 100.0 * len(killed) / counted if counted else 100.0
        run = result["finished"] or f"interrupted: {len(pending)} of {len(mutants)} not run"
        rows.append(f"| {spec.name} | {spec.title} | {len(mutants)} | {len(killed)} | {len(survived)} "
                    f"| {len(equiv)} | {len(errors)} | {rate:.1f}% | {run} |")
        if pending:
            problems.append(f"{spec.name}: {len(pending)} mutants not run (interrupted)")
        if rate < AIM:
            problems.append(f"{spec.name}: {rate:.1f}% killed of non-equivalent mutants, under {AIM:.0f}%")
        for m in mutants:
            if m["status"] == "killed" and m["key"] in equivalent:
                problems.append(f"{m['key']} is listed as equivalent but a test kills it: drop the entry")
        sections.append(_section(spec, result, survived, equiv, errors, killed, equivalent, killed_list))
    lines = [HEADER.format(aim=AIM), "## Summary\n",
             "| module | what | mutants | killed | survived | equivalent | errors | killed of non-equivalent | run |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |", *rows, ""]
    if not_run:
        lines += ["Not yet run: " + ", ".join(f"{spec.name} ({spec.title})" for spec in not_run) + ".", ""]
    lines += sections
    target.write_text("\n".join(lines).rstrip() + "\n")
    return problems


def _section(spec: ModuleSpec, result: dict[str, Any], survived: list[dict[str, Any]],
             equiv: list[dict[str, Any]], errors: list[dict[str, Any]], killed: list[dict[str, Any]],
             equivalent: dict[str, str], killed_list: dict[str, str]) -> str:
    where = result["path"] + (f" ({', '.join(result['functions'])})" if result["functions"] else " (whole module)")
    out = [f"## {spec.name}: {spec.title}\n", f"Mutated: {where}.  ",
           f"Tests run per mutant: {', '.join(result['tests'])} (unmutated: {result['baseline_seconds']} s).\n"]
    if survived:
        out.append("Survivors, not yet killed:\n")
        out += [f"- `{m['key']}` line {m['line']}: {_code(m['diff'])}"
                + (f" (test written for it since this run: `{killed_list[m['key']]}`; rerun with"
                   " `make mutation-survivors`)" if m["key"] in killed_list else "")
                for m in survived]
        out.append("")
    if equiv:
        out.append("Equivalent (reviewed):\n")
        out += [f"- `{m['key']}` line {m['line']}: {_code(m['diff'])}: {equivalent[m['key']]}" for m in equiv]
        out.append("")
    if errors:
        out.append("Errors (neither killed nor survived; counted as not killed):\n")
        out += [f"- `{m['key']}`: {m['killed_by']}" for m in errors]
        out.append("")
    now_killed = [m for m in killed if m["key"] in killed_list]
    if now_killed:
        out.append("Survivors of an earlier run, now killed by a test written for them:\n")
        out += [f"- `{m['key']}` line {m['line']}: {_code(m['diff'])}: killed by `{m['killed_by']}`"
                f" (written for it: `{killed_list[m['key']]}`)" for m in now_killed]
        out.append("")
    return "\n".join(out)
