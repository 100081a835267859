#pragma once
// Randomness comes through this interface (CONVENTIONS.md "Injected environment") so tests can
// seed it and replay a failure; production code uses the operating system's generator.

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace agora::base {

/// A source of random bytes. Implementations are thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  /// Fills `out` with random bytes.
  virtual void fill(std::span<std::byte> out) = 0;

  /// A uniformly distributed integer in [0, upper); `upper` must be positive.
  std::uint64_t uniform(std::uint64_t upper);
  /// `count` random bytes as a string (e.g. a 32-byte session token before encoding).
  std::string bytes(std::size_t count);
};

/// Cryptographically secure randomness from libsodium (the kernel's getrandom). Use this for
/// anything an attacker must not guess: tokens, salts, keys.
class SystemRandom final : public Random {
 public:
  /// Initialises libsodium; aborts the process if it cannot (no safe way to go on).
  SystemRandom();
  void fill(std::span<std::byte> out) override;
};

/// One process-wide SystemRandom, for code that is not given a generator explicitly.
Random& system_random();

/// A deterministic generator (xoshiro256**) for tests: the same seed gives the same bytes.
/// Not for secrets.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  void fill(std::span<std::byte> out) override;
  /// The seed this generator started from, for printing so a failing test can be replayed.
  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t next();

  std::mutex mutex_;
  std::uint64_t seed_;
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace agora::base
