"""Make mutants with cosmic-ray's operators, run each module's chosen tests in a forked pytest,
and record killed and surviving mutants per module (mutation/results/<module>.json)."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mutation" / "modules.toml"
RESULTS = ROOT / "mutation" / "results"

# cosmic-ray's operator set, narrowed to one plausible slip per site: every binary operator to
# every other one would make eleven mutants per `+`, almost all of them caught by any test.
OPERATORS = [
    "core/ReplaceBinaryOperator_Add_Sub", "core/ReplaceBinaryOperator_Sub_Add",
    "core/ReplaceBinaryOperator_Mul_Div", "core/ReplaceBinaryOperator_Div_Mul",
    "core/ReplaceBinaryOperator_FloorDiv_Div", "core/ReplaceBinaryOperator_Mod_FloorDiv",
    "core/ReplaceComparisonOperator_Lt_LtE", "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE", "core/ReplaceComparisonOperator_GtE_Gt",
    "core/ReplaceComparisonOperator_Eq_NotEq", "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Is_IsNot", "core/ReplaceComparisonOperator_IsNot_Is",
    "core/ReplaceUnaryOperator_USub_UAdd", "core/ReplaceUnaryOperator_Delete_Not",
    "core/AddNot", "core/ReplaceAndWithOr", "core/ReplaceOrWithAnd",
    "core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue", "core/NumberReplacer",
    "core/ZeroIterationForLoop", "core/ReplaceBreakWithContinue",
    "core/ReplaceContinueWithBreak", "core/RemoveDecorator", "core/ExceptionReplacer",
]

# Imported once by the runner so that every forked test run starts with them loaded (about half
# of a targeted run's wall time). Nothing of the project: each mutant's code is imported fresh.
WARM_IMPORTS = [
    "pytest", "pytest_django", "pytest_timeout", "hypothesis", "hypothesis.strategies", "faker",
    "factory", "django", "django.db.models", "django.contrib.auth", "django.contrib.postgres",
    "django.test", "rest_framework", "django_tenants", "stripe", "celery", "kombu", "redis",
    "django_redis", "psycopg", "boto3", "botocore", "moto", "allauth", "drf_spectacular",
    "openpyxl", "fpdf", "PIL", "structlog", "werkzeug", "schemathesis", "tenant_schemas_celery",
]
PROJECT_PACKAGES = {
    "config", "common", "tenants", "accounts", "vendors", "catalog", "storefront", "fulfillment",
    "orders", "marketplace", "payments", "payouts", "disputes", "frontend", "demo", "stripe_emulator",
}


@dataclass
class ModuleSpec:
    name: str
    title: str
    path: str = ""
    functions: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    sql: bool = False
    # Hand-made slips no operator makes (a permission class swapped, a filter dropped):
    # {key, file, original, replacement, why, occurrence (0-based, of `original` in `file`)}.
    manual: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Mutant:
    key: str
    where: str
    line: int
    operator: str
    occurrence: int
    diff: str
    status: str = "pending"  # killed, survived, timeout, error
    killed_by: str = ""
    seconds: float = 0.0


def modules_load() -> list[ModuleSpec]:
    data = tomllib.loads(CONFIG.read_text())
    return [ModuleSpec(**entry) for entry in data["module"]]


# ---------------------------------------------------------------------------------------------
# making mutants
# ---------------------------------------------------------------------------------------------
def _function_spans(source: str, wanted: list[str]) -> dict[str, tuple[int, int]]:
    """Line spans of the wanted top-level functions and classes (`Class.method` allowed)."""
    spans: dict[str, tuple[int, int]] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans[node.name] = (first, node.end_lineno or node.lineno)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        start = min([item.lineno, *(d.lineno for d in item.decorator_list)])
                        spans[f"{node.name}.{item.name}"] = (start, item.end_lineno or item.lineno)
    missing = [name for name in wanted if name not in spans]
    if missing:
        raise SystemExit(f"mutation: no function or class {missing} found")
    return {name: spans[name] for name in wanted} if wanted else spans


def _def_headers(source: str) -> set[int]:
    """The lines of every function signature (from `def` to the line before its body)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(range(node.lineno, max(node.lineno + 1, node.body[0].lineno)))
    return lines


