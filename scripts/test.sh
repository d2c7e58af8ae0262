#!/usr/bin/env bash
# Set up (as demo.sh does, including the real model for the end-to-end test) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest -q "$@"
