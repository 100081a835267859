#pragma once
// Delete sets (yjs/src/utils/DeleteSet.js): for each client, the clock ranges it knows deleted.

#include "crdt/id.hpp"

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace agora::crdt {

/// The clocks [clock, clock + length) of one client.
struct DeleteRange {
  Clock clock = 0;
  std::uint64_t length = 0;
  Clock end() const { return clock + length; }
  friend bool operator==(const DeleteRange&, const DeleteRange&) = default;
};

/// Each client's ranges, in the order clients were first added. Yjs keeps a JS Map, and some of
/// its cleanup walks clients in that order, so the order is part of compatibility.
class ClientRanges {
 public:
  using Entry = std::pair<ClientId, std::vector<DeleteRange>>;

  ClientRanges() = default;
  ClientRanges(const ClientRanges& other);
  ClientRanges& operator=(const ClientRanges& other);
  ClientRanges(ClientRanges&&) noexcept = default;
  ClientRanges& operator=(ClientRanges&&) noexcept = default;
  ~ClientRanges() = default;

  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  /// The ranges of `client`, or null.
  std::vector<DeleteRange>* find(ClientId client);
  const std::vector<DeleteRange>* find(ClientId client) const;
  /// The ranges of `client`, added empty at the end if absent.
  std::vector<DeleteRange>& operator[](ClientId client);
  const std::vector<DeleteRange>& at(ClientId client) const;

 private:
  // Most sets name one or two clients: a scan beats hashing (and allocates nothing), so the
  // index is only built past this many.
  static constexpr std::size_t kLinearSearchLimit = 8;

  // One client inline: most delete sets (every update's, every transaction's) name one.
  boost::container::small_vector<Entry, 1> entries_;
  /// Position of each client in entries_, once there are more than kLinearSearchLimit. Held
  /// by pointer so that small sets are cheap to create, move and destroy.
  std::unique_ptr<std::unordered_map<ClientId, std::size_t>> index_;
};

/// Deleted ranges per client.
struct DeleteSet {
  ClientRanges clients;

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
