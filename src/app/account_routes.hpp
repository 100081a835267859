#pragma once
// Signing in and out, the second factor, setting up TOTP, and a person's own account page with
// their sessions (issue 5 items 4 and 5).

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "auth/sessions.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the account routes use; everything must outlive the router.
struct AccountSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::SessionLimits limits;
  auth::AuditLog& audit;
};

/// Adds /sign-in, /sign-in/two-factor, /sign-out, /account, /account/two-factor and
/// /account/sessions/... to `router`.
void add_account_routes(http::Router& router, const AccountSite& site);

}  // namespace agora::app
