#!/usr/bin/env bash
# HTTP throughput and tail latency of agora against nginx serving the same home page bytes as a
# static file, in one run on one machine (CONVENTIONS.md: timings as ratios against an anchor).
#
#   bench/http/run.sh path/to/agora
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (100), BENCH_THREADS (2),
# BENCH_WARMUP (2s; 0 to skip), BENCH_LOG_LEVEL (agora's --log-level, default warn so the
# access log does not write a line per request, as nginx runs with access_log off).
set -euo pipefail

agora=${1:?usage: bench/http/run.sh path/to/agora}
agora=$(realpath "$agora")
duration=${BENCH_DURATION:-10s}
[[ $duration =~ ^[0-9]+$ ]] && duration=${duration}s
connections=${BENCH_CONNECTIONS:-100}
threads=${BENCH_THREADS:-2}
warmup=${BENCH_WARMUP:-2s}
[[ $warmup =~ ^[0-9]+$ ]] && warmup=${warmup}s
log_level=${BENCH_LOG_LEVEL:-warn}
here=$(cd "$(dirname "$0")" && pwd)
results_dir=$here/../results

for tool in wrk nginx curl node lscpu; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run 'make deps'" >&2; exit 1; }
done

work=$(mktemp -d /tmp/agora-bench.XXXXXX)
# nginx's workers drop to an unprivileged user when started as root: let them read the page.
chmod 755 "$work"
agora_pid=
nginx_pid=
cleanup() {
  set +e
  if [[ -n $agora_pid ]]; then kill -TERM "$agora_pid" 2>/dev/null; wait "$agora_pid" 2>/dev/null; fi
  if [[ -n $nginx_pid ]]; then kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() {  # URL what log
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $2 did not answer $1 within 10 s; its log:" >&2
  tail -20 "$3" >&2
  exit 1
}

# agora, fresh data folder.
agora_port=$(free_port)
"$agora" serve --data "$work/data" --listen "127.0.0.1:$agora_port" --log-level "$log_level" \
  2>"$work/agora.log" &
agora_pid=$!
wait_for "http://127.0.0.1:$agora_port/healthz" agora "$work/agora.log"

# nginx serving agora's home page, byte for byte.
mkdir -p "$work/www" "$work/nginx"
curl -fsS -o "$work/www/index.html" "http://127.0.0.1:$agora_port/"
chmod -R a+rX "$work/www"
nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { text/html html; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr.log" &
nginx_pid=$!
wait_for "http://127.0.0.1:$nginx_port/index.html" nginx "$work/nginx/stderr.log"
if ! cmp -s "$work/www/index.html" <(curl -fsS "http://127.0.0.1:$nginx_port/index.html"); then
  echo "bench: nginx does not serve the same bytes as agora's home page" >&2
  exit 1
fi

# wrk's latency figure ("850.00us", "3.21ms", "1.02s") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n }'
}

declare -A rps p99 errors
run() {  # name url
  local name=$1 url=$2 out
  if [[ $warmup != 0s ]]; then
    wrk -t "$threads" -c "$connections" -d "$warmup" "$url" >/dev/null
  fi
  out=$(wrk -t "$threads" -c "$connections" -d "$duration" --latency "$url")
  echo "$out" >"$work/wrk-$name.txt"
  rps[$name]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99[$name]=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  errors[$name]=$( (grep -E 'Non-2xx|Socket errors' <<<"$out" || true) | tr -s ' ' | paste -sd';')
  [[ -n ${rps[$name]} ]] || { echo "bench: could not read wrk's output for $name:" >&2; echo "$out" >&2; exit 1; }
}

echo "bench/http: wrk -t$threads -c$connections -d$duration --latency (warm-up $warmup each), one after another"
run agora_healthz "http://127.0.0.1:$agora_port/healthz"
run agora_home "http://127.0.0.1:$agora_port/"
run nginx_home "http://127.0.0.1:$nginx_port/index.html"

ratio=$(awk -v a="${rps[agora_home]}" -v n="${rps[nginx_home]}" 'BEGIN { printf "%.2f", (n > 0 ? a / n : 0) }')
page_bytes=$(stat -c %s "$work/www/index.html")
report=$(
  echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine:  $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -r)"
  echo "agora:    $("$agora" version 2>/dev/null | head -1), --log-level $log_level"
  echo "nginx:    $(nginx -v 2>&1 | sed 's/^nginx version: //'), 2 workers, access_log off"
  echo "load:     wrk -t$threads -c$connections -d$duration; home page $page_bytes bytes"
  echo
  printf '| %-20s | %12s | %10s |\n' target requests/s "p99 (ms)"
  printf '|%s|%s|%s|\n' "----------------------" "--------------" "------------"
  printf '| %-20s | %12s | %10s |\n' "agora /healthz" "${rps[agora_healthz]}" "${p99[agora_healthz]}"
  printf '| %-20s | %12s | %10s |\n' "agora / (home)" "${rps[agora_home]}" "${p99[agora_home]}"
  printf '| %-20s | %12s | %10s |\n' "nginx /index.html" "${rps[nginx_home]}" "${p99[nginx_home]}"
  echo
  echo "agora home / nginx requests/s: $ratio (target >= 0.70)"
  echo "agora home p99: ${p99[agora_home]} ms (target < 10 ms)"
  for name in agora_healthz agora_home nginx_home; do
    [[ -n ${errors[$name]} ]] && echo "warning: $name: ${errors[$name]}"
  done
  true
)
echo
echo "$report"
mkdir -p "$results_dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
{ echo "$report"; echo; for f in "$work"/wrk-*.txt; do echo "== $(basename "$f")"; cat "$f"; done; } \
  >"$results_dir/http-$stamp.txt"
echo
echo "(saved with wrk's full output in bench/results/http-$stamp.txt)"
