#pragma once
// Numbered schema migrations (CONVENTIONS.md "SQL"): each written for both dialects, applied
// once, in order, and never edited after it lands; a change to the schema is a new migration.

#include "store/database.hpp"

#include <initializer_list>
#include <span>
#include <vector>

namespace agora::store {

/// One schema change. `name` is recorded with the version so an edited migration is noticed.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite_sql;
  std::string_view postgres_sql;
};

/// Applies every migration newer than the database's recorded ones, each in its own
/// transaction, and returns how many it applied. Refuses, changing nothing, when `migrations`
/// is not strictly increasing, when the database records a version this binary lacks (a newer
/// binary wrote it) or under another name (a landed migration was edited). Safe to run from
/// several processes at once: they take turns and each migration applies once.
Result<int> migrate(Database& db, std::span<const Migration> migrations);

/// Several modules' migrations as one list ordered by version. The sort is stable, so two
/// modules that took the same number stay side by side and migrate() refuses them rather than
/// one hiding the other.
std::vector<Migration> merge_migrations(std::initializer_list<std::span<const Migration>> modules);

}  // namespace agora::store
