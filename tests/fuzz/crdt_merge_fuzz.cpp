// libFuzzer target over the document-free update operations (merge_updates, merge_updates_v2,
// diff_update, diff_update_v2, state vectors from updates, v1 <-> v2 conversion): the input is a
// mode byte (v1 or v2 parts; whether the last part is a state vector) and the parts, separated by
// crdt_fuzz::kSeparator. A crash, a sanitizer report, or merges that disagree with each other
// (automatic vs Yjs's literal loop, v1 vs v2) is a finding.

#include "crdt_fuzz_common.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  crdt_fuzz::merge_and_check({data, size});
  return 0;
}
