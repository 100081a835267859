// libFuzzer target over Doc::apply_update with v1 updates: the input is one or more updates
// (separated by crdt_fuzz::kSeparator) applied in order to a document with and one without
// garbage collection. A crash, a sanitizer report, a refused update that changed the document,
// or a state that does not survive encoding and loading again is a finding.

#include "crdt_fuzz_common.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  crdt_fuzz::apply_and_check({data, size}, agora::crdt::Format::v1);
  return 0;
}
