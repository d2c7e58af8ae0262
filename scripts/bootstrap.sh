#!/usr/bin/env bash
# Create .venv (Python 3.11) and install alphacut with its test tools. Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
# serve tests: PostgreSQL (review votes) and Debian's Chromium (browser test, driven by Playwright; no browser download)
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing postgresql and chromium (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends postgresql chromium >/dev/null
  else
    echo "setup: postgresql or chromium missing and not root: their tests will be skipped" >&2
  fi
fi
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
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,train,serve,ray,optimize]" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -c "import alphacut, onnxruntime, PIL, typer, torch, trustme, removebg, remove_bg_api" || { echo "setup: install failed" >&2; exit 1; }
  touch "$stamp"
fi
# the remove.bg drop-in's tests drive npm's remove.bg client, pinned with its whole tree by the lock file
clients=.venv/clients
if ! cmp -s tests/server/clients/package-lock.json "$clients/package-lock.json" || [ ! -f "$clients/node_modules/remove.bg/package.json" ]; then
  command -v npm >/dev/null || { echo "setup: npm is needed for the remove.bg client tests: apt-get install -y nodejs npm" >&2; exit 1; }
  echo "setup: installing the remove.bg npm client into $clients" >&2
  mkdir -p "$clients" && cp tests/server/clients/package.json tests/server/clients/package-lock.json "$clients/"
  npm ci --prefix "$clients" --no-audit --no-fund --silent >&2 || { echo "setup: npm ci of the remove.bg client failed" >&2; exit 1; }
fi
if ! .venv/bin/python -c "import sys; from alphacut.models import get_spec, is_installed; sys.exit(not is_installed(get_spec('isnet')))"; then
  command -v npm >/dev/null || { echo "setup: npm is needed to fetch the model: apt-get install -y nodejs npm" >&2; exit 1; }
  .venv/bin/alphacut models install isnet
fi
