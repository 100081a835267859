#include "store/database.hpp"

#include "base/thread_role.hpp"
#include "store/backend_test_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <limits>
#include <thread>

namespace agora::store {
namespace {

using testing::BackendTest;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const Value kEveryKind[] = {
    nullptr,
    std::int64_t{0},
    std::int64_t{-1},
    std::int64_t{(std::int64_t{1} << 53) + 1},  // not representable as a double
    std::numeric_limits<std::int64_t>::min(),
    std::numeric_limits<std::int64_t>::max(),
    0.1,
    -1.5e300,
    std::string(),
    std::string("Cymraeg: ŵ ŷ — 日本語 🎉"),
    std::string("quote ' and backslash \\ and ? mark"),
    Bytes{},
    Bytes{std::string("\0\x01\xff\0end\0", 8)},
};

Result<std::int64_t> count_rows(Database& db, std::string_view table) {
  return db.with_connection([&](Connection& c) -> Result<std::int64_t> {
    auto rows = c.query(fmt::format("SELECT COUNT(*) FROM {}", table));
    if (!rows) return rows.error();
    return (*rows)[0].integer(0);
  });
}

class DatabaseTest : public BackendTest {
 protected:
  void create_table(std::string_view sqlite_ddl, std::string_view postgres_ddl) {
    auto made = db().with_connection(
        [&](Connection& c) { return c.execute_script(sql(sqlite_ddl, postgres_ddl)); });
    ASSERT_TRUE(made) << made.error().message;
  }
  void create_notes() {
    create_table("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)",
                 "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL UNIQUE)");
  }
};

TEST_F(DatabaseTest, PingAnswers) {
  EXPECT_TRUE(db().ping());
}

TEST_F(DatabaseTest, EveryValueKindRoundTripsThroughAParameter) {
  for (const Value& v : kEveryKind) {
    auto rows = db().with_connection([&](Connection& c) { return c.query("SELECT ?", {v}); });
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].value(0), v) << "value kind " << v.index();
  }
}

TEST_F(DatabaseTest, EveryValueKindRoundTripsThroughATable) {
  create_table("CREATE TABLE v (n INTEGER, i INTEGER, r REAL, s TEXT, b BLOB)",
               "CREATE TABLE v (n TEXT, i BIGINT, r DOUBLE PRECISION, s TEXT, b BYTEA)");
  const Params row = {nullptr, std::numeric_limits<std::int64_t>::min(), 0.1,
                      std::string("naïve ☕"), Bytes{std::string("\0\0\xfe", 3)}};
  const Params big = {nullptr, (std::int64_t{1} << 53) + 1, -0.0, std::string(), Bytes{}};
  auto rows = db().transaction([&](Connection& c) -> Result<std::vector<Row>> {
    for (const Params& p : {row, big})
      AGORA_TRY(c.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", p));
    return c.query("SELECT n, i, r, s, b FROM v ORDER BY i");
  });
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    const Params& expected = r == 0 ? row : big;
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ((*rows)[r].value(i), expected[i]);
  }
  const Row& first = (*rows)[0];
  EXPECT_TRUE(first.is_null(0));
  EXPECT_EQ(first.integer(1), std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(first.real(2), 0.1);
  EXPECT_EQ(first.text(3), "naïve ☕");
  EXPECT_EQ(first.text(4), std::string("\0\0\xfe", 3));
  EXPECT_THROW((void)first.integer(3), ErrorException);
}

TEST_F(DatabaseTest, AggregatesReadBackAsNumbers) {
  create_table("CREATE TABLE n (x INTEGER)", "CREATE TABLE n (x BIGINT)");
  auto rows = db().with_connection([&](Connection& c) -> Result<std::vector<Row>> {
    AGORA_TRY(c.execute("INSERT INTO n VALUES (?), (?)", {std::int64_t{40}, std::int64_t{2}}));
    // PostgreSQL returns sum(bigint) as numeric and avg as numeric with a fraction.
    return c.query("SELECT SUM(x), AVG(x), COUNT(*), 1 = 1 FROM n");
  });
  ASSERT_TRUE(rows) << rows.error().message;
  const Row& r = (*rows)[0];
  EXPECT_EQ(r.integer(0), 42);
  EXPECT_DOUBLE_EQ(r.real(1), 21.0);
  EXPECT_EQ(r.integer(2), 2);
  EXPECT_EQ(r.integer(3), 1);
}

TEST_F(DatabaseTest, QuestionMarksInLiteralsAndCommentsAreNotPlaceholders) {
  auto rows = db().with_connection([](Connection& c) {
    return c.query("SELECT '?' AS \"q?\", ? AS p, 'it''s ?' AS s /* ? */ -- ?\n, ? AS t",
                   {std::string("one"), std::int64_t{2}});
  });
  ASSERT_TRUE(rows) << rows.error().message;
  const Row& r = (*rows)[0];
  EXPECT_EQ(r.text(0), "?");
  EXPECT_EQ(r.text(1), "one");
  EXPECT_EQ(r.text(2), "it's ?");
  EXPECT_EQ(r.integer(3), 2);
}

TEST_F(DatabaseTest, ExecuteCountsChangedRows) {
  create_notes();
  auto changed = db().with_connection([](Connection& c) -> Result<std::int64_t> {
    for (const char* body : {"a", "b", "c"}) {
      AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string(body)}));
    }
    return c.execute("UPDATE notes SET body = body || '!' WHERE body <> ?", {std::string("b")});
  });
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(*changed, 2);
}

