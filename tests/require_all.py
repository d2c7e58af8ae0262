"""A pytest plugin: with ALPHACUT_REQUIRE_ALL=1 (set by .ci/run), a test or a module skipped for
something missing (an extra, PostgreSQL, Chromium, OpenVINO...) fails the run and is named, so
that CI cannot pass while a test group silently did not run. Registered by tests/conftest.py.
"""
from __future__ import annotations

import os
import platform

import pytest

#: Skips that are right on a machine with everything installed: what the hardware decides, and the
#: one opt-out a person asks for by name. Any other skip (a missing extra, PostgreSQL, Chromium,
#: OpenVINO...) means a test that should have run did not.
EXPECTED_SKIPS = (
    "this onnxruntime has CUDA",  # a CPU-only check, on a machine whose onnxruntime has CUDA
    "CUDA is available here",
    "ALPHACUT_SKIP_REAL_MODEL=1",
)
#: OpenVINO and NNCF are installed on x86-64 only (pyproject.toml's markers)
X86_ONLY_SKIPS = ("OpenVINO not installed", "could not import 'nncf'")

_missing_skips: list[str] = []


def _requires_all() -> bool:
    return os.environ.get("ALPHACUT_REQUIRE_ALL") == "1"


def _skip_expected(reason: str) -> bool:
    if any(expected in reason for expected in EXPECTED_SKIPS):
        return True
    return platform.machine().lower() not in ("x86_64", "amd64") and any(s in reason for s in X86_ONLY_SKIPS)


def _record_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not (_requires_all() and report.skipped) or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)  # (path, line, "Skipped: why")
    if not _skip_expected(reason):
        _missing_skips.append(f"{report.nodeid or report.fspath}: {reason}")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record_skip(report)  # a module skipped whole (pytest.importorskip at the top)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _missing_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if not _missing_skips:
        return
    terminalreporter.section("ALPHACUT_REQUIRE_ALL=1: tests skipped for something missing", red=True)
    for line in _missing_skips:
        terminalreporter.line(line)
    terminalreporter.line(f"{len(_missing_skips)} required test(s) or module(s) skipped: install what they name "
                          "(scripts/bootstrap.sh) and run again", red=True)
