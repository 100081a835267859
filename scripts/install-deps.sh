#!/usr/bin/env bash
# Installs whatever `make run` / `make test` need and is missing: Debian packages (one
# `apt-get update`, only when something is missing) and the npm packages of web/ and tests/.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache mold pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libsqlite3-dev libpq-dev libsodium-dev libbrotli-dev
  libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libkainjow-mustache-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev libxml2-dev libcurl4-openssl-dev libqrencode-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql sqlite3 clang libclang-rt-14-dev
  nodejs chromium wrk nginx-light brotli curl procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs from another source (e.g. NodeSource) also provides node and npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
else
  missing+=(npm)
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Run 'make deps' as root (or: sudo apt-get install ${missing[*]})." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for dir in web tests; do
  if [[ -f $dir/package.json ]]; then
    stamp=$dir/node_modules/.agora-installed
    if [[ ! -f $stamp || $dir/package-lock.json -nt $stamp || $dir/package.json -nt $stamp ]]; then
      echo "Installing npm packages in $dir/"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      touch "$stamp"
    fi
  fi
done
