#include "auth/audit_log.hpp"

#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace agora::auth {
namespace {

using namespace std::chrono_literals;

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class AuditLogTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    log_ = std::make_unique<AuditLog>(db(), clock_);
  }

  AuditEvent event(std::string action, std::int64_t organisation = 1) {
    AuditEvent e;
    e.person_id = 7;
    e.organisation_id = organisation;
    e.action = std::move(action);
    e.resource_kind = "document";
    e.resource_id = "42";
    e.space_id = 3;
    e.document_id = 42;
    e.ip = "192.0.2.1";
    e.user_agent = "Mozilla/5.0 (test)";
    e.detail = "a note";
    return e;
  }

  // Appends `count` records, a second apart.
  void append_many(int count) {
    for (int i = 0; i < count; ++i) {
      auto id = log_->append(event("document.view"));
      ASSERT_TRUE(id) << id.error().message;
      clock_.advance(1s);
    }
  }

  AuditVerification verified() {
    auto report = log_->verify();
    if (!report) {
      ADD_FAILURE() << report.error().message;
      return {};
    }
    return *report;
  }

  void run_sql(std::string_view sql, const store::Params& params = {}) {
    auto done = db().with_connection([&](store::Connection& c) { return c.execute(sql, params); });
    ASSERT_TRUE(done) << sql << ": " << done.error().message;
  }

  store::Value column(std::string_view name, std::int64_t id) {
    auto rows = db().with_connection([&](store::Connection& c) {
      return c.query("SELECT " + std::string(name) + " FROM audit_log WHERE id = ?", {id});
    });
    if (!rows || rows->empty()) {
      ADD_FAILURE() << "no record " << id;
      return nullptr;
    }
    return rows->front().value(0);
  }

  AuditRecord record(std::int64_t id) {
    auto records = log_->query({.before_id = id + 1, .limit = 1});
    if (!records || records->empty() || records->front().id != id) {
      ADD_FAILURE() << "no record " << id;
      return {};
    }
    return records->front();
  }

  // Inserts `forged` as a row, bypassing AuditLog, as someone with database access could.
  void insert_row(const AuditRecord& forged) {
    const AuditEvent& e = forged.event;
    const auto optional = [](const std::optional<std::int64_t>& v) -> store::Value {
      if (v) return *v;
      return nullptr;
    };
    run_sql(sql("INSERT INTO audit_log (id, at, person_id, organisation_id, action, "
                "resource_kind, resource_id, space_id, document_id, ip, user_agent, outcome, "
                "detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "INSERT INTO audit_log (id, at, person_id, organisation_id, action, "
                "resource_kind, resource_id, space_id, document_id, ip, user_agent, outcome, "
                "detail, prev_hash, hash) OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?, ?)"),
            {forged.id, base::to_unix_millis(forged.at), optional(e.person_id),
             optional(e.organisation_id), e.action, e.resource_kind, e.resource_id,
             optional(e.space_id), optional(e.document_id), e.ip, e.user_agent, forged.outcome_text,
             e.detail, store::Bytes{forged.prev_hash}, store::Bytes{forged.hash}});
  }

  base::ManualClock clock_{base::from_unix_millis(1'700'000'000'000)};
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, EmptyLogIsIntact) {
  const AuditVerification report = verified();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 0);
  EXPECT_EQ(report.last_id, 0);
}

TEST_F(AuditLogTest, AppendsChainEachRecordToTheOneBefore) {
  append_many(3);
  auto records = log_->query({});
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  // Newest first, ids dense from 1.
  EXPECT_EQ((*records)[0].id, 3);
  EXPECT_EQ((*records)[2].id, 1);
  EXPECT_EQ((*records)[2].prev_hash, std::string(32, '\0')) << "the first chains to zeros";
  EXPECT_EQ((*records)[1].prev_hash, (*records)[2].hash);
  EXPECT_EQ((*records)[0].prev_hash, (*records)[1].hash);
  for (const AuditRecord& r : *records) {
    EXPECT_EQ(r.hash.size(), 32u);
    EXPECT_EQ(audit_record_hash(r), r.hash) << r.id;
    EXPECT_EQ(r.event.action, "document.view");
    EXPECT_EQ(r.event.outcome, AuditOutcome::success);
    EXPECT_EQ(r.event.space_id, 3);
  }
  EXPECT_EQ(base::to_unix_millis((*records)[2].at), 1'700'000'000'000);

  const AuditVerification report = verified();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, 3);
  EXPECT_EQ(report.last_id, 3);
  EXPECT_EQ(report.last_hash_hex.size(), 64u);
}

