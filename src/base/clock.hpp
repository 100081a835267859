#pragma once
// Time comes through this interface (CONVENTIONS.md "Injected environment") so tests can pin it.

#include <chrono>
#include <cstdint>
#include <mutex>

namespace agora::base {

/// A source of wall-clock and monotonic time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time: for timestamps people read and store (created_at, expiry).
  virtual std::chrono::system_clock::time_point now() const = 0;
  /// Monotonic time: for measuring durations and timeouts, immune to clock changes.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

/// The real clock of the machine.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
};

/// One process-wide SystemClock, for code that is not given a clock explicitly.
const Clock& system_clock();

/// A clock that moves only when told to; for tests. Both times advance together.
class ManualClock final : public Clock {
 public:
  /// Starts at `start` (wall clock); the monotonic time starts at an arbitrary fixed point.
  explicit ManualClock(std::chrono::system_clock::time_point start);

  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  /// Moves both times forward by `by`.
  void advance(std::chrono::nanoseconds by);
  /// Sets the wall-clock time (a clock change); monotonic time is unaffected.
  void set(std::chrono::system_clock::time_point to);

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_;
};

/// Milliseconds since the Unix epoch: how timestamps are stored in the database.
std::int64_t to_unix_millis(std::chrono::system_clock::time_point t) noexcept;
/// The inverse of to_unix_millis.
std::chrono::system_clock::time_point from_unix_millis(std::int64_t millis) noexcept;

}  // namespace agora::base