TEST_F(DatabaseTest, InsertReturningGivesTheNewRow) {
  create_notes();
  auto rows = db().with_connection([](Connection& c) {
    return c.query("INSERT INTO notes (body) VALUES (?) RETURNING id, body", {std::string("x")});
  });
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].integer(0), 1);
  EXPECT_EQ((*rows)[0].text(1), "x");
}

TEST_F(DatabaseTest, TransactionCommitsOnValue) {
  create_notes();
  auto done = db().transaction([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("a")}));
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("b")}));
    return {};
  });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(count_rows(db(), "notes").value(), 2);
}

TEST_F(DatabaseTest, TransactionRollsBackOnError) {
  create_notes();
  auto done = db().transaction([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("a")}));
    return fail(ErrorKind::invalid_input, "changed my mind");
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(done.error().message, "changed my mind");
  EXPECT_EQ(count_rows(db(), "notes").value(), 0);
}

TEST_F(DatabaseTest, TransactionRollsBackOnException) {
  create_notes();
  EXPECT_THROW((void)db().transaction([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("a")}));
    throw std::runtime_error("bug");
  }),
               std::runtime_error);
  EXPECT_EQ(count_rows(db(), "notes").value(), 0);
  // The connection went back to the pool usable: a new transaction can begin.
  EXPECT_TRUE(db().transaction([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("b")}));
    return {};
  }));
  EXPECT_EQ(count_rows(db(), "notes").value(), 1);
}

TEST_F(DatabaseTest, UniqueViolationIsAConflictAndRollsBackTheTransaction) {
  create_notes();
  auto done = db().transaction([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("first")}));
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("same")}));
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("same")}));
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::conflict);
  EXPECT_THAT(done.error().message, HasSubstr(on_postgres() ? "SQLSTATE 23505" : "UNIQUE"));
  EXPECT_EQ(count_rows(db(), "notes").value(), 0);
}

TEST_F(DatabaseTest, ForeignKeyViolationIsAConflict) {
  create_notes();
  create_table("CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes (id))",
               "CREATE TABLE tags (note_id BIGINT NOT NULL REFERENCES notes (id))");
  auto done = db().with_connection([](Connection& c) {
    return c.execute("INSERT INTO tags (note_id) VALUES (?)", {std::int64_t{99}});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::conflict);
}

TEST_F(DatabaseTest, BadSqlIsAnInternalErrorWithTheServersMessage) {
  auto done = db().with_connection([](Connection& c) { return c.query("SELEKT 1"); });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::internal);
  EXPECT_THAT(done.error().message, HasSubstr("syntax error"));
  if (on_postgres()) {
    EXPECT_THAT(done.error().message, HasSubstr("SQLSTATE 42601"));
  }
}

TEST_F(DatabaseTest, PlaceholderCountMustMatchParameters) {
  auto done =
      db().with_connection([](Connection& c) { return c.query("SELECT ?, ?", {std::int64_t{1}}); });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::internal);
  EXPECT_THAT(done.error().message, HasSubstr("2 placeholders but 1 parameters"));
}

TEST_F(DatabaseTest, ExhaustedPoolFailsAsUnavailable) {
  auto small = open_another([](Options& o) {
    o.pool_size = 1;
    o.acquire_timeout = std::chrono::milliseconds(50);
  });
  ASSERT_TRUE(small);
  auto outer = small->with_connection([&](Connection&) -> Result<> {
    auto inner = small->ping();
    EXPECT_FALSE(inner);
    if (inner) return {};
    EXPECT_EQ(inner.error().kind, ErrorKind::unavailable);
    EXPECT_THAT(inner.error().message, HasSubstr("all 1 connections"));
    EXPECT_THAT(inner.error().message, HasSubstr("50 ms"));
    return {};
  });
  EXPECT_TRUE(outer);
  EXPECT_TRUE(small->ping());  // the connection came back
}

