#include "app/audit_commands.hpp"

#include "app/cli.hpp"
#include "auth/audit_log.hpp"
#include "auth/directory_store.hpp"
#include "base/clock.hpp"
#include "store/database.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>

namespace agora::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// `agora audit ...` in-process against a SQLite data folder, with the records put there and
// tampered with directly, as someone with access to the database file could.
class AuditCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    folder_ = fs::temp_directory_path() / ("agora_audit_cli_test_" + std::to_string(seed()));
    ASSERT_EQ(run({"migrate"}).code, kExitOk);
    auto db = store::Database::open({.data_dir = folder_});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto organisations = db_->transaction([&](store::Connection& c) -> Result<std::int64_t> {
      auth::DirectoryStore directory(c, clock_);
      auto afon =
          directory.create_organisation("Afon Valley Council", auth::OrganisationKind::council, {});
      if (!afon) return afon.error();
      auto other =
          directory.create_organisation("Bryn Housing", auth::OrganisationKind::housing, {});
      if (!other) return other.error();
      other_organisation_ = other->id;
      return afon->id;
    });
    ASSERT_TRUE(organisations) << organisations.error().message;
    organisation_ = *organisations;
    log_ = std::make_unique<auth::AuditLog>(*db_, clock_);
  }

  void TearDown() override {
    log_.reset();
    db_.reset();
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }

  Outcome run(std::vector<std::string> args) {
    args.insert(args.begin(), "agora");
    args.push_back("--data");
    args.push_back(folder_.string());
    std::ostringstream out, err;
    Outcome outcome;
    outcome.code = run_cli(args, {}, out, err);
    outcome.out = out.str();
    outcome.err = err.str();
    return outcome;
  }

  void append(int count, std::int64_t organisation) {
    for (int i = 0; i < count; ++i) {
      auth::AuditEvent event;
      event.organisation_id = organisation;
      event.person_id = 100 + i;
      event.action = "document.view";
      event.resource_kind = "document";
      event.resource_id = std::to_string(i);
      event.ip = "192.0.2.7";
      ASSERT_TRUE(log_->append(event));
      clock_.advance(1s);
    }
  }

  void run_sql(std::string_view sql) {
    auto done = db_->with_connection([&](store::Connection& c) { return c.execute(sql); });
    ASSERT_TRUE(done) << sql << ": " << done.error().message;
  }

  fs::path folder_;
  base::ManualClock clock_{std::chrono::system_clock::now() - 10 * 24h};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<auth::AuditLog> log_;
  std::int64_t organisation_ = 0;
  std::int64_t other_organisation_ = 0;
};

TEST_F(AuditCommandsTest, VerifySaysIntactWithTheCount) {
  append(5, organisation_);
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(r.out.starts_with("audit log intact: 5 records\n")) << r.out;
  EXPECT_NE(r.out.find("records 1 to 5; the newest has SHA-256 "), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(AuditCommandsTest, VerifyOfAnEmptyLogIsIntact) {
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "audit log intact: 0 records\n");
}

TEST_F(AuditCommandsTest, VerifyNamesAChangedRecord) {
  append(5, organisation_);
  run_sql("UPDATE audit_log SET ip = '198.51.100.1' WHERE id = 3");
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err,
            "agora audit verify: audit log broken: record 3 was changed after it was written "
            "(2 records before it are intact)\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(AuditCommandsTest, VerifyNamesADeletedMiddleRecord) {
  append(5, organisation_);
  run_sql("DELETE FROM audit_log WHERE id = 3");
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("record 3 is missing (deleted)"), std::string::npos) << r.err;
}

TEST_F(AuditCommandsTest, VerifyNamesADeletedLastRecord) {
  append(5, organisation_);
  run_sql("DELETE FROM audit_log WHERE id = 5");
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("record 5 is missing (deleted)"), std::string::npos) << r.err;
}

TEST_F(AuditCommandsTest, VerifyNamesAnInsertedRecord) {
  append(5, organisation_);
  run_sql(
      "INSERT INTO audit_log (id, at, person_id, organisation_id, action, resource_kind, "
      "resource_id, space_id, document_id, ip, user_agent, outcome, detail, prev_hash, hash) "
      "SELECT 6, at + 1, person_id, organisation_id, 'auth.sign_in', resource_kind, "
      "resource_id, space_id, document_id, ip, user_agent, outcome, detail, hash, hash "
      "FROM audit_log WHERE id = 5");
  const Outcome r = run({"audit", "verify"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("record 6 was inserted"), std::string::npos) << r.err;
}

TEST_F(AuditCommandsTest, PruneUsesTheRetentionSettingAndKeepsTheChainProvable) {
  append(3, organisation_);  // ten days ago
  clock_.set(std::chrono::system_clock::now());
  append(2, organisation_);  // now
  const Outcome pruned = run({"audit", "prune", "--audit-retention", "5d"});
  EXPECT_EQ(pruned.code, kExitOk) << pruned.err;
  EXPECT_EQ(pruned.out, "3 records older than 5 days pruned\n");

  const Outcome verified = run({"audit", "verify"});
  EXPECT_EQ(verified.code, kExitOk) << verified.err;
  EXPECT_TRUE(verified.out.starts_with("audit log intact: 3 records\n"))
      << "2 kept, 1 for the prune";

  const Outcome again = run({"audit", "prune", "--audit-retention", "5d"});
  EXPECT_EQ(again.out, "0 records older than 5 days pruned\n");
}

TEST_F(AuditCommandsTest, ExportPrintsOneOrganisationsRecords) {
  append(3, organisation_);
  append(2, other_organisation_);
  const Outcome json =
      run({"audit", "export", "--organisation", "Afon Valley Council", "--format", "json"});
  ASSERT_EQ(json.code, kExitOk) << json.err;
  const auto records = boost::json::parse(json.out).at("records").as_array();
  ASSERT_EQ(records.size(), 3u);
  for (const auto& record : records) {
    EXPECT_EQ(record.at("organisation_id").as_int64(), organisation_);
  }
  EXPECT_EQ(records[0].at("id").as_int64(), 3) << "newest first";

  const Outcome csv = run({"audit", "export", "--organisation", "Afon Valley Council"});
  ASSERT_EQ(csv.code, kExitOk) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("id,time_utc,person_id,")) << csv.out;
  // Header, the three records and the record of the first export.
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5);

  // Each export left a record, and the log still proves itself.
  const Outcome verified = run({"audit", "verify"});
  EXPECT_TRUE(verified.out.starts_with("audit log intact: 7 records\n")) << verified.out;
}

TEST_F(AuditCommandsTest, ExportNamesAnUnknownOrganisation) {
  const Outcome r = run({"audit", "export", "--organisation", "Nowhere"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err,
            "agora audit export: there is no organisation called \"Nowhere\"; names must "
            "match exactly\n");
  const Outcome bad_format =
      run({"audit", "export", "--organisation", "Afon Valley Council", "--format", "xml"});
  EXPECT_EQ(bad_format.code, kExitUsage);
}

TEST_F(AuditCommandsTest, AuditWithoutASubcommandSaysWhatToChoose) {
  std::ostringstream out, err;
  const std::vector<std::string> args{"agora", "audit"};
  EXPECT_EQ(run_cli(args, {}, out, err), kExitUsage);
  EXPECT_EQ(err.str(),
            "agora audit: choose a command: verify, prune, export; see agora audit "
            "--help\n");
}

}  // namespace
}  // namespace agora::app
