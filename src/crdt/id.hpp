#pragma once
// Struct identifiers: every item a client creates is named by (client, clock).

#include <compare>
#include <cstdint>

namespace agora::crdt {

/// Client ids are random uint32 in Yjs but anything below 2^53 is valid.
using ClientId = std::uint64_t;
/// A position in one client's sequence of inserted units (UTF-16 units for text).
using Clock = std::uint64_t;

/// The largest integer JavaScript represents exactly; clocks, lengths and client ids stay below it.
inline constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

/// The id of one unit of content: the clock-th unit inserted by client.
struct Id {
  ClientId client = 0;
  Clock clock = 0;

  friend bool operator==(const Id&, const Id&) = default;
};

}  // namespace agora::crdt
