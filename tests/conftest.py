"""Test configuration: simulator tests are required in CI and cannot skip silently.

``--simulator required`` (the default when the environment variable CI is ``true``)
turns a missing ngspice/PySpice into a test *failure*; ``if_available`` (the local
default) skips them; ``disabled`` skips them always. Studies marked ``slow`` run only
with ``--run-slow`` (they live in benchmarks/).
"""

from __future__ import annotations

import os
import signal
from functools import cache

import pytest

# A run started in the background of a non-interactive shell (``cmd &``) inherits SIGINT
# ignored (POSIX), and so would every subprocess the interrupt tests start: restore
# Python's handler (children then start with SIGINT at its default disposition).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser: pytest.Parser) -> None:
    default = "required" if os.environ.get("CI", "").lower() == "true" else "if_available"
    parser.addoption(
        "--simulator",
        choices=("required", "if_available", "disabled"),
        default=default,
        help="how tests that need ngspice/PySpice behave when the simulator is missing",
    )
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


@cache
def _ngspice_ok() -> str | None:
    from spinspice.analysis.runner import ngspice_info
    from spinspice.errors import SpinspiceError

    try:
        ngspice_info()
    except SpinspiceError as exc:
        return str(exc)
    return None


@cache
def _pyspice_ok() -> str | None:
    from spinspice.analysis.pyspice_backend import PySpiceShared

    return None if PySpiceShared().available() else "PySpice or libngspice is not available"


@cache
def _vacask_ok() -> str | None:
    from spinspice.analysis.vacask_engine import vacask_info
    from spinspice.errors import SpinspiceError

    try:
        vacask_info()
    except SpinspiceError as exc:
        return str(exc)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    mode = item.config.getoption("--simulator")
    if item.get_closest_marker("slow") and not item.config.getoption("--run-slow"):
        pytest.skip("slow study: run with --run-slow or the benchmarks/ scripts")
    for marker, probe in (
        ("ngspice", _ngspice_ok), ("pyspice", _pyspice_ok), ("vacask", _vacask_ok)
    ):
        if item.get_closest_marker(marker) is None:
            continue
        if mode == "disabled":
            pytest.skip(f"{marker} tests disabled (--simulator disabled)")
        problem = probe()
        if problem is None:
            continue
        if mode == "required":
            pytest.fail(f"{marker} is required (CI=true or --simulator required): {problem}")
        pytest.skip(f"{marker} not available: {problem}")


@pytest.fixture(scope="session")
def engine() -> object:
    """One ngspice engine for the session, caching identical jobs (as the CLI does)."""
    from spinspice.analysis.runner import CachingEngine, NgspiceSubprocess

    return CachingEngine(NgspiceSubprocess())
