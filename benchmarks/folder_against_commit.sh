#!/usr/bin/env bash
# Folder throughput of an earlier commit against the working tree, alternating rounds (one
# `alphacut remove FOLDER -o OUT -q` process per round, start-up included), in this .venv.
# Usage: benchmarks/folder_against_commit.sh REV FOLDER [ROUNDS]
# The earlier code runs from a temporary `git worktree` on PYTHONPATH; outputs are kept in
# /tmp/against-{old,new} to compare their pixels.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: $0 REV FOLDER [ROUNDS]}
folder=${2:?usage: $0 REV FOLDER [ROUNDS]}
rounds=${3:-3}
tree=$(mktemp -d /tmp/against-tree.XXXXXX)
trap 'git worktree remove --force "$tree"' EXIT
git worktree add -q --detach "$tree" "$rev"
for round in $(seq "$rounds"); do
  for which in old new; do
    out=/tmp/against-$which
    rm -rf "$out"
    src=$PWD/src
    [ "$which" = old ] && src=$tree/src
    start=$(date +%s.%N)
    PYTHONPATH=$src .venv/bin/python -m alphacut remove "$folder" -o "$out" -q
    end=$(date +%s.%N)
    echo "round $round $which: $(echo "$end - $start" | bc) s, $(du -sb "$out" | cut -f1) bytes"
  done
done
