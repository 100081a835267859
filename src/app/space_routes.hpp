#pragma once
// The pages of spaces shared across organisations: the list of one's spaces with a form to
// create one, a space with its documents, and its members, whom owners share it with. Someone
// with no role on a space gets 404, so guessing ids reveals nothing. Every view of an
// OFFICIAL-SENSITIVE space is written to the audit trail.

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the space routes use; everything must outlive the router.
struct SpaceSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::AuditLog& audit_log;
};

/// Adds GET/POST /spaces (auth::kSpaceCreate), GET /spaces/{id} (kSpaceRead), POST
/// /spaces/{id}/documents (kSpaceEdit), GET /spaces/{id}/members (kSpaceRead) and POST
/// /spaces/{id}/members (kSpaceManage). Each handler looks up the principal's role on the space
/// and asks Policy::check with {"space", id, role}.
void add_space_routes(http::Router& router, const SpaceSite& site);

}  // namespace agora::app
