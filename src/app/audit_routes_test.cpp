#include "app/audit_routes.hpp"

#include "app/migrations.hpp"
#include "auth/directory_store.hpp"
#include "http/assets.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#ifndef AGORA_SOURCE_DIR
#define AGORA_SOURCE_DIR "."
#endif

namespace agora::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

sys_time<milliseconds> utc(int y, unsigned m, unsigned d, int hours, int minutes, int seconds) {
  return sys_days(year(y) / month(m) / day(d)) + hours * 1h + minutes * 1min + seconds * 1s;
}

TEST(LondonTime, FollowsBritishSummerTime) {
  // BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
  // October: 30 March and 26 October in 2025.
  EXPECT_EQ(london_time(utc(2025, 1, 15, 12, 0, 0)), utc(2025, 1, 15, 12, 0, 0));
  EXPECT_EQ(london_time(utc(2025, 3, 30, 0, 59, 59)), utc(2025, 3, 30, 0, 59, 59));
  EXPECT_EQ(london_time(utc(2025, 3, 30, 1, 0, 0)), utc(2025, 3, 30, 2, 0, 0));
  EXPECT_EQ(london_time(utc(2025, 7, 1, 23, 30, 0)), utc(2025, 7, 2, 0, 30, 0));
  EXPECT_EQ(london_time(utc(2025, 10, 26, 0, 59, 59)), utc(2025, 10, 26, 1, 59, 59));
  EXPECT_EQ(london_time(utc(2025, 10, 26, 1, 0, 0)), utc(2025, 10, 26, 1, 0, 0));
}

TEST(LondonTime, MidnightOfAUkDate) {
  EXPECT_EQ(london_midnight(year(2025) / January / 15), utc(2025, 1, 15, 0, 0, 0));
  EXPECT_EQ(london_midnight(year(2025) / July / 1), utc(2025, 6, 30, 23, 0, 0));
  EXPECT_EQ(london_midnight(year(2025) / March / 30), utc(2025, 3, 30, 0, 0, 0));
  EXPECT_EQ(london_midnight(year(2025) / March / 31), utc(2025, 3, 30, 23, 0, 0));
  EXPECT_EQ(london_midnight(year(2025) / October / 26), utc(2025, 10, 25, 23, 0, 0));
  EXPECT_EQ(london_midnight(year(2025) / October / 27), utc(2025, 10, 27, 0, 0, 0));
}

// The routes on a real SQLite database and the real templates, called through the router with
// the principal the sign-in middleware would have set.
class AuditRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    folder_ = fs::temp_directory_path() / ("agora_audit_routes_test_" + std::to_string(seed()));
    auto db = store::Database::open({.data_dir = folder_});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(apply_migrations(*db_));
    auto templates =
        http::Templates::load(fs::path(AGORA_SOURCE_DIR) / "templates", http::Assets());
    ASSERT_TRUE(templates) << templates.error().message;
    templates_ = std::make_unique<http::Templates>(std::move(*templates));
    log_ = std::make_unique<auth::AuditLog>(*db_, clock_);
    add_audit_routes(router_, AuditSite{*templates_, *db_, clock_, policy_, *log_});

    auto ids = db_->transaction(
        [&](store::Connection& c) -> Result<std::pair<std::int64_t, std::int64_t>> {
          auth::DirectoryStore directory(c, clock_);
          auto afon = directory.create_organisation("Afon Valley Council",
                                                    auth::OrganisationKind::council, {});
          if (!afon) return afon.error();
          auto sian = directory.create_person({.organisation_id = afon->id,
                                               .email = "sian@afonvalley.gov.uk",
                                               .display_name = "Siân Pritchard"});
          if (!sian) return sian.error();
          return std::make_pair(afon->id, sian->id);
        });
    ASSERT_TRUE(ids) << ids.error().message;
    organisation_ = ids->first;
    sian_ = ids->second;
  }

  void TearDown() override {
    log_.reset();
    db_.reset();
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }

  auth::Principal admin() const {
    auto p = auth::Principal::person(sian_, organisation_, "192.0.2.10");
    p.organisation_admin = true;
    p.user_agent = "Firefox";
    return p;
  }

  // Skips a test of what an admin sees until auth::Policy lets admins read their trail.
  bool policy_allows_admins() const {
    return static_cast<bool>(policy_.check(
        admin(), auth::kAuditRead, auth::Resource{"organisation", std::to_string(organisation_)}));
  }

  http::Response get(std::string target, const auth::Principal& principal) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    const auto query = target.find('?');
    request.path = target.substr(0, query);
    if (query != std::string::npos) request.query = target.substr(query + 1);
    request.remote_address = principal.remote_address;
    request.request_id = "req-1";
    request.principal = principal;
    const http::Match match = router_.match("GET", request.path);
    if (match.route == nullptr) {
      ADD_FAILURE() << "no route for " << request.path;
      return {};
    }
    request.params = match.params;
    request.action = match.route->options.action;
    return match.route->handler(request);
  }

  std::vector<auth::AuditRecord> records() {
    auto found = log_->query({.limit = 1000});
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::vector<auth::AuditRecord>{};
  }

  fs::path folder_;
  base::ManualClock clock_{sys_days(year(2025) / July / 1) + 9h};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<http::Templates> templates_;
  std::unique_ptr<auth::AuditLog> log_;
  auth::Policy policy_;
  http::Router router_;
  std::int64_t organisation_ = 0;
  std::int64_t sian_ = 0;
};

TEST_F(AuditRoutesTest, RoutesNameTheAuditAction) {
  for (const char* path : {"/admin/audit", "/admin/audit/export"}) {
    const http::Match match = router_.match("GET", path);
    ASSERT_NE(match.route, nullptr) << path;
    EXPECT_EQ(match.route->options.action, auth::kAuditRead);
  }
}

