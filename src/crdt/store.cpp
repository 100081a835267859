#include "crdt/store.hpp"

#include <algorithm>
#include <stdexcept>

namespace agora::crdt {

namespace {
constexpr std::size_t kItemsPerBlock = 512;
}

StructStore::~StructStore() = default;

Clock StructStore::state(ClientId client) const {
  auto found = clients.find(client);
  if (found == clients.end() || found->second.empty()) return 0;
  return found->second.back()->end_clock();
}

std::unordered_map<ClientId, Clock> StructStore::state_vector() const {
  std::unordered_map<ClientId, Clock> vector;
  vector.reserve(clients.size());
  for (const auto& [client, structs] : clients)
    if (!structs.empty()) vector.emplace(client, structs.back()->end_clock());
  return vector;
}

std::size_t StructStore::find_index(const std::vector<Item*>& structs, Clock clock) {
  // Interpolation first, as Yjs's findIndexSS does: clocks are dense, so the guess is usually
  // right or close.
  std::size_t left = 0;
  std::size_t right = structs.size() - 1;
  const Item* last = structs[right];
  if (last->id.clock == clock) return right;
  const Clock span = last->end_clock() - 1;
  std::size_t mid = span == 0 ? 0
                              : static_cast<std::size_t>(static_cast<double>(clock) /
                                                         static_cast<double>(span) *
                                                         static_cast<double>(right));
  if (mid > right) mid = right;
  while (left <= right) {
    const Item* item = structs[mid];
    if (item->id.clock <= clock) {
      if (clock < item->end_clock()) return mid;
      left = mid + 1;
    } else {
      if (mid == 0) break;
      right = mid - 1;
    }
    mid = (left + right) / 2;
  }
  throw std::logic_error("struct store has no struct at clock " + std::to_string(clock));
}

Item* StructStore::find(Id id) {
  auto& structs = clients.at(id.client);
  return structs[find_index(structs, id.clock)];
}

void StructStore::add(Item* item) {
  auto& structs = clients[item->id.client];
  if (!structs.empty() && structs.back()->end_clock() != item->id.clock)
    throw std::logic_error("struct does not continue its client's sequence");
  structs.push_back(item);
}

Item* StructStore::allocate() {
  if (!free_.empty()) {
    Item* item = free_.back();
    free_.pop_back();
    return item;
  }
  if (blocks_.empty() || used_in_last_block_ == kItemsPerBlock) {
    blocks_.push_back(std::make_unique<Item[]>(kItemsPerBlock));
    used_in_last_block_ = 0;
  }
  return &blocks_.back()[used_in_last_block_++];
}

void StructStore::release(Item* item) {
  *item = Item{};
  free_.push_back(item);
}

}  // namespace agora::crdt
