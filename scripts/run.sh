#!/usr/bin/env bash
# `make run`: on first run creates ./data (SQLite), applies migrations and loads the demo; then
# serves until Ctrl-C. Usage: scripts/run.sh AGORA_BINARY LISTEN
set -euo pipefail
cd "$(dirname "$0")/.."
agora=$1
listen=${2:-127.0.0.1:8080}
data=${AGORA_DATA:-data}

if [[ ! -f $data/agora.db ]]; then
  echo "First run: creating $data/ with a SQLite database and the demo organisations."
  "$agora" migrate --data "$data"
  "$agora" demo load --data "$data"
else
  echo "Using the existing $data/ (delete it to start again with a fresh demo)."
fi

echo
echo "Agora is at http://${listen}/  (Ctrl-C stops it)"
echo "Demo sign-ins: run '$agora demo load --data $data' to list them again."
echo
exec "$agora" serve --data "$data" --listen "$listen"
