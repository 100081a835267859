#pragma once
// Short-lived signed tokens that stand for one person doing one thing to one resource, e.g.
// "person 7 may open the collaboration socket of document 42 until 10:05". They carry no
// authority of their own: whoever accepts one still asks auth::Policy with the person's current
// role, so a revoked grant wins over an unexpired token.

#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace agora::auth {

/// What a token says.
struct TokenClaims {
  std::string purpose;       // what it may be used for, e.g. "collab"; checked on verify
  std::int64_t person_id = 0;
  std::string resource_id;   // e.g. the document id
  std::chrono::system_clock::time_point expires_at;
};

/// Signs and verifies tokens with HMAC-SHA256 under one server key.
class TokenSigner {
 public:
  /// Uses `key` (at least 32 bytes, from load_or_create_server_key).
  explicit TokenSigner(std::string key);

  /// The token for `claims`: URL-safe text, no padding, fit for a query parameter.
  std::string sign(const TokenClaims& claims) const;
  /// The claims of a genuine token for `purpose` that has not expired at `now`; otherwise
  /// permission_denied saying why (malformed, bad signature, wrong purpose, expired).
  Result<TokenClaims> verify(std::string_view token, std::string_view purpose,
                             std::chrono::system_clock::time_point now) const;

 private:
  std::string key_;
};

/// The secret named `name` (e.g. "collab-token"), created from the system's random generator the
/// first time it is asked for. Stored in the database so that every node and the CLI share it.
Result<std::string> load_or_create_server_key(store::Connection& connection, std::string_view name);

}  // namespace agora::auth