TEST_F(AuditLogTest, EveryFieldAndTheirBoundariesChangeTheHash) {
  AuditRecord base_record;
  base_record.id = 5;
  base_record.at = base::from_unix_millis(1000);
  base_record.event = event("document.view");
  base_record.outcome_text = "success";
  base_record.prev_hash = std::string(32, 'p');
  const std::string original = audit_record_hash(base_record);

  std::vector<std::function<void(AuditRecord&)>> changes = {
      [](AuditRecord& r) { r.id = 6; },
      [](AuditRecord& r) { r.at += 1ms; },
      [](AuditRecord& r) { r.event.person_id = 8; },
      [](AuditRecord& r) { r.event.person_id.reset(); },
      [](AuditRecord& r) { r.event.organisation_id = 2; },
      [](AuditRecord& r) { r.event.action = "document.edit"; },
      [](AuditRecord& r) { r.event.resource_kind = "space"; },
      [](AuditRecord& r) { r.event.resource_id = "43"; },
      [](AuditRecord& r) { r.event.space_id = 0; },
      [](AuditRecord& r) { r.event.document_id.reset(); },
      [](AuditRecord& r) { r.event.ip = "192.0.2.2"; },
      [](AuditRecord& r) { r.event.user_agent = "curl"; },
      [](AuditRecord& r) { r.outcome_text = "denied"; },
      [](AuditRecord& r) { r.event.detail = "another note"; },
      [](AuditRecord& r) { r.prev_hash[0] = 'q'; },
      // Moving text across a field boundary must not encode alike.
      [](AuditRecord& r) {
        r.event.resource_kind = "documen";
        r.event.resource_id = "t42";
      },
  };
  std::set<std::string> seen{original};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    AuditRecord changed = base_record;
    changes[i](changed);
    EXPECT_TRUE(seen.insert(audit_record_hash(changed)).second) << "change " << i;
  }
}

TEST_F(AuditLogTest, AnUpdateOfAnyColumnIsFound) {
  append_many(3);
  for (const char* name :
       {"at", "person_id", "organisation_id", "action", "resource_kind", "resource_id", "space_id",
        "document_id", "ip", "user_agent", "outcome", "detail", "prev_hash", "hash"}) {
    SCOPED_TRACE(name);
    const store::Value original = column(name, 2);
    store::Value tampered = original;
    if (auto* n = std::get_if<std::int64_t>(&tampered)) {
      *n += 1;
    } else if (auto* text = std::get_if<std::string>(&tampered)) {
      *text += "x";
    } else if (auto* bytes = std::get_if<store::Bytes>(&tampered)) {
      bytes->data[0] = static_cast<char>(bytes->data[0] ^ 1);
    } else {
      tampered = std::int64_t{99};
    }
    run_sql("UPDATE audit_log SET " + std::string(name) + " = ? WHERE id = 2", {tampered});
    AuditVerification report = verified();
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.problem_id, 2);
    EXPECT_EQ(report.problem, "record 2 was changed after it was written");

    run_sql("UPDATE audit_log SET " + std::string(name) + " = ? WHERE id = 2", {original});
    report = verified();
    EXPECT_TRUE(report.ok) << "restored: " << report.problem;
  }
}

TEST_F(AuditLogTest, NullingAnOptionalColumnIsFound) {
  append_many(2);
  run_sql("UPDATE audit_log SET person_id = NULL WHERE id = 1");
  const AuditVerification report = verified();
  EXPECT_EQ(report.problem, "record 1 was changed after it was written");
}

TEST_F(AuditLogTest, DeletingTheFirstRecordIsFound) {
  append_many(4);
  run_sql("DELETE FROM audit_log WHERE id = 1");
  const AuditVerification report = verified();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem_id, 1);
  EXPECT_EQ(report.problem, "record 1 is missing (deleted)");
}

