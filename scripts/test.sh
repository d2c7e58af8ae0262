#!/usr/bin/env bash
# Set up (as demo.sh does, including the real model for the end-to-end test) and run every test.
# ALPHACUT_REQUIRE_ALL=1 (.ci/run sets it): a test skipped for something missing fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest -q "$@"
