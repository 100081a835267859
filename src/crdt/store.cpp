#include "crdt/store.hpp"

#include <algorithm>
#include <memory>
#include <new>
#include <stdexcept>

#include <sys/mman.h>

namespace agora::crdt {

namespace {
constexpr std::size_t kFirstBlockItems = 16;
constexpr std::size_t kMaxBlockItems = 1024;
}  // namespace

StructStore::~StructStore() {
  std::allocator<Item> allocator;
  for (ItemBlock& block : blocks_) {
    std::destroy_n(block.items, block.used);
    allocator.deallocate(block.items, block.capacity);
  }
}

// ---------------------------------------------------------------------------------------------
// StructList

void StructList::validate_start(std::size_t chunk) {
  if (valid_starts_ == 0) {
    chunks_[0].start = 0;
    valid_starts_ = 1;
  }
  if (start_valid(chunk)) return;
  for (; valid_starts_ <= chunk; ++valid_starts_) {
    const Chunk& previous = chunks_[valid_starts_ - 1];
    chunks_[valid_starts_].start = previous.start + previous.items.size();
  }
}

void StructList::changed(std::size_t chunk) {
  if (valid_starts_ > chunk + 1) valid_starts_ = chunk + 1;
  if (!chunks_.empty()) {
    Chunk& last = chunks_.back();
    last.start = size_ - last.items.size();
    chunks_.front().start = 0;
  }
}

StructList::Place StructList::locate(std::size_t index) const {
  const Chunk& last = chunks_.back();
  if (index >= last.start) return {chunks_.size() - 1, last.start};
  // Chunks below valid_starts_ know their start (and the first always starts at 0).
  const std::size_t known = std::max<std::size_t>(valid_starts_, 1);
  const Chunk& frontier = chunks_[known - 1];
  if (index < frontier.start + frontier.items.size()) {
    std::size_t low = 0;
    std::size_t high = known;  // chunks_[high].start > index, or high is not known
    while (high - low > 1) {
      const std::size_t mid = (low + high) / 2;
      if (chunks_[mid].start <= index) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return {low, chunks_[low].start};
  }
  // Past the known starts: add up sizes from the frontier on.
  std::size_t chunk = known - 1;
  std::size_t chunk_start = frontier.start;
  while (index >= chunk_start + chunks_[chunk].items.size()) {
    chunk_start += chunks_[chunk].items.size();
    ++chunk;
  }
  return {chunk, chunk_start};
}

std::size_t StructList::chunk_of(std::size_t index) {
  if (start_valid(hint_) && index - chunks_[hint_].start < chunks_[hint_].items.size())
    return hint_;
  if (index >= chunks_.back().start) return chunks_.size() - 1;
  const std::size_t chunk = locate(index).chunk;
  validate_start(chunk);
  hint_ = chunk;
  return chunk;
}

void StructList::push_back(Item* item) {
  if (chunks_.empty() || chunks_.back().items.size() >= kChunkCapacity) {
    Chunk& chunk = chunks_.emplace_back();
    chunk.start = size_;
    chunk.first_clock = item->id.clock;
  }
  chunks_.back().items.push_back({item->id.clock, item});
  ++size_;
}

void StructList::insert(std::size_t index, Item* item) {
  if (index == size_) {
    push_back(item);
    return;
  }
  const std::size_t c = chunk_of(index);
  Chunk& chunk = chunks_[c];
  const std::size_t offset = index - chunk.start;
  chunk.items.insert(chunk.items.begin() + static_cast<std::ptrdiff_t>(offset),
                     Entry{item->id.clock, item});
  if (offset == 0) chunk.first_clock = item->id.clock;
  ++size_;
  if (chunk.items.size() > kChunkCapacity) {
    const std::size_t half = chunk.items.size() / 2;
    Chunk right;
    right.items.assign(chunk.items.begin() + static_cast<std::ptrdiff_t>(half), chunk.items.end());
    right.first_clock = right.items.front().clock;
    right.start = chunk.start + half;
    chunk.items.resize(half);
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(right));
  }
  changed(c);
}

void StructList::erase(std::size_t first, std::size_t last) {
  while (first < last) {
    const std::size_t c = chunk_of(first);
    Chunk& chunk = chunks_[c];
    const std::size_t offset = first - chunk.start;
    const std::size_t count = std::min(last - first, chunk.items.size() - offset);
    const auto begin = chunk.items.begin() + static_cast<std::ptrdiff_t>(offset);
    chunk.items.erase(begin, begin + static_cast<std::ptrdiff_t>(count));
    size_ -= count;
    last -= count;
    if (chunk.items.empty()) {
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
      if (valid_starts_ > c) valid_starts_ = c;
      hint_ = c > 0 ? c - 1 : 0;
      changed(chunks_.size());
    } else {
      if (offset == 0) chunk.first_clock = chunk.items.front().clock;
      changed(c);
      rebalance(c);
    }
  }
}

void StructList::rebalance(std::size_t c) {
  if (chunks_[c].items.size() >= kChunkCapacity / 4) return;
  // Join with the smaller neighbour when the two fit comfortably in one chunk.
  std::size_t left = c;
  if (c > 0 && (c + 1 == chunks_.size() ||
                chunks_[c - 1].items.size() <= chunks_[c + 1].items.size())) {
    left = c - 1;
  } else if (c + 1 == chunks_.size()) {
    return;
  }
  Chunk& into = chunks_[left];
  Chunk& from = chunks_[left + 1];
  if (into.items.size() + from.items.size() > kChunkCapacity * 3 / 4) return;
  into.items.insert(into.items.end(), from.items.begin(), from.items.end());
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(left) + 1);
  if (valid_starts_ > left + 1) valid_starts_ = left + 1;
  hint_ = left;
  changed(left);
}