TEST_F(DatabaseTest, ConcurrentWritersAllLand) {
  create_table("CREATE TABLE w (writer INTEGER, n INTEGER, PRIMARY KEY (writer, n))",
               "CREATE TABLE w (writer INTEGER, n INTEGER, PRIMARY KEY (writer, n))");
  constexpr int kWriters = 4, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int writer = 0; writer < kWriters; ++writer) {
    threads.emplace_back([&, writer] {
      for (int n = 0; n < kEach; ++n) {
        auto done = db().transaction([&](Connection& c) -> Result<> {
          auto rows = c.query("SELECT COUNT(*) FROM w WHERE writer = ?", {std::int64_t{writer}});
          if (!rows) return rows.error();
          AGORA_TRY(c.execute("INSERT INTO w VALUES (?, ?)",
                              {std::int64_t{writer}, (*rows)[0].integer(0)}));
          return {};
        });
        if (!done) {
          ++failures;
          ADD_FAILURE() << done.error().message;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(count_rows(db(), "w").value(), kWriters * kEach);
}

TEST_F(DatabaseTest, RefusesToRunOnAnIoThread) {
  {
    base::IoThreadScope io;
    auto answer = db().ping();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ErrorKind::internal);
    EXPECT_THAT(answer.error().message, HasSubstr("I/O thread"));
  }
  EXPECT_TRUE(db().ping());
}

TEST_F(DatabaseTest, ConnectionsComeBackUsable) {
  create_notes();
  auto one = open_another([](Options& o) { o.pool_size = 1; });
  ASSERT_TRUE(one);

  // A transaction the borrower left open is rolled back, not inherited.
  ASSERT_TRUE(one->with_connection([](Connection& c) -> Result<> {
    AGORA_TRY(c.execute_script(c.dialect() == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN"));
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("dangling")}));
    return {};
  }));
  EXPECT_EQ(count_rows(*one, "notes").value(), 0);
  EXPECT_TRUE(one->transaction([](Connection&) -> Result<> { return {}; }));

  if (!on_postgres()) return;
  auto backend_pid = [&] {
    return one->with_connection([](Connection& c) -> Result<std::int64_t> {
      auto rows = c.query("SELECT pg_backend_pid()");
      if (!rows) return rows.error();
      return (*rows)[0].integer(0);
    });
  };
  auto terminate = [&](std::int64_t pid) {
    auto done = db().with_connection([&](Connection& c) -> Result<> {
      AGORA_TRY(c.query("SELECT pg_terminate_backend(CAST(? AS INTEGER), 5000)", {pid}));
      return {};
    });
    ASSERT_TRUE(done) << done.error().message;
    // The server is local: wait until the process, and so its socket, is gone.
    for (int i = 0; i < 500 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };

  // An idle connection the server closed is reset before use: the caller notices nothing.
  auto first = backend_pid();
  ASSERT_TRUE(first) << first.error().message;
  terminate(*first);
  auto second = backend_pid();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(*first, *second);

  // One lost inside a transaction fails that call cleanly, and the next call gets a new one.
  auto lost = one->transaction([&](Connection& c) -> Result<> {
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("lost")}));
    terminate(*second);
    AGORA_TRY(c.execute("INSERT INTO notes (body) VALUES (?)", {std::string("also lost")}));
    return {};
  });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(count_rows(*one, "notes").value(), 0);
}

TEST_F(DatabaseTest, DescriptionNamesTheDatabaseWithoutAPassword) {
  const std::string description = db().describe();
  if (!on_postgres()) {
    EXPECT_EQ(description, "sqlite " + (options().data_dir / "agora.db").string());
    return;
  }
  EXPECT_THAT(description, HasSubstr("postgres "));
  const auto at = postgres_url_.find('@');
  const auto colon = postgres_url_.find(':', postgres_url_.find("://") + 3);
  ASSERT_LT(colon, at) << "the test URL should carry a password";
  EXPECT_THAT(description, Not(HasSubstr(postgres_url_.substr(colon + 1, at - colon - 1))));
}

// Opening: URL forms and their errors. These need no running database server.

