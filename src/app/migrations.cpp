#include "app/migrations.hpp"

#include "auth/migrations.hpp"
#include "collab/migrations.hpp"


namespace agora::app {

std::vector<store::Migration> all_migrations() {
  // One entry per module, in DESIGN.md's dependency order.
  return store::merge_migrations({auth::migrations(), collab::migrations()});
}

Result<int> apply_migrations(store::Database& db) {
  const std::vector<store::Migration> migrations = all_migrations();
  return store::migrate(db, migrations);
}

}  // namespace agora::app
