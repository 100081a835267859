#pragma once
// The audit trail pages for organisation admins: GET /admin/audit lists their organisation's
// records newest first with filters, and GET /admin/audit/export downloads them as CSV or JSON.

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

#include <chrono>
#include <string>

namespace agora::app {

/// What the audit routes use; everything must outlive the router.
struct AuditSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::AuditLog& audit_log;
};

/// How many records one page shows.
inline constexpr int kAuditPageSize = 50;

/// Adds GET /admin/audit and GET /admin/audit/export (action auth::kAuditRead). Each checks
/// Policy::check(principal, kAuditRead, {"organisation", principal's organisation}) and shows only
/// records of the principal's own organisation.
void add_audit_routes(http::Router& router, const AuditSite& site);

/// UK local time (Europe/London: GMT, or BST from 01:00 UTC on the last Sunday of March to 01:00
/// UTC on the last Sunday of October) for `utc`, as a time point whose clock reads local time.
std::chrono::sys_time<std::chrono::milliseconds> london_time(
    std::chrono::system_clock::time_point utc);

/// The UTC instant at which the UK date `date` begins (midnight local time).
std::chrono::system_clock::time_point london_midnight(std::chrono::year_month_day date);

}  // namespace agora::app