StructList::Place StructList::locate_clock(Clock clock, std::size_t& offset) const {
  if (size_ == 0 || clock >= end_clock() || clock < chunks_.front().first_clock)
    throw std::logic_error("struct store has no struct at clock " + std::to_string(clock));
  // New items usually name the last struct as their origin.
  const Chunk& last = chunks_.back();
  if (last.items.back().clock <= clock) {
    offset = last.items.size() - 1;
    return {chunks_.size() - 1, last.start};
  }
  std::size_t c = hint_ < chunks_.size() ? hint_ : 0;
  if (!(chunks_[c].first_clock <= clock &&
        (c + 1 == chunks_.size() || clock < chunks_[c + 1].first_clock))) {
    // Branch-free: the comparisons of a binary search over clocks are unpredictable, and
    // mispredictions cost more than the few extra steps.
    const Chunk* base = chunks_.data();
    std::size_t n = chunks_.size();  // the answer is in [base, base + n)
    while (n > 1) {
      const std::size_t half = n / 2;
      base = base[half].first_clock <= clock ? base + half : base;
      n -= half;
    }
    c = static_cast<std::size_t>(base - chunks_.data());
  }
  const Chunk& chunk = chunks_[c];
  const std::size_t count = chunk.items.size();
  // The clock lies in this chunk; find the last item starting at or before it.
  std::size_t low = 0;
  std::size_t high = count;  // items[high] starts after clock
  if (c == hint_ && offset_hint_ < count) {
    // Lookups repeat (a typist's right origin) or walk a few structs on or back (delete
    // ranges in order): look next to the last answer first.
    const std::size_t at = offset_hint_;
    if (chunk.items[at].clock <= clock) {
      low = at;
      for (std::size_t step = 1; step <= 4 && low + 1 < high; ++step) {
        if (chunk.items[low + 1].clock > clock) {
          high = low + 1;
          break;
        }
        ++low;
      }
    } else {
      high = at;
      for (std::size_t step = 1; step <= 4 && high > 1; ++step) {
        if (chunk.items[high - 1].clock <= clock) {
          low = high - 1;
          break;
        }
        --high;
      }
    }
  }
  {
    const Entry* base = chunk.items.data() + low;
    std::size_t n = high - low;  // the answer is in [base, base + n)
    while (n > 1) {
      const std::size_t half = n / 2;
      base = base[half].clock <= clock ? base + half : base;
      n -= half;
    }
    low = static_cast<std::size_t>(base - chunk.items.data());
  }
  offset = low;
  if (start_valid(c)) return {c, chunk.start};
  // A start not known yet: add up sizes from the last known one.
  const std::size_t known = std::max<std::size_t>(valid_starts_, 1);
  std::size_t chunk_start = chunks_[known - 1].start;
  for (std::size_t k = known - 1; k < c; ++k) chunk_start += chunks_[k].items.size();
  return {c, chunk_start};
}

std::size_t StructList::find_index(Clock clock) const {
  std::size_t offset = 0;
  const Place place = locate_clock(clock, offset);
  return place.start + offset;
}

