#include "auth/rate_limiter.hpp"

#include <algorithm>

namespace agora::auth {

RateLimiter::RateLimiter(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<RateDecision> RateLimiter::check(std::string_view bucket, RateLimit limit) {
  const auto now = clock_.now();
  const std::int64_t since = base::to_unix_millis(now - limit.window);
  auto rows = connection_.query(
      "SELECT COUNT(*), MIN(at) FROM rate_events WHERE bucket = ? AND at > ?",
      {std::string(bucket), since});
  if (!rows) return rows.error();
  const std::int64_t count = rows->front().integer(0);
  if (count < limit.events) return RateDecision{};
  // Refused until enough of the counted events have aged out; at least one second.
  const auto oldest = base::from_unix_millis(rows->front().integer(1));
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(oldest + limit.window - now);
  return RateDecision{false, std::max(wait, std::chrono::seconds(1))};
}

Result<> RateLimiter::record(std::string_view bucket, RateLimit limit) {
  const auto now = clock_.now();
  AGORA_TRY(connection_.execute("DELETE FROM rate_events WHERE bucket = ? AND at <= ?",
                                {std::string(bucket), base::to_unix_millis(now - limit.window)}));
  AGORA_TRY(connection_.execute("INSERT INTO rate_events (bucket, at) VALUES (?, ?)",
                                {std::string(bucket), base::to_unix_millis(now)}));
  return {};
}

Result<> RateLimiter::clear(std::string_view bucket) {
  AGORA_TRY(connection_.execute("DELETE FROM rate_events WHERE bucket = ?", {std::string(bucket)}));
  return {};
}

}  // namespace agora::auth
