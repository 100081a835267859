#pragma once
// Signing in: the password step with its rate limits, the second factor (TOTP or a recovery
// code), and setting up TOTP. Each step that succeeds starts or rotates a session, so a session
// token gains privilege only by being replaced; each attempt, good or bad, is audited.

#include "auth/audit_log.hpp"
#include "auth/sessions.hpp"
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

/// Where a request comes from, for rate limits and the audit trail.
struct Requester {
  std::string ip;
  std::string user_agent;
};

/// How a sign-in step ended.
struct SignInOutcome {
  enum class Kind {
    signed_in,     // `session` holds the new session (its stage says what comes next)
    refused,       // wrong email, password or code; say nothing more specific
    rate_limited,  // too many failures: try again after `retry_after`
    suspended,     // right password, but the account is suspended or erased
  };
  Kind kind = Kind::refused;
  IssuedSession session;
  std::chrono::seconds retry_after{0};
};

/// What a person needs to keep after setting up TOTP: shown once, stored only as hashes.
struct TwoFactorSetup {
  IssuedSession session;  // the rotated, now active session
  std::vector<std::string> recovery_codes;
};

/// The sign-in steps. Thread-safe; everything it is given must outlive it.
class SignIn {
 public:
  SignIn(store::Database& database, const base::Clock& clock, SessionLimits limits,
         AuditLog& audit);

  /// The password step. Ends `previous_session_token`'s session if one is given (no session
  /// fixation). Refuses after 10 failures for the account in 15 minutes, or many from the
  /// address. Rehashes the password when the hashing settings have changed.
  Result<SignInOutcome> with_password(std::string_view email, std::string_view password,
                                      const Requester& from,
                                      std::optional<std::string_view> previous_session_token);

  /// The second-factor step for a session at SessionStage::second_factor: a current TOTP code
  /// (each usable once) or an unused recovery code.
  Result<SignInOutcome> with_second_factor(std::int64_t session_id, std::int64_t person_id,
                                           std::string_view code, const Requester& from);

  /// Turns on TOTP for `person_id` with `secret` when `code` proves their authenticator has it;
  /// replaces their recovery codes and rotates session `session_id` to active. Someone who
  /// already has TOTP must also give `current_code` from the old authenticator (or a recovery
  /// code). nullopt when a code is wrong.
  Result<std::optional<TwoFactorSetup>> set_up_two_factor(std::int64_t session_id,
                                                          std::int64_t person_id,
                                                          std::string_view secret,
                                                          std::string_view code,
                                                          std::string_view current_code,
                                                          const Requester& from);

 private:
  store::Database& database_;
  const base::Clock& clock_;
  SessionLimits limits_;
  AuditLog& audit_;
};

}  // namespace agora::auth