TEST(DatabaseOpenTest, UnknownSchemeIsNamedWithTheAcceptedForms) {
  auto db = Database::open({.url = "mysql://root:hunter2@db.example/agora"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::invalid_input);
  EXPECT_THAT(db.error().message, HasSubstr("'mysql'"));
  EXPECT_THAT(db.error().message, HasSubstr("sqlite:PATH"));
  EXPECT_THAT(db.error().message, HasSubstr("postgres://"));
  EXPECT_THAT(db.error().message, Not(HasSubstr("hunter2")));
}

TEST(DatabaseOpenTest, UrlWithoutSchemeIsRefused) {
  auto db = Database::open({.url = "data/agora.db"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::invalid_input);
  EXPECT_THAT(db.error().message, HasSubstr("no scheme"));
}

TEST(DatabaseOpenTest, SqliteUrlNeedsAFilePath) {
  for (const char* url : {"sqlite:", "sqlite::memory:"}) {
    auto db = Database::open({.url = url});
    ASSERT_FALSE(db) << url;
    EXPECT_EQ(db.error().kind, ErrorKind::invalid_input);
    EXPECT_THAT(db.error().message, HasSubstr("file path"));
  }
}

TEST(DatabaseOpenTest, PoolSizeMustBePositive) {
  TempDir dir;
  auto db = Database::open({.data_dir = dir.path(), .pool_size = 0});
  ASSERT_FALSE(db);
  EXPECT_THAT(db.error().message, HasSubstr("at least 1"));
}

TEST(DatabaseOpenTest, UnreachablePostgresIsUnavailableAndHidesThePassword) {
  // Port 1 on loopback: nothing listens there, so the refusal is immediate.
  auto db = Database::open({.url = "postgresql://agora:hunter2@127.0.0.1:1/agora"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::unavailable);
  EXPECT_THAT(db.error().message, HasSubstr("agora@127.0.0.1:1/agora"));
  EXPECT_THAT(db.error().message, Not(HasSubstr("hunter2")));
}

TEST(DatabaseOpenTest, MalformedPostgresUrlHidesThePassword) {
  auto db = Database::open({.url = "postgres://agora:hunter2%zz@localhost/agora"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::invalid_input);
  EXPECT_THAT(db.error().message, HasSubstr("malformed"));
  EXPECT_THAT(db.error().message, Not(HasSubstr("hunter2")));
}

// SQLite specifics, whichever backend the run targets.

TEST(SqliteTest, EmptyUrlCreatesTheDataFolderAndDatabase) {
  TempDir dir;
  const auto data = dir.path() / "nested" / "data";
  auto db = Database::open({.data_dir = data});
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ((*db)->dialect(), Dialect::sqlite);
  EXPECT_EQ((*db)->describe(), "sqlite " + (data / "agora.db").string());
  EXPECT_TRUE(std::filesystem::exists(data / "agora.db"));
}

TEST(SqliteTest, SqliteUrlOpensThatFile) {
  TempDir dir;
  const auto file = dir.path() / "sub" / "x.db";
  for (const std::string& url : {"sqlite:" + file.string(), "sqlite://" + file.string()}) {
    auto db = Database::open({.url = url});
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ((*db)->describe(), "sqlite " + file.string());
  }
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(SqliteTest, ConnectionsUseWalForeignKeysAndTheBusyTimeout) {
  TempDir dir;
  auto db =
      Database::open({.data_dir = dir.path(), .busy_timeout = std::chrono::milliseconds(1234)});
  ASSERT_TRUE(db) << db.error().message;
  auto rows = (*db)->with_connection([](Connection& c) -> Result<std::vector<Row>> {
    std::vector<Row> all;
    for (const char* pragma : {"journal_mode", "foreign_keys", "synchronous", "busy_timeout"}) {
      auto rows = c.query(std::string("PRAGMA ") + pragma);
      if (!rows) return rows.error();
      all.push_back((*rows)[0]);
    }
    return all;
  });
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ((*rows)[0].text(0), "wal");
  EXPECT_EQ((*rows)[1].integer(0), 1);
  EXPECT_EQ((*rows)[2].integer(0), 2);  // FULL: an acknowledged commit survives a power loss
  EXPECT_EQ((*rows)[3].integer(0), 1234);
}

TEST(SqliteTest, DataFolderThatCannotBeCreatedIsNamed) {
  TempDir dir;
  const auto file = dir.path() / "a-file";
  std::ofstream(file) << "not a folder";
  auto db = Database::open({.data_dir = file / "data"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::io);
  EXPECT_THAT(db.error().message, HasSubstr((file / "data").string()));
  EXPECT_THAT(db.error().message, HasSubstr("Not a directory"));
}

TEST(SqliteTest, FileThatIsNotADatabaseIsCorrupt) {
  TempDir dir;
  std::ofstream(dir.path() / "agora.db") << std::string(4096, 'x');
  auto db = Database::open({.data_dir = dir.path()});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::corrupt);
  EXPECT_THAT(db.error().message, HasSubstr("not a database"));
}

}  // namespace
}  // namespace agora::store
