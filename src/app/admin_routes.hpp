#pragma once
// Organisation admins manage their own organisation's people (issue 5 item 1): list them, invite
// new staff by email, make or unmake admins, suspend and restore accounts, sign someone out
// everywhere, and require two-factor authentication for everyone.

#include "app/email_link_routes.hpp"
#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "auth/sessions.hpp"
#include "http/router.hpp"

namespace agora::app {

/// What the admin routes use; everything must outlive the router.
struct AdminSite {
  EmailLinkSite links;  // templates, database, clock, audit and mail
  const auth::Policy& policy;
  auth::SessionLimits limits;
};

/// Adds /admin/people and its forms.
void add_admin_routes(http::Router& router, const AdminSite& site);

}  // namespace agora::app