def _enclosing(spans: dict[str, tuple[int, int]], line: int) -> str | None:
    inside = [(end - start, name) for name, (start, end) in spans.items() if start <= line <= end]
    return min(inside)[1] if inside else None


def _diff(original: str, mutated: str) -> str:
    import difflib

    lines = difflib.unified_diff(original.splitlines(), mutated.splitlines(), lineterm="", n=0)
    return "\n".join(line for line in lines if line[:3] not in ("---", "+++") and not line.startswith("@@"))


def python_mutants(spec: ModuleSpec, source: str) -> list[Mutant]:
    """Every mutant of cosmic-ray's narrowed operators inside the module's chosen functions."""
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    spans = _function_spans(source, spec.functions)
    headers = _def_headers(source)
    module_ast = get_ast(source)
    lines = source.splitlines()
    mutants: list[Mutant] = []
    seen: dict[str, int] = {}
    for operator_name in OPERATORS:
        operator = get_operator(operator_name)()
        positions = [pos for node in ast_nodes(module_ast) for pos in operator.mutation_positions(node)]
        for occurrence, (start, _end) in enumerate(positions):
            where = _enclosing(spans, start[0])
            if where is None:
                continue
            # cosmic-ray reads the keyword-only marker `*,` of a signature as multiplication.
            if operator_name.startswith("core/ReplaceBinaryOperator") and start[0] in headers:
                continue
            mutated = mutate_code(source, operator, occurrence)
            if mutated is None or mutated == source:
                continue
            short = operator_name.removeprefix("core/")
            # Stable across edits elsewhere in the file: function, operator, the line's text and
            # its rank among identical (function, operator, text) mutants.
            base = f"{where}|{short}|{lines[start[0] - 1].strip()}"
            rank = seen.get(base, 0)
            seen[base] = rank + 1
            digest = hashlib.sha1(f"{base}|{rank}".encode(), usedforsecurity=False).hexdigest()[:10]
            mutants.append(Mutant(
                key=f"{spec.name}:{where}:{short}:{digest}", where=where, line=start[0],
                operator=short, occurrence=occurrence, diff=_diff(source, mutated),
            ))
    return mutants


