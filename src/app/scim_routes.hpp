#pragma once
// SCIM 2.0 provisioning (issue 5 item 8) at /scim/v2: an organisation's directory creates,
// changes, suspends and groups its people with an API token (scope "scim") of one of its admins.
// Deprovisioning suspends rather than erases, ends the person's sessions at once and makes open
// collaboration sockets re-check (and so drop) their access.

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "auth/sessions.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "store/database.hpp"

#include <string>

namespace agora::app {

/// What the SCIM routes use; everything must outlive the router.
struct ScimSite {
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::SessionLimits limits;
  auth::AuditLog& audit;
  std::string public_url;  // --public-url, for resource locations; empty: the request's Host
};

/// Adds /scim/v2/Users, /scim/v2/Groups (and their /{id}) and /scim/v2/ServiceProviderConfig.
void add_scim_routes(http::Router& router, const ScimSite& site);

}  // namespace agora::app
