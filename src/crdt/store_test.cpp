#include "crdt/store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>

namespace agora::crdt {
namespace {

std::uint64_t base_seed() {
  const char* seed = std::getenv("AGORA_SEED");
  return seed != nullptr ? std::strtoull(seed, nullptr, 10) : std::random_device{}();
}

// A StructList against a plain vector: the same edits, then the same contents and the same
// answers to find_index. Items are split and merged as a document does, so clocks stay dense.
TEST(StructList, BehavesLikeAVector) {
  const std::uint64_t seed = base_seed();
  std::mt19937_64 rng(seed);
  std::deque<Item> pool;
  auto make = [&](Clock clock, std::uint64_t length) {
    Item& item = pool.emplace_back();
    item.id = {1, clock};
    item.length = length;
    return &item;
  };
  StructList list;
  std::vector<Item*> model;
  Clock end = 0;
  for (int step = 0; step < 20000; ++step) {
    // Pushes and splits outnumber merges, so the list grows to thousands of structs in
    // dozens of chunks; a rare long merge erases across chunks.
    const auto action = rng() % 100;
    if (model.empty() || action < 30) {
      const std::uint64_t length = 1 + rng() % 4;
      Item* item = make(end, length);
      end += length;
      list.push_back(item);
      model.push_back(item);
    } else if (action < 80) {
      // Split a struct at a random clock, as item_clean_start does.
      const Clock clock = rng() % end;
      const std::size_t index = list.find_index(clock);
      ASSERT_EQ(model[index], list[index]) << "seed " << seed;
      Item* left = model[index];
      ASSERT_LE(left->id.clock, clock) << "seed " << seed;
      ASSERT_LT(clock, left->end_clock()) << "seed " << seed;
      if (left->id.clock == clock) continue;
      Item* right = make(clock, left->end_clock() - clock);
      left->length = clock - left->id.clock;
      list.insert(index + 1, right);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(index) + 1, right);
    } else {
      // Merge a run of neighbours into the first, as merge_with_lefts does.
      const std::size_t first = rng() % model.size();
      const std::size_t span = step % 1000 == 999 ? 300 : 4;
      const std::size_t last = std::min(model.size(), first + 1 + rng() % span);
      for (std::size_t i = first + 1; i < last; ++i) model[first]->length += model[i]->length;
      list.erase(first + 1, last);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                  model.begin() + static_cast<std::ptrdiff_t>(last));
    }
    ASSERT_EQ(list.size(), model.size()) << "seed " << seed;
    const std::size_t probe = rng() % model.size();
    ASSERT_EQ(list[probe], model[probe]) << "seed " << seed << " step " << step;
    if (step % 97 == 0) {
      for (std::size_t i = 0; i < model.size(); ++i)
        ASSERT_EQ(list[i], model[i]) << "seed " << seed << " step " << step << " index " << i;
      for (std::size_t i = model.size(); i-- > 0;)
        ASSERT_EQ(list[i], model[i]) << "seed " << seed << " step " << step << " index " << i;
    }
  }
  EXPECT_GT(list.size(), 1000u) << "seed " << seed;
  EXPECT_EQ(list.end_clock(), end) << "seed " << seed;
  EXPECT_EQ(list.back(), model.back()) << "seed " << seed;
  EXPECT_EQ(list.front(), model.front()) << "seed " << seed;
  EXPECT_THROW(list.find_index(end), std::logic_error);
}

}  // namespace
}  // namespace agora::crdt
