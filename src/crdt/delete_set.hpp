#pragma once
// Delete sets (yjs/src/utils/DeleteSet.js): for each client, the clock ranges it knows deleted.

#include "crdt/id.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace agora::crdt {

/// The clocks [clock, clock + length) of one client.
struct DeleteRange {
  Clock clock = 0;
  std::uint64_t length = 0;
  Clock end() const { return clock + length; }
  friend bool operator==(const DeleteRange&, const DeleteRange&) = default;
};

/// Deleted ranges per client.
struct DeleteSet {
  std::unordered_map<ClientId, std::vector<DeleteRange>> clients;

  bool empty() const { return clients.empty(); }
  /// Appends a range; call sort_and_merge before relying on order.
  void add(ClientId client, Clock clock, std::uint64_t length) {
    clients[client].push_back({clock, length});
  }
  /// Sorts each client's ranges and joins touching or overlapping ones (sortAndMergeDeleteSet).
  void sort_and_merge();
  /// Whether `id` lies in a range; the set must be sorted and merged.
  bool contains(Id id) const;

  /// Writes the set as writeDeleteSet does: clients in descending id order.
  template <typename Encoder>
  void write(Encoder& encoder) const;
  /// Reads a delete set; throws DecodeError on malformed input or clocks beyond 2^53.
  template <typename Decoder>
  static DeleteSet read(Decoder& decoder);
};

}  // namespace agora::crdt
