#pragma once
// API tokens for integrations (issue 5 item 5): scoped ("scim", "read"), expiring, stored only as
// SHA-256 hashes. Sent as `Authorization: Bearer agora_pat_...`; the prefix lets the sign-in
// middleware tell them from other bearer tokens and lets secret scanners recognise a leaked one.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

inline constexpr std::string_view kApiTokenPrefix = "agora_pat_";

/// The scopes an API token may carry.
inline constexpr std::string_view kScopeScim = "scim";

/// One API token as stored (never its secret).
struct ApiToken {
  std::int64_t id = 0;
  std::int64_t person_id = 0;
  std::string name;                 // what the person called it, e.g. "HR directory sync"
  std::vector<std::string> scopes;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point expires_at;
  std::optional<std::chrono::system_clock::time_point> last_used_at;
};

/// Creates, finds and revokes API tokens on the caller's connection.
class ApiTokenStore {
 public:
  ApiTokenStore(store::Connection& connection, const base::Clock& clock);

  /// Issues a token for `person_id` valid for `lifetime` (at most a year) and returns its secret,
  /// shown once. invalid_input for an empty or overlong name, an unknown scope or no scope.
  Result<std::string> create(std::int64_t person_id, std::string_view name,
                             const std::vector<std::string>& scopes,
                             std::chrono::seconds lifetime);
  /// The unexpired token whose secret is `secret`, or nullopt; records its use.
  Result<std::optional<ApiToken>> find(std::string_view secret);
  /// The person's tokens, newest first.
  Result<std::vector<ApiToken>> list(std::int64_t person_id);
  /// Revokes token `id` if it belongs to `person_id`; false when there was none.
  Result<bool> revoke(std::int64_t person_id, std::int64_t id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
