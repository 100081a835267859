#include "store/migrations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace agora::store {
namespace {

// Any fixed number; every agora process on one PostgreSQL database takes this lock to migrate.
constexpr std::int64_t kMigrationLock = 0x61676f72616d6967;  // "agoramig"

using Recorded = std::map<std::int64_t, std::string>;  // version -> name

Result<> check_order(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return fail(ErrorKind::internal,
                  fmt::format("migration {} ('{}') comes after version {}; versions must be "
                              "positive and strictly increasing",
                              m.version, m.name, previous));
    }
    if (m.name.empty() || m.sqlite_sql.empty() || m.postgres_sql.empty()) {
      return fail(ErrorKind::internal,
                  fmt::format("migration {} needs a name and SQL for both SQLite and PostgreSQL",
                              m.version));
    }
    previous = m.version;
  }
  return {};
}

// Takes the migration lock until the transaction ends and reads what has been applied.
Result<Recorded> lock_and_read(Connection& c) {
  if (c.dialect() == Dialect::postgres) {
    AGORA_TRY(c.query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}));
    AGORA_TRY(c.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
  } else {
    // The transaction's BEGIN IMMEDIATE already holds SQLite's single write lock.
    AGORA_TRY(c.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"));
  }
  auto rows = c.query("SELECT version, name FROM schema_migrations ORDER BY version");
  if (!rows) return rows.error();
  Recorded recorded;
  for (const Row& row : *rows) recorded.emplace(row.integer(0), row.text(1));
  return recorded;
}

// The first migration still to apply, nullptr when none; an error when the record and
// `migrations` disagree.
Result<const Migration*> next_pending(const Recorded& recorded,
                                      std::span<const Migration> migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  for (const auto& [version, name] : recorded) {
    const auto m =
        std::find_if(migrations.begin(), migrations.end(),
                     [version = version](const Migration& x) { return x.version == version; });
    if (m == migrations.end() && version > known) {
      return fail(ErrorKind::conflict,
                  fmt::format("the database schema is at version {} ('{}') but this agora knows "
                              "migrations only up to {}; run a newer agora",
                              version, name, known));
    }
    if (m == migrations.end()) {
      return fail(ErrorKind::internal,
                  fmt::format("the database records migration {} ('{}'), which this agora does "
                              "not have; landed migrations must never be removed",
                              version, name));
    }
    if (m->name != name) {
      return fail(ErrorKind::internal,
                  fmt::format("migration {} is recorded as '{}' but this agora calls it '{}'; "
                              "landed migrations must never be edited, so restore it and add "
                              "a new one",
                              version, name, m->name));
    }
  }
  const std::int64_t newest = recorded.empty() ? 0 : recorded.rbegin()->first;
  for (const Migration& m : migrations) {
    if (recorded.contains(m.version)) continue;
    if (m.version < newest) {
      return fail(ErrorKind::internal,
                  fmt::format("migration {} ('{}') is not applied but the later {} is; give it "
                              "a number after {}",
                              m.version, m.name, newest, newest));
    }
    return &m;
  }
  return nullptr;
}

Result<> apply(Connection& c, const Migration& m) {
  const std::string_view sql = c.dialect() == Dialect::sqlite ? m.sqlite_sql : m.postgres_sql;
  if (auto done = c.execute_script(sql); !done) {
    return fail(done.error().kind, fmt::format("migration {} ('{}') failed: {}", m.version, m.name,
                                               done.error().message));
  }
  AGORA_TRY(c.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                      {std::int64_t{m.version}, std::string(m.name)}));
  return {};
}

}  // namespace

Result<int> migrate(Database& db, std::span<const Migration> migrations) {
  AGORA_TRY(check_order(migrations));
  // One migration per transaction, each re-reading the record under the lock, so a process
  // migrating at the same time never applies one twice, and a failure keeps the ones before.
  for (int applied = 0;; ++applied) {
    auto step = db.transaction([&](Connection& c) -> Result<bool> {
      auto recorded = lock_and_read(c);
      if (!recorded) return recorded.error();
      auto next = next_pending(*recorded, migrations);
      if (!next) return next.error();
      if (*next == nullptr) return false;
      AGORA_TRY(apply(c, **next));
      return true;
    });
    if (!step) return step.error();
    if (!*step) return applied;
  }
}

std::vector<Migration> merge_migrations(std::initializer_list<std::span<const Migration>> modules) {
  std::vector<Migration> all;
  for (const auto& module : modules) all.insert(all.end(), module.begin(), module.end());
  std::stable_sort(all.begin(), all.end(), [](const Migration& a, const Migration& b) {
    return a.version < b.version;
  });
  return all;
}

}  // namespace agora::store
