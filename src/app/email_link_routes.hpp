#pragma once
// Everything that reaches people by a link in an email: forgotten passwords, invitations to join
// an organisation, and guest invitations into a space (issue 5 items 1 and 4).

#include "auth/audit_log.hpp"
#include "auth/model.hpp"
#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "notify/mailer.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace agora::app {

/// What the routes use; everything must outlive the router.
struct EmailLinkSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  auth::AuditLog& audit;
  notify::Mailer& mailer;
  std::string public_url;  // --public-url; empty: links use the request's own origin
};

/// Who is being invited, to what.
struct Invitation {
  std::string email;
  std::int64_t organisation_id = 0;        // the organisation they will belong to
  std::optional<std::int64_t> space_id;    // a guest invitation: the space shared with them
  std::optional<auth::Role> role;          // and their role in it
  std::string space_name;                  // for the message
  std::string inviter_name;                // for the message
  std::string organisation_name;           // for the message
};

/// Stores a single-use invitation link (7 days) and emails it to `invitation.email`, in the
/// inviter's language. Fails when the mail cannot be sent (nothing is left behind then).
Result<> send_invitation(const EmailLinkSite& site, const http::Request& request,
                         const Invitation& invitation);

/// Adds /sign-in/forgotten-password, /sign-in/reset-password and /invitations/accept.
void add_email_link_routes(http::Router& router, const EmailLinkSite& site);

}  // namespace agora::app
