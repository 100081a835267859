#!/usr/bin/env bash
# `make test`: every suite. Unit, storage (SQLite and a throwaway PostgreSQL), integration and
# browser tests in the release build, then the unit tests again under ASan+UBSan.
# Usage: scripts/test.sh RELEASE_BUILD_DIR ASAN_BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
release=$1
asan=$2
jobs=$(nproc)
status=0

echo "== Release build: unit, storage (SQLite, PostgreSQL), integration and browser tests"
ctest --test-dir "$release" --output-on-failure -j "$jobs" 2>&1 | tee "$release/ctest.log"
((${PIPESTATUS[0]} == 0)) || status=1

echo "== ASan+UBSan build: unit and storage tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$asan" --output-on-failure -j "$jobs" 2>&1 | tee "$asan/ctest.log"
((${PIPESTATUS[0]} == 0)) || status=1

echo
echo "== Summary"
for log in "$release/ctest.log" "$asan/ctest.log"; do
  printf '%s: ' "$(dirname "$log")"
  grep -E '^[0-9]+% tests passed' "$log" || echo "no ctest summary (see above)"
done
exit $status
