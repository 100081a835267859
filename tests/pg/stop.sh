#!/usr/bin/env bash
# Stops the cluster tests/pg/start.sh started for STATE_DIR and deletes its folder.
# Usage: tests/pg/stop.sh STATE_DIR    (does nothing when no cluster is recorded there)
set -euo pipefail

state_dir=${1:?usage: stop.sh STATE_DIR}
bin=${AGORA_PG_BIN:-/usr/lib/postgresql/15/bin}

rm -f "$state_dir/url"
[[ -f $state_dir/dir ]] || exit 0
cluster=$(cat "$state_dir/dir")

run_as=()
if [[ $(id -u) == 0 ]]; then run_as=(runuser -u postgres --); fi

if [[ -f $cluster/data/postmaster.pid ]]; then
  "${run_as[@]}" "$bin/pg_ctl" --pgdata="$cluster/data" --mode=fast --wait --timeout=60 stop > /dev/null
fi
# Only ever delete what start.sh created.
case $cluster in
  */agora-pg.*) rm -rf "$cluster" ;;
esac
rm -f "$state_dir/dir"
