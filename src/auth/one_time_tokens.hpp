#pragma once
// Single-use, expiring links sent by email: invitations to join Agora (and, for guests, a space)
// and password resets (table one_time_tokens). Only the SHA-256 of the secret is stored.

#include "auth/model.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::auth {

/// What a link is for.
enum class LinkPurpose { invitation, password_reset };

/// How long links last.
inline constexpr std::chrono::hours kInvitationLifetime{7 * 24};
inline constexpr std::chrono::hours kPasswordResetLifetime{1};

/// What a link carries.
struct OneTimeLink {
  LinkPurpose purpose = LinkPurpose::invitation;
  std::string email;                           // who it was sent to
  std::optional<std::int64_t> organisation_id;  // invitation: the home organisation to join
  std::optional<std::int64_t> space_id;         // guest invitation: the space shared with them
  std::optional<Role> role;                     // and their role in it
  std::optional<std::int64_t> created_by;
  std::chrono::system_clock::time_point expires_at;
};

/// Creates and redeems links on the caller's connection.
class OneTimeTokenStore {
 public:
  OneTimeTokenStore(store::Connection& connection, const base::Clock& clock);

  /// Stores `link` (its expires_at is set from `lifetime`) and returns the secret for the URL.
  Result<std::string> create(OneTimeLink link, std::chrono::seconds lifetime);
  /// The unused, unexpired link for `secret` and `purpose`, or nullopt; does not use it up.
  Result<std::optional<OneTimeLink>> peek(std::string_view secret, LinkPurpose purpose);
  /// As peek, and marks the link used so it never works again (atomically: of two requests
  /// racing with one link, one gets it).
  Result<std::optional<OneTimeLink>> redeem(std::string_view secret, LinkPurpose purpose);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