TEST_F(AuditLogTest, DeletingMiddleRecordsIsFound) {
  append_many(5);
  run_sql("DELETE FROM audit_log WHERE id = 3");
  EXPECT_EQ(verified().problem, "record 3 is missing (deleted)");
  run_sql("DELETE FROM audit_log WHERE id = 2");
  const AuditVerification report = verified();
  EXPECT_EQ(report.problem_id, 2);
  EXPECT_EQ(report.problem, "records 2 to 3 are missing (deleted)");
}

TEST_F(AuditLogTest, DeletingTheLastRecordIsFound) {
  append_many(4);
  run_sql("DELETE FROM audit_log WHERE id = 4");
  const AuditVerification report = verified();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem_id, 4);
  EXPECT_EQ(report.problem, "record 4 is missing (deleted)");
}

TEST_F(AuditLogTest, DeletingEveryRecordIsFound) {
  append_many(3);
  run_sql("DELETE FROM audit_log");
  EXPECT_EQ(verified().problem, "records 1 to 3 are missing (deleted)");
}

TEST_F(AuditLogTest, DeletingTheAnchorIsFoundAndStopsAppends) {
  append_many(1);
  run_sql("DELETE FROM audit_anchor");
  EXPECT_EQ(verified().problem, "the audit anchor row is missing: someone deleted it");
  auto appended = log_->append(event("document.view"));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, ErrorKind::corrupt);
}

TEST_F(AuditLogTest, AForgedRecordAfterTheLastIsFoundEvenWithAValidHash) {
  append_many(3);
  AuditRecord forged = record(3);
  forged.id = 4;
  forged.event.action = "auth.sign_in";
  forged.prev_hash = record(3).hash;
  forged.hash = audit_record_hash(forged);
  insert_row(forged);
  const AuditVerification report = verified();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem_id, 4);
  EXPECT_EQ(report.problem, "record 4 was inserted: the newest record the log wrote is 3");
}

TEST_F(AuditLogTest, AReplacedRecordIsFound) {
  append_many(4);
  // Someone deletes record 2 and writes their own, hashing it correctly onto record 1.
  AuditRecord forged = record(2);
  forged.event.detail = "nothing to see";
  forged.hash = audit_record_hash(forged);
  run_sql("DELETE FROM audit_log WHERE id = 2");
  insert_row(forged);
  const AuditVerification report = verified();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem_id, 3);
  EXPECT_EQ(report.problem, "record 3 does not follow record 2: one of them was replaced");
}

TEST_F(AuditLogTest, ARecordInsertedBeforeTheStartIsFound) {
  append_many(3);
  AuditRecord forged = record(1);
  forged.id = 0;
  forged.hash = audit_record_hash(forged);
  insert_row(forged);
  EXPECT_EQ(verified().problem, "record 0 was inserted: the log starts at record 1");
}

TEST_F(AuditLogTest, ConcurrentAppendsNeverFork) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!log_->append(event("document.view", t + 1))) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const AuditVerification report = verified();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records_checked, kThreads * kEach);
  EXPECT_EQ(report.last_id, kThreads * kEach);
}

TEST_F(AuditLogTest, QueryFiltersNewestFirstAndPages) {
  const auto start = clock_.now();
  for (int i = 0; i < 6; ++i) {
    AuditEvent e = event(i % 2 == 0 ? "document.view" : "space.view", i < 4 ? 1 : 2);
    e.person_id = 10 + i % 3;
    e.space_id = i % 2 == 0 ? std::optional<std::int64_t>(3) : std::nullopt;
    e.document_id = 40 + i;
    ASSERT_TRUE(log_->append(e));
    clock_.advance(1h);
  }
  const auto ids = [&](const AuditFilter& filter) {
    std::vector<std::int64_t> out;
    auto records = log_->query(filter);
    EXPECT_TRUE(records) << records.error().message;
    if (records) {
      for (const auto& r : *records) out.push_back(r.id);
    }
    return out;
  };
  using Ids = std::vector<std::int64_t>;
  EXPECT_EQ(ids({.organisation_id = 1}), (Ids{4, 3, 2, 1}));
  EXPECT_EQ(ids({.organisation_id = 2}), (Ids{6, 5}));
  EXPECT_EQ(ids({.person_id = 10}), (Ids{4, 1}));
  EXPECT_EQ(ids({.organisation_id = 1, .space_id = 3}), (Ids{3, 1}));
  EXPECT_EQ(ids({.document_id = 44}), (Ids{5}));
  EXPECT_EQ(ids({.from = start + 2h, .to = start + 4h}), (Ids{4, 3}));
  EXPECT_EQ(ids({.organisation_id = 1, .limit = 2}), (Ids{4, 3}));
  EXPECT_EQ(ids({.organisation_id = 1, .before_id = 3, .limit = 2}), (Ids{2, 1}));
  EXPECT_EQ(ids({.organisation_id = 3}), Ids{});
}

