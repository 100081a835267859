#pragma once
// Test support for store_test: each database test gets its own empty database on the backend
// the run targets. $AGORA_TEST_DATABASE_URL (or the file named by
// $AGORA_TEST_DATABASE_URL_FILE, which the PostgreSQL ctest fixture writes) selects
// PostgreSQL; without either, tests run on SQLite in a temporary folder.

#include "store/database.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

namespace agora::store::testing {

/// The PostgreSQL URL to test against, or "" for SQLite. A URL file that is named but
/// unreadable or empty is an error: a PostgreSQL run must fail, not quietly use SQLite.
inline Result<std::string> postgres_url_for_tests() {
  if (const char* url = std::getenv("AGORA_TEST_DATABASE_URL"); url != nullptr && *url != '\0') {
    return std::string(url);
  }
  const char* file = std::getenv("AGORA_TEST_DATABASE_URL_FILE");
  if (file == nullptr || *file == '\0') return std::string();
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    return fail(ErrorKind::unavailable,
                fmt::format("AGORA_TEST_DATABASE_URL_FILE names '{}', which holds no URL; did "
                            "tests/pg/start.sh run?",
                            file));
  }
  return url;
}

/// A fresh temporary folder, removed when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agora-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A fixture whose db() is an empty database of its own: a new schema on the test PostgreSQL
/// server (dropped afterwards) or a new SQLite file.
class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = postgres_url_for_tests();
    ASSERT_TRUE(url) << url.error().message;
    postgres_url_ = *url;
    if (postgres_url_.empty()) {
      options_.data_dir = dir_.path();
    } else {
      auto admin = Database::open({.url = postgres_url_, .pool_size = 1});
      ASSERT_TRUE(admin) << admin.error().message;
      admin_ = std::move(*admin);
      schema_ = fmt::format("agora_test_{}_{}", ::getpid(), std::random_device()());
      ASSERT_TRUE(admin_->with_connection(
          [&](Connection& c) { return c.execute_script("CREATE SCHEMA " + schema_); }));
      // Every pooled connection, even one reopened after a reset, starts in the schema.
      options_.url = fmt::format("{}{}options=-c%20search_path%3D{}", postgres_url_,
                                 postgres_url_.find('?') == std::string::npos ? '?' : '&', schema_);
    }
    auto db = Database::open(options_);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }

  void TearDown() override {
    db_.reset();
    if (admin_) {
      EXPECT_TRUE(admin_->with_connection(
          [&](Connection& c) { return c.execute_script("DROP SCHEMA " + schema_ + " CASCADE"); }));
    }
  }

  Database& db() { return *db_; }
  bool on_postgres() const { return !postgres_url_.empty(); }
  /// Options reaching this test's database, for opening more pools onto it.
  Options options() const { return options_; }
  /// Another pool onto this test's database, with `change` applied to its options.
  std::unique_ptr<Database> open_another(const std::function<void(Options&)>& change = {}) {
    Options options = options_;
    if (change) change(options);
    auto db = Database::open(options);
    if (!db) ADD_FAILURE() << db.error().message;
    return db ? std::move(*db) : nullptr;
  }
  /// Picks the statement for this test's dialect.
  std::string_view sql(std::string_view sqlite, std::string_view postgres) const {
    return on_postgres() ? postgres : sqlite;
  }

  TempDir dir_;
  std::string postgres_url_;
  std::string schema_;
  Options options_;
  std::unique_ptr<Database> admin_;  // creates and drops the schema on PostgreSQL
  std::unique_ptr<Database> db_;
};

}  // namespace agora::store::testing