std::size_t StructList::find_index(Clock clock) {
  std::size_t offset = 0;
  const std::size_t c = locate_clock(clock, offset).chunk;
  // The last chunk's start is always known; remembering it would lose the place in the middle.
  if (c + 1 == chunks_.size()) return chunks_[c].start + offset;
  validate_start(c);
  hint_ = c;
  offset_hint_ = offset;
  return chunks_[c].start + offset;
}

// ---------------------------------------------------------------------------------------------
// StructStore

StructList* StructStore::find_structs(ClientId client) {
  if (cached_structs_ != nullptr && cached_client_ == client) return cached_structs_;
  auto found = clients.find(client);
  if (found == clients.end()) return nullptr;
  cached_client_ = client;
  cached_structs_ = &found->second;
  return cached_structs_;
}

const StructList* StructStore::find_structs(ClientId client) const {
  if (cached_structs_ != nullptr && cached_client_ == client) return cached_structs_;
  auto found = clients.find(client);
  return found == clients.end() ? nullptr : &found->second;
}

StructList& StructStore::structs_of(ClientId client) {
  StructList* structs = find_structs(client);
  if (structs == nullptr)
    throw std::logic_error("struct store has no structs of client " + std::to_string(client));
  return *structs;
}

Clock StructStore::state(ClientId client) const {
  const StructList* structs = find_structs(client);
  return structs == nullptr ? 0 : structs->end_clock();
}

std::unordered_map<ClientId, Clock> StructStore::state_vector() const {
  std::unordered_map<ClientId, Clock> vector;
  vector.reserve(clients.size());
  for (const auto& [client, structs] : clients)
    if (!structs.empty()) vector.emplace(client, structs.end_clock());
  return vector;
}

Item* StructStore::find(Id id) {
  StructList& structs = structs_of(id.client);
  return structs[structs.find_index(id.clock)];
}

void StructStore::add(Item* item) {
  StructList* structs = find_structs(item->id.client);
  if (structs == nullptr) {
    structs = &clients[item->id.client];
    cached_client_ = item->id.client;
    cached_structs_ = structs;
  }
  if (!structs->empty() && structs->end_clock() != item->id.clock)
    throw std::logic_error("struct does not continue its client's sequence");
  structs->push_back(item);
}

Item* StructStore::allocate() {
  if (!free_.empty()) {
    Item* item = free_.back();
    free_.pop_back();
    return item;
  }
  return allocate_new();
}

Item* StructStore::allocate(bool& reused) {
  reused = !free_.empty();
  return allocate();
}

void StructStore::rollback(Mark mark) {
  std::allocator<Item> allocator;
  while (blocks_.size() > mark.blocks) {
    ItemBlock& block = blocks_.back();
    std::destroy_n(block.items, block.used);
    allocator.deallocate(block.items, block.capacity);
    blocks_.pop_back();
  }
  if (!blocks_.empty()) {
    ItemBlock& block = blocks_.back();
    std::destroy_n(block.items + mark.used, block.used - mark.used);
    block.used = mark.used;
  }
}

void StructStore::reserve(std::size_t count) {
  if (count <= kMaxBlockItems) return;
  if (!blocks_.empty() && blocks_.back().capacity - blocks_.back().used >= count) return;
  blocks_.reserve(blocks_.size() + 1);
  Item* items = std::allocator<Item>().allocate(count);
#ifdef MADV_POPULATE_WRITE
  // One system call instead of a page fault per 4 KiB (expensive in virtual machines); the
  // pages would all be written in a moment anyway. Best effort: older kernels refuse it.
  const auto page = static_cast<std::uintptr_t>(4096);
  const auto begin = (reinterpret_cast<std::uintptr_t>(items) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(items + count)) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#endif
  blocks_.push_back({items, count, 0});
}

Item* StructStore::allocate_new() {
  if (blocks_.empty() || blocks_.back().used == blocks_.back().capacity) {
    const std::size_t capacity =
        blocks_.empty() ? kFirstBlockItems : std::min(blocks_.back().capacity * 2, kMaxBlockItems);
    blocks_.reserve(blocks_.size() + 1);
    blocks_.push_back({std::allocator<Item>().allocate(capacity), capacity, 0});
  }
  ItemBlock& block = blocks_.back();
  Item* item = std::construct_at(block.items + block.used);
  ++block.used;
  return item;
}

void StructStore::release(Item* item) {
  // Destroying and constructing in place is cheaper than assigning a temporary Item.
  item->~Item();
  new (item) Item();
  free_.push_back(item);
}

}  // namespace agora::crdt