TEST_F(AuditLogTest, QueryJoinsThePersonsEmail) {
  auto person = db().transaction([&](store::Connection& c) -> Result<Person> {
    DirectoryStore directory(c, clock_);
    auto organisation =
        directory.create_organisation("Afon Valley Council", OrganisationKind::council, {});
    if (!organisation) return organisation.error();
    return directory.create_person({.organisation_id = organisation->id,
                                    .email = "sian@afonvalley.gov.uk",
                                    .display_name = "Siân Pritchard"});
  });
  ASSERT_TRUE(person) << person.error().message;
  Principal principal = Principal::person(person->id, person->organisation_id, "198.51.100.4");
  principal.user_agent = "Firefox";
  ASSERT_TRUE(log_->append(AuditEvent::by(principal, "auth.sign_in", "session", "9",
                                          AuditOutcome::success, "password")));
  ASSERT_TRUE(
      log_->append(AuditEvent::by(Principal::anonymous("203.0.113.9"), "auth.sign_in", "account",
                                  "nobody@example.org", AuditOutcome::denied, "no such account")));
  auto records = log_->query({});
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  const AuditRecord& anonymous = (*records)[0];
  EXPECT_FALSE(anonymous.event.person_id);
  EXPECT_FALSE(anonymous.event.organisation_id);
  EXPECT_EQ(anonymous.event.outcome, AuditOutcome::denied);
  EXPECT_EQ(anonymous.event.ip, "203.0.113.9");
  const AuditRecord& signed_in = (*records)[1];
  EXPECT_EQ(signed_in.event.person_id, person->id);
  EXPECT_EQ(signed_in.event.organisation_id, person->organisation_id);
  EXPECT_EQ(signed_in.person_email, "sian@afonvalley.gov.uk");
  EXPECT_EQ(signed_in.person_name, "Siân Pritchard");
  EXPECT_EQ(signed_in.event.user_agent, "Firefox");
  EXPECT_EQ(signed_in.event.detail, "password");
}

TEST_F(AuditLogTest, MalformedAndOverlongTextIsStoredCleanAndVerifies) {
  AuditEvent e = event("document.view");
  e.user_agent = std::string("bad\xff\xfe utf-8 and a NUL: ") + std::string(1, '\0') + "!" +
                 std::string(1000, 'a');
  e.detail = "caf\xc3\xa9";
  ASSERT_TRUE(log_->append(e));
  const AuditRecord stored = record(1);
  EXPECT_TRUE(
      stored.event.user_agent.starts_with("bad\xEF\xBF\xBD\xEF\xBF\xBD utf-8 and a NUL: "
                                          "\xEF\xBF\xBD!aaa"))
      << stored.event.user_agent;
  EXPECT_EQ(stored.event.user_agent.size(), 512u);
  EXPECT_EQ(stored.event.detail, "caf\xc3\xa9");
  EXPECT_TRUE(verified().ok);
}

TEST_F(AuditLogTest, AnEventWithoutAnActionIsRefused) {
  auto appended = log_->append(AuditEvent{});
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(verified().records_checked, 0);
}

