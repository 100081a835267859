#pragma once
// A person's API tokens (issue 5 item 5): /account/api-tokens lists them, creates one (its secret
// shown once) and revokes them. Only organisation admins may give a token the "scim" scope.

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the API token routes use; everything must outlive the router.
struct ApiTokenSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  auth::AuditLog& audit;
};

/// Adds GET and POST /account/api-tokens and POST /account/api-tokens/{id}/revoke.
void add_api_token_routes(http::Router& router, const ApiTokenSite& site);

}  // namespace agora::app
