#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the storage tests and writes its URL to
# STATE_DIR/url (STATE_DIR/dir remembers where the cluster lives, for stop.sh).
# Usage: tests/pg/start.sh STATE_DIR
# The cluster listens on 127.0.0.1 on a free port and on a unix socket in its own temp folder.
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
set -euo pipefail

state_dir=${1:?usage: start.sh STATE_DIR}
bin=${AGORA_PG_BIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")" && pwd)

[[ -x $bin/initdb ]] || { echo "start.sh: no PostgreSQL at $bin (apt-get install postgresql-15)" >&2; exit 1; }
mkdir -p "$state_dir"
"$here/stop.sh" "$state_dir"  # a cluster left by an interrupted run

run_as=()
if [[ $(id -u) == 0 ]]; then run_as=(runuser -u postgres --); fi

cluster=$(mktemp -d "${TMPDIR:-/tmp}/agora-pg.XXXXXX")
echo "$cluster" > "$state_dir/dir"
[[ ${#run_as[@]} == 0 ]] || chown postgres: "$cluster"
chmod 700 "$cluster"

password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077 && echo "$password" > "$cluster/password")
[[ ${#run_as[@]} == 0 ]] || chown postgres: "$cluster/password"

"${run_as[@]}" "$bin/initdb" --pgdata="$cluster/data" --username=agora --pwfile="$cluster/password" \
  --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale --no-sync \
  > "$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; exit 1; }

# A port nothing listens on now; if another process takes it first, pg_ctl fails and we retry.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

for attempt in 1 2 3 4 5; do
  port=$(free_port)
  # fsync off: the cluster is thrown away, and the tests are about behaviour, not durability.
  if "${run_as[@]}" "$bin/pg_ctl" --pgdata="$cluster/data" --log="$cluster/server.log" --wait \
      --timeout=60 -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off \
      -c max_connections=200" start > /dev/null; then
    (umask 077 && echo "postgresql://agora:$password@127.0.0.1:$port/postgres" > "$state_dir/url")
    echo "PostgreSQL for tests on 127.0.0.1:$port, socket and data in $cluster"
    exit 0
  fi
  echo "start.sh: attempt $attempt on port $port failed:" >&2
  tail -n 5 "$cluster/server.log" >&2 || true
done
exit 1
