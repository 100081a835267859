#pragma once
// SQL for single sign-on: each organisation's identity provider settings (columns of
// organisations) and the sign-in attempts under way (table oidc_logins), which tie the state a
// provider sends back to the nonce and PKCE verifier of the attempt that sent the person there.

#include "auth/oidc.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::auth {

/// How long a person has to come back from their identity provider.
inline constexpr std::chrono::minutes kOidcLoginLifetime{10};

/// One sign-in attempt under way.
struct OidcLogin {
  std::string state;  // random; the table's key, sent to the provider and back
  std::int64_t organisation_id = 0;
  std::string nonce;
  std::string code_verifier;
  std::string return_to;  // the local path to show after sign-in
  std::chrono::system_clock::time_point created_at;
};

/// Reads and writes SSO settings and sign-in attempts on the caller's connection.
class OidcStore {
 public:
  /// `connection` and `clock` must outlive the store.
  OidcStore(store::Connection& connection, const base::Clock& clock);

  /// The organisation's provider settings (issuer empty when SSO is off); not_found when there
  /// is no organisation `organisation_id`.
  Result<OidcSettings> settings(std::int64_t organisation_id);
  /// Stores `settings` for settings.organisation_id; an empty issuer turns SSO off and clears the
  /// client id and secret. not_found when there is no such organisation.
  Result<> save_settings(const OidcSettings& settings);

  /// Records a new attempt, stamped now; first deletes attempts older than kOidcLoginLifetime.
  /// conflict if the state is already in use.
  Result<> save_login(const OidcLogin& login);
  /// Removes the attempt with `state` and returns it, or nullopt when there is none or it is
  /// older than kOidcLoginLifetime: each state can be used once only.
  Result<std::optional<OidcLogin>> take_login(std::string_view state);

  /// The person's status ("active", "suspended", "erased"), or nullopt when there is no such
  /// person. Kept here until auth::Person carries it.
  Result<std::optional<std::string>> person_status(std::int64_t person_id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