# ---------------------------------------------------------------------------------------------
# running tests in forked children of a warm process
# ---------------------------------------------------------------------------------------------
def scratch_copy(dest: Path) -> None:
    """The project's files (tracked and new, not ignored) copied to `dest`: mutants are written
    there, never into the working tree."""
    if dest.exists():
        shutil.rmtree(dest)
    listed = subprocess.run(
        [shutil.which("git") or "git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
        capture_output=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    vendor = ROOT / "frontend" / "static" / "vendor"
    if vendor.exists():
        shutil.copytree(vendor, dest / "frontend" / "static" / "vendor", dirs_exist_ok=True)


def warm_up() -> None:
    import importlib

    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 (a package that fails to import only costs time)
            print(f"mutation: warm import {name} failed: {exc}", file=sys.stderr)
    loaded = sorted({name.split(".")[0] for name in sys.modules} & PROJECT_PACKAGES)
    if loaded:
        raise SystemExit(f"mutation: the warm imports loaded project code {loaded}; mutants would not be seen")


def pytest_fork(*, src: Path, tests: list[str], log: Path, timeout: float,
                env: dict[str, str]) -> tuple[int | None, float]:
    """Run pytest on `tests` in a forked child rooted at `src`; (exit code or None on timeout, s)."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            os.setpgid(0, 0)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(src)
            sys.path[0] = str(src)
            sys.dont_write_bytecode = True
            os.environ.update(env)
            import pytest

            code = int(pytest.main([
                "-p", "no:xdist", "-p", "no:cacheprovider", "-p", "mutation.pytest_plugin",
                "-x", "-q", "--reuse-db",
                "-o", "addopts=-rf --strict-markers", *tests,
            ]))
        except BaseException:  # noqa: BLE001 (whatever happens, the child reports and exits)
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = started + timeout
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), time.monotonic() - started
            if time.monotonic() > deadline:
                _child_kill(pid)
                return None, time.monotonic() - started
            time.sleep(0.05)
    except BaseException:  # interrupted: no test run outlives the runner
        _child_kill(pid)
        raise


def _child_kill(pid: int) -> None:
    with _quiet():
        os.killpg(pid, signal.SIGKILL)
    with _quiet():
        os.waitpid(pid, 0)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return isinstance(exc[1], ProcessLookupError | ChildProcessError)


def first_failure(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", text, re.MULTILINE)
    if match:
        return match.group(1)
    if "error during collection" in text or "Interrupted" in text:
        return "(import or collection fails)"
    return "(see log)"


def start_failure(log: Path, path: str) -> str | None:
    """A child that crashed before any test ran, with the mutated file raising (a mutant in code
    run at import: a registering decorator, a module constant): every test of the suite fails the
    same way, so the mutant is caught. None when the crash ends anywhere else (a real error)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    frames = re.findall(r'^  File "([^"]+)", line \d+', text, re.MULTILINE)
    if not frames or not frames[-1].endswith("/" + path):
        return None
    return f"(the project fails to start: {text.strip().splitlines()[-1][:120]})"


def slot() -> int:
    return int(os.environ.get("MUTATION_SLOT", "0"))


def child_env(local_dir: Path) -> dict[str, str]:
    """Its own test database and Valkey slot, so a mutation run beside a test run shares nothing."""
    return {
        "MARKETPLACE_LOCAL_DIR": str(local_dir),
        "MARKETPLACE_DB_NAME": "mutation" if not slot() else f"mutation{slot()}",
        "TEST_CHANNEL": str(13 - slot()),
    }


def module_run(spec: ModuleSpec, *, src: Path, work: Path, env: dict[str, str],
               survivors_only: bool = False) -> dict[str, Any]:
    """Run every mutant of the module, or (`survivors_only`) only those that survived its last
    run, ended in an error or were not run by it (interrupted), keeping the last run's results for the others."""
    from mutation import sql_mutants

    previous_path = RESULTS / f"{spec.name}.json"
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else None
    if survivors_only and previous is None:
        raise SystemExit(f"mutation: {spec.name} has no results to rerun the survivors of")

    log = work / f"{spec.name}.log"
    trace = work / f"{spec.name}.trace.json"
    trace.unlink(missing_ok=True)
    traced = dict(env)
    if spec.path:  # which tests call which function: each mutant runs only those
        traced.update(MUTATION_TRACE_OUT=str(trace), MUTATION_TRACE_FILE=str(src / spec.path),
                      MUTATION_TRACE_FUNCTIONS=json.dumps(spec.functions))
    baseline_code, baseline_s = pytest_fork(src=src, tests=spec.tests, log=log, timeout=3600, env=traced)
    if baseline_code != 0:
        raise SystemExit(f"mutation: the tests of {spec.name} fail unmutated (exit {baseline_code}); see {log}")
    callers: dict[str, list[str]] = json.loads(trace.read_text()) if trace.exists() else {}
    timeout = max(60.0, baseline_s * 3)
    manual = {f"{spec.name}:{entry['key']}": entry for entry in spec.manual}
    if spec.sql:
        mutants = sql_mutants.mutants()
        original = ""
    else:
        original = (src / spec.path).read_text() if spec.path else ""
        mutants = python_mutants(spec, original) if spec.path else []
    for key, entry in manual.items():
        mutants.append(Mutant(key=key, where=entry["file"], line=0, operator="manual", occurrence=0,
                              diff=f"- {entry['original']}\n+ {entry['replacement']}  ({entry['why']})"))
    kept: dict[str, dict[str, Any]] = {}
    if survivors_only and previous is not None:
        current = {mutant.key for mutant in mutants}
        kept = {m["key"]: m for m in previous["mutants"] if m["status"] not in ("survived", "pending", "error")
                and m["key"] in current}
        mutants = [mutant for mutant in mutants if mutant.key not in kept]
    print(f"mutation: {spec.name}: {len(mutants)} mutants, baseline {baseline_s:.1f} s", flush=True)
    def save(finished: bool) -> dict[str, Any]:
        result = {
            "module": spec.name, "title": spec.title, "path": spec.path or ("payouts/migrations/0002_ledger_triggers.py (SQL)" if spec.sql
                                      else ", ".join(sorted({m["file"] for m in spec.manual}))),
            "functions": spec.functions, "tests": spec.tests, "baseline_seconds": round(baseline_s, 1),
            "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) if finished else "",
            "mutants": sorted([*kept.values(), *(asdict(mutant) for mutant in mutants)],
                              key=lambda m: (m["line"], m["key"])),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{spec.name}.json").write_text(json.dumps(result, indent=1) + "\n")
        return result

    try:
        for index, mutant in enumerate(mutants, 1):
            extra = dict(env)
            tests = _tests_for(spec, mutant, callers, original)
            if not tests:
                mutant.status, mutant.killed_by = "survived", "(no listed test calls this function)"
                print(f"  [{index}/{len(mutants)}] survived {mutant.key} {mutant.killed_by}", flush=True)
                continue
            with _mutant_applied(spec, src, original, mutant, manual.get(mutant.key)):
                if spec.sql and mutant.key not in manual:
                    extra["MUTATION_SQL_MUTANT"] = mutant.key
                    tests = ["-p", "mutation.sql_mutants", *spec.tests]
                mutant_log = work / f"{spec.name}.mutant.log"
                code, seconds = pytest_fork(src=src, tests=tests, log=mutant_log, timeout=timeout,
                                            env=extra)
            mutant.seconds = round(seconds, 1)
            if code is None:
                mutant.status, mutant.killed_by = "killed", "(timeout)"
            elif code == 0:
                mutant.status = "survived"
            elif code in (1, 2, 3):
                mutant.status, mutant.killed_by = "killed", first_failure(mutant_log)
            elif code == 70 and spec.path and (crash := start_failure(mutant_log, spec.path)):
                mutant.status, mutant.killed_by = "killed", crash
            else:
                mutant.status, mutant.killed_by = "error", f"pytest exit {code}"
            print(f"  [{index}/{len(mutants)}] {mutant.status:8} {mutant.key} {mutant.killed_by}", flush=True)
            save(finished=False)  # an interrupted run still reports the mutants it ran
    finally:
        if spec.path:
            (src / spec.path).write_text(original)
    return save(finished=True)


def _tests_for(spec: ModuleSpec, mutant: Mutant, callers: dict[str, list[str]], source: str) -> list[str]:
    """The tests that call the mutated function (from the traced unmutated run); every listed
    test for what runs at import or definition time: a class body, a decorator, a hand-made or
    SQL mutant."""
    if mutant.operator == "manual" or spec.sql or not spec.path:
        return spec.tests
    defs = _def_lines(source)
    if mutant.where not in defs or mutant.line < defs[mutant.where]:
        return spec.tests
    return callers.get(mutant.where, [])


def _def_lines(source: str) -> dict[str, int]:
    """The `def` line of each top-level function and method (`Class.method`); classes absent."""
    lines: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[node.name] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[f"{node.name}.{item.name}"] = item.lineno
    return lines


@contextlib.contextmanager
def _mutant_applied(spec: ModuleSpec, src: Path, original: str, mutant: Mutant,
                    manual: dict[str, Any] | None) -> Iterator[None]:
    """The mutated file in the scratch tree for the with-block, the original after it."""
    if manual is not None:
        path = src / manual["file"]
        before = path.read_text()
        path.write_text(manual_mutated(before, manual))
    elif spec.sql:
        yield
        return
    else:
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator

        path, before = src / spec.path, original
        path.write_text(mutate_code(original, get_operator(f"core/{mutant.operator}")(), mutant.occurrence))
    try:
        yield
    finally:
        path.write_text(before)


def manual_mutated(text: str, entry: dict[str, Any]) -> str:
    """`text` with the entry's `occurrence`-th `original` replaced; refuses a stale entry."""
    original, occurrence = entry["original"], int(entry.get("occurrence", 0))
    start = -1
    for _ in range(occurrence + 1):
        start = text.find(original, start + 1)
        if start < 0:
            raise SystemExit(f"mutation: hand-made mutant {entry['key']}: {original!r} not found "
                             f"{occurrence + 1} time(s) in {entry['file']}")
    return text[:start] + entry["replacement"] + text[start + len(original):]


def mutant_keys(mutants: list[dict[str, Any]]) -> Iterator[str]:
    return (m["key"] for m in mutants)
