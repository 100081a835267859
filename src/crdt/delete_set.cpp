#include "crdt/delete_set.hpp"

#include "crdt/update_codec.hpp"

#include <algorithm>

namespace agora::crdt {

ClientRanges::ClientRanges(const ClientRanges& other)
    : entries_(other.entries_),
      index_(other.index_ == nullptr
                 ? nullptr
                 : std::make_unique<std::unordered_map<ClientId, std::size_t>>(*other.index_)) {}

ClientRanges& ClientRanges::operator=(const ClientRanges& other) {
  if (this != &other) *this = ClientRanges(other);
  return *this;
}

std::vector<DeleteRange>* ClientRanges::find(ClientId client) {
  if (index_ == nullptr) {
    for (auto& [known, ranges] : entries_)
      if (known == client) return &ranges;
    return nullptr;
  }
  auto found = index_->find(client);
  return found == index_->end() ? nullptr : &entries_[found->second].second;
}

const std::vector<DeleteRange>* ClientRanges::find(ClientId client) const {
  return const_cast<ClientRanges*>(this)->find(client);
}

std::vector<DeleteRange>& ClientRanges::operator[](ClientId client) {
  if (auto* ranges = find(client)) return *ranges;
  entries_.emplace_back(client, std::vector<DeleteRange>{});
  if (index_ != nullptr) {
    index_->emplace(client, entries_.size() - 1);
  } else if (entries_.size() > kLinearSearchLimit) {
    index_ = std::make_unique<std::unordered_map<ClientId, std::size_t>>();
    for (std::size_t i = 0; i < entries_.size(); ++i) index_->emplace(entries_[i].first, i);
  }
  return entries_.back().second;
}

const std::vector<DeleteRange>& ClientRanges::at(ClientId client) const {
  const auto* ranges = find(client);
  if (ranges == nullptr) throw std::out_of_range("no delete ranges for this client");
  return *ranges;
}

void DeleteSet::sort_and_merge() {
  for (auto& [client, ranges] : clients) {
    const auto by_clock = [](const DeleteRange& a, const DeleteRange& b) { return a.clock < b.clock; };
    // Ranges are usually added in clock order already (a whole update's deletions, say).
    if (!std::is_sorted(ranges.begin(), ranges.end(), by_clock))
      std::sort(ranges.begin(), ranges.end(), by_clock);
    std::size_t kept = 1;
    for (std::size_t i = 1; i < ranges.size(); ++i) {
      DeleteRange& left = ranges[kept - 1];
      const DeleteRange& right = ranges[i];
      if (left.end() >= right.clock) {
        left.length = std::max(left.length, right.end() - left.clock);
      } else {
        ranges[kept++] = right;
      }
    }
    if (!ranges.empty()) ranges.resize(kept);
  }
}

bool DeleteSet::contains(Id id) const {
  const auto* found = clients.find(id.client);
  if (found == nullptr) return false;
  const auto& ranges = *found;
  auto after = std::upper_bound(ranges.begin(), ranges.end(), id.clock,
                                [](Clock clock, const DeleteRange& r) { return clock < r.clock; });
  return after != ranges.begin() && id.clock < std::prev(after)->end();
}

template <typename Encoder>
void DeleteSet::write(Encoder& encoder) const {
  std::vector<ClientId> order;
  order.reserve(clients.size());
  for (const auto& [client, ranges] : clients) order.push_back(client);
  std::sort(order.begin(), order.end(), std::greater<>());
  encoder.rest().write_var_uint(order.size());
  for (ClientId client : order) {
    const auto& ranges = clients.at(client);
    encoder.reset_ds_cur_val();
    encoder.rest().write_var_uint(client);
    encoder.rest().write_var_uint(ranges.size());
    for (const DeleteRange& range : ranges) {
      encoder.write_ds_clock(range.clock);
      encoder.write_ds_len(range.length);
    }
  }
}

template <typename Decoder>
DeleteSet DeleteSet::read(Decoder& decoder) {
  DeleteSet set;
  const std::uint64_t client_count = decoder.rest().read_var_uint();
  for (std::uint64_t i = 0; i < client_count; ++i) {
    decoder.reset_ds_cur_val();
    const ClientId client = decoder.rest().read_var_uint();
    const std::uint64_t count = decoder.rest().read_var_uint();
    if (client > kMaxSafeInteger)
      throw DecodeError("a delete set names client " + std::to_string(client) +
                        ", beyond 2^53");
    if (count == 0) continue;
    // Every range takes at least two bytes of the rest stream in either format.
    if (count > decoder.rest().remaining() / 2)
      throw DecodeError("a delete set claims more ranges than the update holds");
    auto& ranges = set.clients[client];
    for (std::uint64_t r = 0; r < count; ++r) {
      const Clock clock = decoder.read_ds_clock();
      const std::uint64_t length = decoder.read_ds_len();
      if (clock > kMaxSafeInteger || length > kMaxSafeInteger - clock)
        throw DecodeError("a delete set range of client " + std::to_string(client) +
                          " ends beyond clock 2^53");
      ranges.push_back({clock, length});
    }
  }
  return set;
}

template void DeleteSet::write(UpdateEncoderV1&) const;
template void DeleteSet::write(UpdateEncoderV2&) const;
template DeleteSet DeleteSet::read(UpdateDecoderV1&);
template DeleteSet DeleteSet::read(UpdateDecoderV2&);

}  // namespace agora::crdt
