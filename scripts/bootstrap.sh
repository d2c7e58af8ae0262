#!/usr/bin/env bash
# Create .venv (Python 3.11) and install alphacut with its test tools. Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.alphacut-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing alphacut and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[ray,optimize]" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -c "import alphacut, onnxruntime, PIL, typer" || { echo "setup: install failed" >&2; exit 1; }
  touch "$stamp"
fi
if ! .venv/bin/python -c "import sys; from alphacut.models import get_spec, is_installed; sys.exit(not is_installed(get_spec('isnet')))"; then
  command -v npm >/dev/null || { echo "setup: npm is needed to fetch the model: apt-get install -y nodejs npm" >&2; exit 1; }
  .venv/bin/alphacut models install isnet
fi
