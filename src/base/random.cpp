#include "base/random.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace agora::base {

std::uint64_t Random::uniform(std::uint64_t upper) {
  if (upper <= 1) return 0;
  // Rejection sampling: values at or above the largest multiple of `upper` would bias the
  // result towards small numbers, so draw again.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % upper;
  for (;;) {
    std::uint64_t value = 0;
    fill(std::as_writable_bytes(std::span(&value, 1)));
    if (value < limit) return value % upper;
  }
}

std::string Random::bytes(std::size_t count) {
  std::string out(count, '\0');
  fill(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

SystemRandom::SystemRandom() {
  if (sodium_init() < 0) std::abort();
}

void SystemRandom::fill(std::span<std::byte> out) {
  randombytes_buf(out.data(), out.size());
}

Random& system_random() {
  static SystemRandom random;
  return random;
}

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

SeededRandom::SeededRandom(std::uint64_t seed) : seed_(seed) {
  // xoshiro's authors recommend SplitMix64 to spread a 64-bit seed over the 256-bit state.
  std::uint64_t x = seed;
  for (auto& word : state_) word = splitmix64(x);
}

std::uint64_t SeededRandom::next() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

void SeededRandom::fill(std::span<std::byte> out) {
  std::lock_guard lock(mutex_);
  std::size_t i = 0;
  while (i < out.size()) {
    const std::uint64_t word = next();
    const std::size_t n = std::min(sizeof word, out.size() - i);
    std::memcpy(out.data() + i, &word, n);
    i += n;
  }
}

}  // namespace agora::base