TEST_F(AuditLogTest, PruneDeletesOldRecordsAndTheRestStillVerifies) {
  const auto start = clock_.now();
  append_many(3);  // ids 1-3 at start + 0..2 s
  clock_.advance(10 * 24h);
  append_many(2);  // ids 4-5
  auto pruned = log_->prune(start + 5 * 24h);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 3);

  AuditVerification report = verified();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.first_id, 4);
  EXPECT_EQ(report.records_checked, 3) << "4, 5 and the record of the prune";
  auto newest = log_->query({.limit = 1});
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->front().event.action, "audit.prune");
  EXPECT_NE(newest->front().event.detail.find("deleted 3 records"), std::string::npos);

  // Nothing more is old enough: no deletion, no new record.
  pruned = log_->prune(start + 5 * 24h);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 0);
  EXPECT_EQ(verified().records_checked, 3);

  // The chain goes on from the new start, and deleting its first record still shows.
  append_many(1);
  EXPECT_TRUE(verified().ok);
  run_sql("DELETE FROM audit_log WHERE id = 4");
  EXPECT_EQ(verified().problem, "record 4 is missing (deleted)");
}

TEST_F(AuditLogTest, PruningEverythingLeavesAnIntactEmptyLog) {
  append_many(3);
  clock_.advance(24h);
  auto pruned = log_->prune(clock_.now());
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 3);
  AuditVerification report = verified();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.first_id, 4);
  EXPECT_EQ(report.records_checked, 1) << "only the record of the prune";
  // Deleting that one too is still found: the anchor remembers it.
  run_sql("DELETE FROM audit_log");
  EXPECT_EQ(verified().problem, "record 4 is missing (deleted)");
}

TEST_F(AuditLogTest, RetentionPrunesByItsSetting) {
  append_many(2);
  clock_.advance(48h);
  append_many(1);
  AuditRetention retention(*log_, clock_, std::chrono::hours(24), std::chrono::hours(24));
  auto pruned = retention.prune_now();
  ASSERT_TRUE(pruned) << pruned.error().message;
  // The thread's own first prune may have run already; between them exactly two went.
  auto remaining = log_->query({.limit = 100});
  ASSERT_TRUE(remaining);
  for (const auto& r : *remaining) EXPECT_GE(r.id, 3);
  EXPECT_TRUE(verified().ok);
}

TEST_F(AuditLogTest, ExportsCsvSafelyAndJson) {
  AuditEvent e = event("document.view");
  e.detail = "=HYPERLINK(\"http://evil.example\",\"click\")";
  e.user_agent = "Agent, with \"quotes\"\nand a line";
  ASSERT_TRUE(log_->append(e));
  e.detail = "-2+3";
  e.user_agent = "@SUM(A1)";
  ASSERT_TRUE(log_->append(e));

  auto csv = log_->export_records({.organisation_id = 1}, AuditFormat::csv);
  ASSERT_TRUE(csv) << csv.error().message;
  const std::string expected_first_line =
      "id,time_utc,person_id,person_email,organisation_id,action,resource_kind,resource_id,"
      "space_id,document_id,ip,user_agent,outcome,detail,hash\r\n";
  EXPECT_TRUE(csv->starts_with(expected_first_line)) << *csv;
  EXPECT_NE(csv->find("\r\n2,2023-11-14T22:13:20.000Z,7,,1,document.view,document,42,3,42,"
                      "192.0.2.1,'@SUM(A1),success,'-2+3,"),
            std::string::npos)
      << *csv;
  EXPECT_NE(csv->find(",\"Agent, with \"\"quotes\"\"\nand a line\",success,"
                      "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\","),
            std::string::npos)
      << *csv;

  auto json = log_->export_records({.organisation_id = 1}, AuditFormat::json);
  ASSERT_TRUE(json) << json.error().message;
  const boost::json::value parsed = boost::json::parse(*json);
  const auto& records = parsed.at("records").as_array();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].at("id").as_int64(), 2);
  EXPECT_EQ(records[0].at("detail").as_string(), "-2+3") << "JSON needs no formula guard";
  EXPECT_EQ(records[1].at("user_agent").as_string(), "Agent, with \"quotes\"\nand a line");
  EXPECT_EQ(records[1].at("time").as_string(), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(records[1].at("time_ms").as_int64(), 1'700'000'000'000);
  EXPECT_EQ(records[0].at("prev_hash").as_string(), records[1].at("hash").as_string());
  EXPECT_TRUE(records[0].at("person_email").is_string());

  auto none = log_->export_records({.organisation_id = 2}, AuditFormat::json);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, R"({"records":[]})");
}

}  // namespace
}  // namespace agora::auth
