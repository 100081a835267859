#include "app/migrations.hpp"

#include "auth/migrations.hpp"
#include "collab/migrations.hpp"

#include <algorithm>

namespace agora::app {

std::vector<store::Migration> all_migrations() {
  std::vector<store::Migration> all;
  // One line per module, in DESIGN.md's dependency order.
  for (const auto& module_migrations : {auth::migrations(), collab::migrations()}) {
    all.insert(all.end(), module_migrations.begin(), module_migrations.end());
  }
  // A stable sort keeps two modules that took the same number next to each other, so
  // store::migrate refuses them (versions must strictly increase) instead of one hiding the other.
  std::stable_sort(
      all.begin(), all.end(),
      [](const store::Migration& a, const store::Migration& b) { return a.version < b.version; });
  return all;
}

Result<int> apply_migrations(store::Database& db) {
  const std::vector<store::Migration> migrations = all_migrations();
  return store::migrate(db, migrations);
}

}  // namespace agora::app
