#pragma once
// Data protection (issue 5 item 7): a person downloads everything Agora holds about them
// (GET /account/data, a ZIP of data.json and the files they uploaded), and an organisation admin
// erases a former member of staff (/admin/people/{id}/erase): personal data removed, their work
// kept under "Former member", the audit trail untouched.

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "auth/sessions.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the data protection routes use; everything must outlive the router.
struct DataProtectionSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::SessionLimits limits;
  auth::AuditLog& audit;
  store::BlobStore& blobs;
};

/// The display name an erased person's work is shown under.
inline constexpr std::string_view kFormerMemberName = "Former member";

/// Adds GET /account/data and GET and POST /admin/people/{id}/erase.
void add_data_protection_routes(http::Router& router, const DataProtectionSite& site);

}  // namespace agora::app