TEST_F(AuditRoutesTest, AnonymousReadersAreRefused) {
  EXPECT_EQ(get("/admin/audit", auth::Principal::anonymous("203.0.113.1")).status, 403);
  EXPECT_EQ(get("/admin/audit/export?format=csv", auth::Principal::anonymous("203.0.113.1")).status,
            403);
  EXPECT_TRUE(records().empty()) << "anonymous refusals are not recorded";
}

TEST_F(AuditRoutesTest, StaffWhoAreNotAdminsAreRefusedAndTheAttemptRecorded) {
  auto staff = auth::Principal::person(sian_, organisation_, "192.0.2.11");
  staff.user_agent = "Edge";
  const http::Response page = get("/admin/audit", staff);
  EXPECT_EQ(page.status, 403);
  EXPECT_EQ(page.body.find("audit.view"), std::string::npos);
  EXPECT_EQ(get("/admin/audit/export?format=json", staff).status, 403);
  const auto recorded = records();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1].event.action, "audit.view");
  EXPECT_EQ(recorded[0].event.action, "audit.export");
  for (const auto& r : recorded) {
    EXPECT_EQ(r.event.outcome, auth::AuditOutcome::denied);
    EXPECT_EQ(r.event.person_id, sian_);
    EXPECT_EQ(r.event.organisation_id, organisation_);
    EXPECT_EQ(r.event.ip, "192.0.2.11");
    EXPECT_EQ(r.event.user_agent, "Edge");
  }
}

TEST_F(AuditRoutesTest, AdminsSeeTheirOwnOrganisationNewestFirst) {
  if (!policy_allows_admins()) GTEST_SKIP() << "auth::Policy does not yet allow kAuditRead";
  auth::AuditEvent mine = auth::AuditEvent::by(admin(), "document.view", "document", "42");
  mine.document_id = 42;
  mine.detail = "<script>alert(1)</script>";
  ASSERT_TRUE(log_->append(mine));
  auth::AuditEvent theirs = mine;
  theirs.organisation_id = organisation_ + 1;
  theirs.action = "document.edit";
  ASSERT_TRUE(log_->append(theirs));

  const http::Response page = get("/admin/audit", admin());
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("document.view"), std::string::npos);
  EXPECT_EQ(page.body.find("document.edit"), std::string::npos) << "another organisation's";
  EXPECT_NE(page.body.find("Siân Pritchard"), std::string::npos);
  EXPECT_NE(page.body.find("1 July 2025, 10:00:00"), std::string::npos) << "09:00 UTC is 10:00 BST";
  EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos) << "escaped";
  EXPECT_EQ(page.headers.get("Cache-Control"), "no-store");

  const http::Response welsh = get("/admin/audit?lang=cy", admin());
  EXPECT_NE(welsh.body.find("1 Gorffennaf 2025"), std::string::npos);
}

TEST_F(AuditRoutesTest, AdminsFilterAndPage) {
  if (!policy_allows_admins()) GTEST_SKIP() << "auth::Policy does not yet allow kAuditRead";
  for (int i = 0; i < kAuditPageSize + 5; ++i) {
    auth::AuditEvent e = auth::AuditEvent::by(admin(), "document.view", "document", "7");
    e.document_id = i < 3 ? 7 : 8;
    ASSERT_TRUE(log_->append(e));
  }
  const http::Response first = get("/admin/audit", admin());
  EXPECT_NE(first.body.find("id=\"audit-record-55\""), std::string::npos);
  EXPECT_EQ(first.body.find("id=\"audit-record-5\""), std::string::npos);
  EXPECT_NE(first.body.find("href=\"/admin/audit?before=6\""), std::string::npos) << first.body;
  const http::Response older = get("/admin/audit?before=6", admin());
  EXPECT_NE(older.body.find("id=\"audit-record-5\""), std::string::npos);
  EXPECT_EQ(older.body.find("id=\"audit-record-6\""), std::string::npos);

  const http::Response filtered = get("/admin/audit?document=7", admin());
  EXPECT_NE(filtered.body.find("id=\"audit-record-3\""), std::string::npos);
  EXPECT_EQ(filtered.body.find("id=\"audit-record-4\""), std::string::npos);
  EXPECT_NE(filtered.body.find("/admin/audit/export?format=csv&amp;document=7"), std::string::npos);

  const http::Response nobody = get("/admin/audit?person=nobody%40example.org", admin());
  EXPECT_EQ(nobody.status, 200);
  EXPECT_NE(nobody.body.find("No records match these filters"), std::string::npos);

  const http::Response wrong = get("/admin/audit?space=twelve&from=31%2F2%2F2025", admin());
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("href=\"#audit-space\""), std::string::npos);
  EXPECT_NE(wrong.body.find("href=\"#audit-from\""), std::string::npos);
}

TEST_F(AuditRoutesTest, AdminsExportAsAnAttachmentAndTheExportIsRecorded) {
  if (!policy_allows_admins()) GTEST_SKIP() << "auth::Policy does not yet allow kAuditRead";
  ASSERT_TRUE(log_->append(auth::AuditEvent::by(admin(), "document.view", "document", "1")));
  const http::Response csv = get("/admin/audit/export?format=csv", admin());
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers.get("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.headers.get("Content-Disposition"),
            "attachment; filename=\"audit-trail-2025-07-01.csv\"");
  EXPECT_TRUE(csv.body.starts_with("id,time_utc,")) << csv.body;
  const auto recorded = records();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].event.action, "audit.export");
  EXPECT_EQ(recorded[0].event.detail, "format=csv");
  EXPECT_EQ(get("/admin/audit/export?format=xml", admin()).status, 400);
}

}  // namespace
}  // namespace agora::app
