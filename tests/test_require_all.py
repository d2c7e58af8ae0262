"""ALPHACUT_REQUIRE_ALL=1 (set by .ci/run): a test or module skipped for something missing fails
the run and is named; skips the hardware decides, and xfails, do not."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


TESTS = '''
import pytest

def test_runs():
    pass

def test_needs_a_missing_module():
    pytest.importorskip("alphacut_no_such_module")

def test_cpu_only_check():
    pytest.skip("CUDA is available here")

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
'''

MODULE_SKIPPED_WHOLE = '''
import pytest

pytest.importorskip("alphacut_missing_extra", reason="the extra is not installed")

def test_never_collected():
    pass
'''


def run_pytest(folder: Path, require_all: bool) -> subprocess.CompletedProcess[str]:
    """pytest on ``folder`` with the plugin that tests/conftest.py registers, and nothing else of this suite."""
    env = {key: value for key, value in os.environ.items() if key != "ALPHACUT_REQUIRE_ALL"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # hypothesis and the like: not needed, slow to load
    if require_all:
        env["ALPHACUT_REQUIRE_ALL"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "require_all", "--rootdir", str(folder), "-c", os.devnull,
         "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )


def test_dependency_skips_fail_the_run_only_when_everything_is_required(tmp_path):
    (tmp_path / "test_mixed.py").write_text(TESTS)
    (tmp_path / "test_module.py").write_text(MODULE_SKIPPED_WHOLE)

    relaxed = run_pytest(tmp_path, require_all=False)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "ALPHACUT_REQUIRE_ALL" not in relaxed.stdout

    strict = run_pytest(tmp_path, require_all=True)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    named = sorted(line for line in strict.stdout.splitlines() if line.startswith("test_"))
    assert named == [
        "test_mixed.py::test_needs_a_missing_module: Skipped: could not import 'alphacut_no_such_module': "
        "No module named 'alphacut_no_such_module'",
        "test_module.py: Skipped: the extra is not installed",
    ]
    assert "2 required test(s) or module(s) skipped" in strict.stdout


def test_a_run_with_only_expected_skips_passes_when_everything_is_required(tmp_path):
    (tmp_path / "test_fine.py").write_text("import pytest\n\ndef test_a():\n    pass\n\n"
                                           "def test_b():\n    pytest.skip('ALPHACUT_SKIP_REAL_MODEL=1')\n")
    strict = run_pytest(tmp_path, require_all=True)
    assert strict.returncode == 0, strict.stdout + strict.stderr
    assert "1 passed, 1 skipped" in strict.stdout
