#pragma once
// Every module's migrations, merged into the one numbered sequence store::migrate applies.

#include "base/result.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

#include <vector>

namespace agora::app {

/// All migrations of all modules, ordered by version. Versions are one sequence shared by every
/// module, so a module's new migration takes the next free number.
std::vector<store::Migration> all_migrations();

/// Brings `db` up to date with all_migrations(); returns how many were applied.
Result<int> apply_migrations(store::Database& db);

}  // namespace agora::app
