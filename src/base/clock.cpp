#include "base/clock.hpp"

namespace agora::base {

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
  return std::chrono::steady_clock::now();
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

ManualClock::ManualClock(std::chrono::system_clock::time_point start)
    : wall_(start), steady_(std::chrono::hours(1)) {}

std::chrono::system_clock::time_point ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

std::chrono::steady_clock::time_point ManualClock::steady_now() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

void ManualClock::advance(std::chrono::nanoseconds by) {
  std::lock_guard lock(mutex_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(by);
}

void ManualClock::set(std::chrono::system_clock::time_point to) {
  std::lock_guard lock(mutex_);
  wall_ = to;
}

std::int64_t to_unix_millis(std::chrono::system_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_millis(std::int64_t millis) noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(millis)));
}

}  // namespace agora::base
