#!/usr/bin/env bash
# Runs every benchmark against the given agora binary (make bench passes build/release's):
#   bench/run.sh path/to/agora
# Each benchmark runs its anchors (e.g. nginx) in the same run and prints ratios against them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
agora=${1:?usage: bench/run.sh path/to/agora}
[[ -x $agora ]] || { echo "bench: $agora is not an executable; build it first (make build)" >&2; exit 1; }
"$here/http/run.sh" "$agora"
"$here/crdt/run.sh" "$agora"
"$here/collab/run.sh" "$agora"
