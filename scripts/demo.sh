#!/usr/bin/env bash
# Main job on a fresh machine: set up, install the embedded ISNet model, cut out the shipped sample.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
mkdir -p out
.venv/bin/alphacut remove samples/product.jpg -o out/product.png --overwrite
echo "cutout written to $(pwd)/out/product.png"
