#pragma once
// Sliding-window limits kept in the database (table rate_events), so every node of a cluster
// counts the same events: sign-in failures per account and per address, password reset requests
// per account.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace agora::auth {

/// How many events a bucket may hold within a window.
struct RateLimit {
  std::int64_t events = 10;
  std::chrono::seconds window{15 * 60};
};

/// Sign-in failures for one account: at most 10 in 15 minutes (issue 5).
inline constexpr RateLimit kSignInFailuresPerAccount{10, std::chrono::minutes(15)};
/// Sign-in failures from one address: generous, as offices share addresses.
inline constexpr RateLimit kSignInFailuresPerAddress{100, std::chrono::minutes(15)};
/// Password reset emails for one account.
inline constexpr RateLimit kPasswordResetsPerAccount{3, std::chrono::hours(1)};

/// The answer to "may this go ahead?".
struct RateDecision {
  bool allowed = true;
  /// When refused: how long until the oldest counted event leaves the window.
  std::chrono::seconds retry_after{0};
};

/// Counts and records events per bucket on the caller's connection.
class RateLimiter {
 public:
  RateLimiter(store::Connection& connection, const base::Clock& clock);

  /// Whether another event fits into `bucket` under `limit` now (does not record one).
  Result<RateDecision> check(std::string_view bucket, RateLimit limit);
  /// Records one event in `bucket`, forgetting events older than `limit.window`.
  Result<> record(std::string_view bucket, RateLimit limit);
  /// Forgets every event of `bucket` (a successful sign-in clears its account's failures).
  Result<> clear(std::string_view bucket);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
