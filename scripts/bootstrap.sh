#!/usr/bin/env bash
# Create .venv (Python 3.11) and install alphacut with its test tools. Idempotent and quiet; any
# failed step (apt, pip, npm, an extra that does not import) stops it with a message saying which.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "setup: $*" >&2
  exit 1
}

# apt-get's output is shown only when it fails
apt_install() {
  local log
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    fail "apt-get install $* failed (output above)"
  fi
  rm -f "$log"
}

# pip without its 'WARNING: Location' noise; the status tested is pip's (pipefail), not grep's
pip_install() {
  # grep exits 1 when it filtered every line out: that is not a failure
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
      | { grep -v '^WARNING: Location' >&2 || [ $? -eq 1 ]; }; then
    fail "pip install $* failed (output above)"
  fi
}

# system packages the tests use: PostgreSQL (review votes), Debian's Chromium (browser test, driven
# by Playwright; no browser download), npm (the remove.bg client tests, the model download)
missing_debs=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing_debs+=(postgresql)
[ -x /usr/bin/chromium ] || missing_debs+=(chromium)
command -v npm >/dev/null || missing_debs+=(nodejs npm)
if [ ${#missing_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing_debs[*]} (apt-get)" >&2
    apt_install "${missing_debs[@]}"
  else
    echo "setup: ${missing_debs[*]} missing and not root: their tests will be skipped (and .ci/run fails)" >&2
  fi
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv || fail "$PYTHON -m venv .venv failed"
fi
stamp=.venv/.alphacut-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing alphacut and its dependencies into .venv" >&2
  pip_install --upgrade pip
  pip_install -e ".[test,train,serve,ray,optimize]"
  touch "$stamp"
fi

# every module the tests need, imported (not only found): a broken install shows here, not as skips
.venv/bin/python - <<'EOF' || fail "the modules above are missing or broken: rm .venv/.alphacut-installed and run scripts/bootstrap.sh again"
import importlib
import platform
import sys

needed = ["alphacut", "onnxruntime", "PIL", "typer", "fastapi", "uvicorn", "httpx", "playwright", "hypothesis",
          "ray", "pyarrow", "psycopg", "torch", "trustme", "removebg", "remove_bg_api"]
if platform.machine().lower() in ("x86_64", "amd64"):  # pyproject.toml installs these on x86-64 only
    needed += ["openvino", "nncf"]
broken = []
for name in needed:
    try:
        importlib.import_module(name)
    except Exception as exc:  # an extra that fails to import for any reason is reported by name
        broken.append(f"{name} ({type(exc).__name__}: {exc})")
for line in broken:
    print(f"setup: cannot import {line}", file=sys.stderr)
sys.exit(1 if broken else 0)
EOF

# the remove.bg drop-in's tests drive npm's remove.bg client, pinned with its whole tree by the lock file
clients=.venv/clients
if ! cmp -s tests/server/clients/package-lock.json "$clients/package-lock.json" || [ ! -f "$clients/node_modules/remove.bg/package.json" ]; then
  command -v npm >/dev/null || fail "npm is needed for the remove.bg client tests: apt-get install -y nodejs npm"
  echo "setup: installing the remove.bg npm client into $clients" >&2
  mkdir -p "$clients" && cp tests/server/clients/package.json tests/server/clients/package-lock.json "$clients/"
  npm ci --prefix "$clients" --no-audit --no-fund --silent >&2 || fail "npm ci of the remove.bg client failed"
fi
if ! .venv/bin/python -c "import sys; from alphacut.models import get_spec, is_installed; sys.exit(not is_installed(get_spec('isnet')))"; then
  command -v npm >/dev/null || fail "npm is needed to fetch the model: apt-get install -y nodejs npm"
  .venv/bin/alphacut models install isnet || fail "installing the isnet model failed"
fi
