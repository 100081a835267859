#pragma once
// Signed-in sessions (DESIGN.md "Security model"): a 256-bit random token lives only in the
// person's cookie; the database keeps its SHA-256, so a copy of the database signs no one in.
// A session ends after `idle` without use or `absolute` after sign-in, whichever comes first, and
// its token is replaced whenever it gains privilege (second factor passed), so a token planted
// before sign-in (session fixation) is worthless after it.

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

/// How far a session has got through sign-in. Only `active` sessions act as their person; the
/// others may only finish signing in.
enum class SessionStage {
  second_factor,     // password accepted, TOTP or recovery code still to give
  two_factor_setup,  // password accepted, the organisation requires 2FA and none is set up yet
  active,
};

std::string_view to_string(SessionStage stage) noexcept;

/// Expiry rules, from --session-idle and --session-absolute.
struct SessionLimits {
  std::chrono::seconds idle{30 * 60};
  std::chrono::seconds absolute{12 * 3600};
};

/// One session as stored.
struct Session {
  std::int64_t id = 0;
  std::int64_t person_id = 0;
  SessionStage stage = SessionStage::active;
  std::string method;  // how the person signed in: "password", "sso"
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point last_seen_at;
  std::string ip;
  std::string user_agent;
};

/// A session just started or rotated, with the token for the cookie (never stored).
struct IssuedSession {
  Session session;
  std::string token;  // base64url of 32 random bytes
};

/// Starts, finds, rotates and ends sessions. Works on the caller's connection.
class SessionStore {
 public:
  /// `connection` and `clock` must outlive the store.
  SessionStore(store::Connection& connection, const base::Clock& clock, SessionLimits limits);

  /// Starts a session for `person_id` at `stage`, signed in by `method` from `ip`/`user_agent`.
  Result<IssuedSession> start(std::int64_t person_id, SessionStage stage, std::string_view method,
                              std::string_view ip, std::string_view user_agent);
  /// The live session whose token is `token`, or nullopt when there is none or it has expired
  /// (an expired one is deleted). Records the use at most once a minute, so reads stay reads.
  Result<std::optional<Session>> find(std::string_view token);
  /// Replaces the token of session `session_id` with a new one and moves it to `stage`; the old
  /// token stops working at once.
  Result<IssuedSession> rotate(std::int64_t session_id, SessionStage stage);
  /// Every live session of `person_id`, most recently used first.
  Result<std::vector<Session>> list(std::int64_t person_id);
  /// Ends session `session_id` if it belongs to `person_id`; false when it did not exist.
  Result<bool> end(std::int64_t person_id, std::int64_t session_id);
  /// Ends every session of `person_id` (sign out everywhere, deprovisioning, erasure); returns
  /// how many ended.
  Result<std::int64_t> end_all(std::int64_t person_id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
  SessionLimits limits_;
};

/// SHA-256 of `secret`: how session, API, invitation and reset tokens are stored and looked up.
store::Bytes token_hash(std::string_view secret);

/// A new secret token: base64url of 32 random bytes from libsodium.
std::string new_secret_token();

/// The cookie that carries session tokens.
inline constexpr std::string_view kSessionCookie = "__Host-agora_session";

/// A Set-Cookie value that stores `token` for the rest of the browser session (the server
/// enforces expiry): __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/.
std::string session_cookie(std::string_view token);
/// A Set-Cookie value that deletes the session cookie.
std::string expired_session_cookie();

}  // namespace agora::auth
