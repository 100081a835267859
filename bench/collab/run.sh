#!/usr/bin/env bash
# Agora's collaboration server against @hocuspocus/server and @y/websocket-server under the same
# load generator, in one run on one machine (CONVENTIONS.md: timings as ratios against an anchor).
#
#   bench/collab/run.sh path/to/agora
#
# Environment: COLLAB_BENCH_QUICK=1 for a shorter run, and the COLLAB_* variables in
# bench/README.md ("bench/collab"). The npm packages come from tests/node_modules.
set -euo pipefail

agora=${1:?usage: bench/collab/run.sh path/to/agora}
agora=$(realpath "$agora")
here=$(cd "$(dirname "$0")" && pwd)
results_dir=$here/../results

command -v node >/dev/null || { echo "bench: node is missing; run 'make deps'" >&2; exit 1; }
command -v taskset >/dev/null || echo "bench: taskset (util-linux) is missing: server and generator will not be pinned" >&2
for pkg in yjs lib0 ws @hocuspocus/server @y/websocket-server; do
  [[ -f $here/../../tests/node_modules/$pkg/package.json ]] ||
    { echo "bench: tests/node_modules/$pkg is missing; run 'make deps'" >&2; exit 1; }
done

mkdir -p "$results_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
echo "bench/collab: agora vs @hocuspocus/server and @y/websocket-server, same load generator (about 10 minutes)"
echo
if ! node "$here/run.mjs" "$agora" | tee "$results_dir/collab-$stamp.txt"; then
  rm -f "$results_dir/collab-$stamp.txt"
  exit 1
fi
echo
echo "(saved in bench/results/collab-$stamp.txt)"
