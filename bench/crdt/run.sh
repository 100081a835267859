#!/usr/bin/env bash
# Agora's CRDT engine against Yjs and ywasm (yrs in WebAssembly) on real editing traces, side by
# side in one run on one machine (CONVENTIONS.md: timings as ratios against an anchor).
#
#   bench/crdt/run.sh path/to/agora [TRACE.json.gz ...]
#
# Runs every trace in ../shared/traces plus the ones given. Environment: CRDT_RUNS (runs per
# figure, median reported; default 3), CRDT_MERGE_CAP_S (cap of one Yjs mergeUpdates run; 20),
# CRDT_TRACE_DIR (the trace folder; empty for only the given traces), CRDT_AGORA_TIMEOUT_S (120).
set -euo pipefail

agora=${1:?usage: bench/crdt/run.sh path/to/agora [TRACE.json.gz ...]}
agora=$(realpath "$agora")
shift
here=$(cd "$(dirname "$0")" && pwd)
results_dir=$here/../results

command -v node >/dev/null || { echo "bench: node is missing; run 'make deps'" >&2; exit 1; }
for pkg in yjs ywasm; do
  [[ -f $here/../../tests/node_modules/$pkg/package.json ]] ||
    { echo "bench: tests/node_modules/$pkg is missing; run 'make deps'" >&2; exit 1; }
done

mkdir -p "$results_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
echo "bench/crdt: agora crdt replay vs yjs and ywasm, ${CRDT_RUNS:-3} runs per figure (a few minutes)"
echo
if ! node --expose-gc "$here/run.mjs" "$agora" "$@" | tee "$results_dir/crdt-$stamp.txt"; then
  rm -f "$results_dir/crdt-$stamp.txt"
  exit 1
fi
echo
echo "(saved in bench/results/crdt-$stamp.txt)"
