#pragma once
// The pages of spaces shared across organisations: the list of one's spaces with a form to
// create one, a space with its documents, and its members, whom owners share it with. Someone
// with no role on a space gets 404, so guessing ids reveals nothing. Every view of an
// OFFICIAL-SENSITIVE space is written to the audit trail. Sharing with an address that has no
// account invites its owner as a guest, when their email domain belongs to an organisation.

#include "app/email_link_routes.hpp"
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
  const EmailLinkSite& links;  // sends guest invitations
};

/// Adds GET/POST /spaces (auth::kSpaceCreate), GET /spaces/{id} (kSpaceRead), POST
/// /spaces/{id}/documents (kSpaceEdit), GET /spaces/{id}/members (kSpaceRead) and POST
/// /spaces/{id}/members (kSpaceManage). Each handler looks up the principal's role on the space
/// and asks Policy::check with {"space", id, role}. POST /spaces/{id}/members with change=person
/// and an email that has no account emails a guest invitation (send_invitation) whose home
/// organisation is the one owning the email's domain, or says that no organisation owns it.
void add_space_routes(http::Router& router, const SpaceSite& site);

}  // namespace agora::app
