"""Loaded into every mutant's pytest run: Hypothesis reports a failure without shrinking it; in
the unmutated run, which test calls which function of the mutated module (MUTATION_TRACE_*)."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest

_current: list[str] = [""]
_callers: dict[str, set[str]] = {}
_names: dict[CodeType, str] = {}


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """A failing example is enough to kill a mutant; shrinking it can take minutes. The suite's
    profile is loaded by tests/conftest.py before the session starts, and test modules (with
    their `@settings`) are imported after it, so they inherit this one."""
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutation", parent=settings.get_profile("suite"),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("mutation")


def pytest_configure(config: pytest.Config) -> None:
    target = os.environ.get("MUTATION_TRACE_FILE")
    if not target:
        return
    from mutation.runner import _enclosing, _function_spans

    spans = _function_spans(Path(target).read_text(), json.loads(os.environ["MUTATION_TRACE_FUNCTIONS"]))

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code.co_filename != target:
            return
        code = frame.f_code
        name = _names.get(code)
        if name is None:
            name = _names[code] = _enclosing(spans, code.co_firstlineno) or ""
        if name and _current[0]:
            _callers.setdefault(name, set()).add(_current[0])

    # Threads too: live servers, Celery's thread pool and the emulator call into the code.
    sys.setprofile(profile)
    threading.setprofile(profile)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _current[0] = item.nodeid
    yield
    _current[0] = ""


def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("MUTATION_TRACE_OUT")
    if out:
        sys.setprofile(None)
        Path(out).write_text(json.dumps({name: sorted(ids) for name, ids in _callers.items()}, indent=1))
