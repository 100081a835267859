#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for FUZZ_SECONDS (default
# 60) from its seed corpus. Exits non-zero on a finding and leaves the crashing input in
# BUILD/fuzz-artifacts/, with the command that replays it.
#
#   scripts/fuzz.sh [BUILD_DIR]         (make fuzz: BUILD_DIR=build/fuzz)
#   FUZZ_SECONDS=600 scripts/fuzz.sh    longer run
#   FUZZ_TARGETS="http_request_fuzz"    a subset
#   CRDT_FUZZ_STRICT=1 scripts/fuzz.sh  crdt targets also demand byte-identical reloads, which Yjs
#                                       breaks on some hostile input (tests/fuzz/crdt_fuzz_common.hpp)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-2}
# Each target and the corpus folder (under tests/fuzz/corpus/) and dictionary it starts from.
declare -A corpus_of=([http_request_fuzz]=http [crdt_v1_apply_fuzz]=crdt_v1 [crdt_v2_apply_fuzz]=crdt_v2
                      [crdt_merge_fuzz]=crdt_merge)
declare -A dict_of=([http_request_fuzz]=tests/fuzz/http.dict [crdt_v1_apply_fuzz]=tests/fuzz/crdt.dict
                    [crdt_v2_apply_fuzz]=tests/fuzz/crdt.dict [crdt_merge_fuzz]=tests/fuzz/crdt.dict)
# Extra libFuzzer options per target. The crdt targets must keep memory in proportion to their
# input (issue 3): a single allocation beyond 256 MB for an input of at most 20 KB is a finding.
declare -A options_of=([crdt_v1_apply_fuzz]=-malloc_limit_mb=256 [crdt_v2_apply_fuzz]=-malloc_limit_mb=256
                       [crdt_merge_fuzz]=-malloc_limit_mb=256)
targets=${FUZZ_TARGETS:-${!corpus_of[*]}}

for tool in clang clang++ cmake ninja; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is missing; run 'make deps'" >&2; exit 1; }
done

if [[ ! -f $build/build.ninja ]]; then
  # A build type of our own so no per-configuration flags apply: -O1 keeps the fuzzer fast while
  # leaving Boost's assertions (no NDEBUG) on, which is what a fuzzer wants to trip.
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_C_FLAGS="-O1 -g1" -DCMAKE_CXX_FLAGS="-O1 -g1" \
    -DAGORA_FUZZ=ON -DAGORA_BUILD_APP=OFF >/dev/null
fi
# shellcheck disable=SC2086
if ! cmake --build "$build" --target $targets -j "$jobs"; then
  echo "fuzz: building $targets failed (is tests/fuzz added to the build when AGORA_FUZZ is on?)" >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for target in $targets; do
  binary=$build/tests/fuzz/$target
  seeds=tests/fuzz/corpus/${corpus_of[$target]}
  # New inputs go to a corpus in the build folder; the checked-in seeds stay as written.
  corpus=$build/fuzz-corpus/$target
  artifacts=$build/fuzz-artifacts
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [[ -n ${dict_of[$target]:-} ]] && dict=(-dict="${dict_of[$target]}")
  options=()
  [[ -n ${options_of[$target]:-} ]] && read -r -a options <<<"${options_of[$target]}"
  echo "fuzz: $target for ${seconds}s (seeds: $seeds, corpus: $corpus)"
  log=$artifacts/$target.log
  marker=$artifacts/.$target.started
  touch "$marker"
  set +e
  "$binary" "$corpus" "$seeds" "${dict[@]}" "${options[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=20480 \
    -artifact_prefix="$artifacts/$target-" -print_final_stats=1 2>"$log"
  rc=$?
  set -e
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" || true
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "fuzz: $target FOUND A PROBLEM (exit $rc); the log is $log:" >&2
    grep -E -A30 'ERROR: |runtime error|invariant broken|deadly signal|SUMMARY' "$log" | head -60 >&2 || tail -40 "$log" >&2
    while IFS= read -r crash; do
      echo "fuzz: crashing input $crash; replay with: $(realpath "$binary") $(realpath "$crash")" >&2
    done < <(find "$artifacts" -maxdepth 1 -name "$target-*" -newer "$marker")
  else
    echo "fuzz: $target ran ${seconds}s without a finding"
  fi
done
exit $status
