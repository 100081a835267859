#include "base/random.hpp"
#include "base/clock.hpp"

#include <gtest/gtest.h>

#include <set>

namespace agora::base {
namespace {

TEST(SeededRandom, SameSeedSameBytes) {
  SeededRandom a(42), b(42), c(43);
  const std::string from_a = a.bytes(37);
  EXPECT_EQ(from_a, b.bytes(37));
  EXPECT_NE(from_a, c.bytes(37));
  EXPECT_EQ(a.seed(), 42u);
}

TEST(SystemRandom, BytesDiffer) {
  // 32 random bytes repeating would mean the generator is broken (chance 2^-256).
  EXPECT_NE(system_random().bytes(32), system_random().bytes(32));
  EXPECT_EQ(system_random().bytes(5).size(), 5u);
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  SeededRandom random(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto value = random.uniform(6);
    ASSERT_LT(value, 6u);
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(random.uniform(1), 0u);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  const auto start = from_unix_millis(1'767'225'600'000);  // 2026-01-01T00:00:00Z
  ManualClock clock(start);
  const auto steady = clock.steady_now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.now(), start + std::chrono::seconds(5));
  EXPECT_EQ(clock.steady_now() - steady, std::chrono::seconds(5));
  clock.set(start);  // the wall clock stepped back; monotonic time did not
  EXPECT_EQ(clock.now(), start);
  EXPECT_EQ(clock.steady_now() - steady, std::chrono::seconds(5));
  EXPECT_EQ(to_unix_millis(clock.now()), 1'767'225'600'000);
}

TEST(SystemClock, Advances) {
  const auto a = system_clock().steady_now();
  const auto b = system_clock().steady_now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace agora::base
