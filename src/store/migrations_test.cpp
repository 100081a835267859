#include "store/migrations.hpp"

#include "store/backend_test_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace agora::store {
namespace {

using ::testing::HasSubstr;

const Migration kCreateA{1, "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY)",
                         "CREATE TABLE a (id BIGSERIAL PRIMARY KEY)"};
const Migration kCreateB{2, "create_b", "CREATE TABLE b (x TEXT); CREATE INDEX b_x ON b (x)",
                         "CREATE TABLE b (x TEXT); CREATE INDEX b_x ON b (x)"};
const Migration kAlterB{3, "add_b_y", "ALTER TABLE b ADD COLUMN y INTEGER",
                        "ALTER TABLE b ADD COLUMN y INTEGER"};

class MigrationTest : public testing::BackendTest {
 protected:
  // The recorded (version, name) pairs, in order.
  std::vector<std::pair<std::int64_t, std::string>> recorded() {
    auto rows = db().with_connection([](Connection& c) {
      return c.query("SELECT version, name FROM schema_migrations ORDER BY version");
    });
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<std::pair<std::int64_t, std::string>> out;
    if (rows) {
      for (const Row& r : *rows) out.emplace_back(r.integer(0), r.text(1));
    }
    return out;
  }
  bool table_exists(std::string_view table) {
    return db()
        .with_connection(
            [&](Connection& c) { return c.query(fmt::format("SELECT COUNT(*) FROM {}", table)); })
        .has_value();
  }
};

TEST_F(MigrationTest, AppliesNewMigrationsInOrderOnce) {
  const Migration first_two[] = {kCreateA, kCreateB};
  auto applied = migrate(db(), first_two);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, 2);
  EXPECT_TRUE(table_exists("a"));
  EXPECT_TRUE(table_exists("b"));

  auto again = migrate(db(), first_two);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0);

  const Migration all[] = {kCreateA, kCreateB, kAlterB};
  auto third = migrate(db(), all);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(*third, 1);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {1, "create_a"}, {2, "create_b"}, {3, "add_b_y"}};
  EXPECT_EQ(recorded(), expected);
  EXPECT_TRUE(db().with_connection([](Connection& c) {
    return c.execute("INSERT INTO b (x, y) VALUES (?, ?)", {std::string("x"), std::int64_t{1}});
  }));
}

TEST_F(MigrationTest, RefusesADatabaseFromANewerBinary) {
  const Migration all[] = {kCreateA, kCreateB, kAlterB};
  ASSERT_TRUE(migrate(db(), all));
  const Migration older[] = {kCreateA, kCreateB};
  auto refused = migrate(db(), older);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_THAT(refused.error().message, HasSubstr("version 3 ('add_b_y')"));
  EXPECT_THAT(refused.error().message, HasSubstr("newer agora"));
}

TEST_F(MigrationTest, RefusesAnEditedMigration) {
  const Migration original[] = {kCreateA};
  ASSERT_TRUE(migrate(db(), original));
  Migration renamed = kCreateA;
  renamed.name = "create_a_differently";
  const Migration edited[] = {renamed, kCreateB};
  auto refused = migrate(db(), edited);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("recorded as 'create_a'"));
  EXPECT_THAT(refused.error().message, HasSubstr("never be edited"));
  EXPECT_FALSE(table_exists("b"));  // nothing after the mismatch was applied
}

TEST_F(MigrationTest, RefusesAListThatIsNotStrictlyIncreasing) {
  const Migration backwards[] = {kCreateB, kCreateA};
  const Migration repeated[] = {kCreateA, kCreateA};
  for (std::span<const Migration> list :
       {std::span<const Migration>(backwards), std::span<const Migration>(repeated)}) {
    auto refused = migrate(db(), list);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::internal);
    EXPECT_THAT(refused.error().message, HasSubstr("strictly increasing"));
  }
  EXPECT_FALSE(table_exists("schema_migrations"));  // refused before touching the database
}

TEST_F(MigrationTest, RefusesAMigrationNumberedBelowOneAlreadyApplied) {
  const Migration create_c{3, "create_c", "CREATE TABLE c (x TEXT)", "CREATE TABLE c (x TEXT)"};
  const Migration landed[] = {kCreateA, create_c};
  ASSERT_TRUE(migrate(db(), landed));
  const Migration inserted_late[] = {kCreateA, kCreateB, create_c};
  auto refused = migrate(db(), inserted_late);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("migration 2 ('create_b') is not applied"));
}

TEST_F(MigrationTest, FailedMigrationLeavesNothingOfItselfAndKeepsEarlierOnes) {
  const Migration broken{2, "broken", "CREATE TABLE half (x TEXT); CREATE TABLE oops (",
                         "CREATE TABLE half (x TEXT); CREATE TABLE oops ("};
  const Migration list[] = {kCreateA, broken};
  auto failed = migrate(db(), list);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("migration 2 ('broken') failed"));
  EXPECT_TRUE(table_exists("a"));
  EXPECT_FALSE(table_exists("half"));
  const std::vector<std::pair<std::int64_t, std::string>> expected = {{1, "create_a"}};
  EXPECT_EQ(recorded(), expected);
}

TEST_F(MigrationTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  std::vector<std::string> names, sql;  // own the text the Migrations' string_views view
  for (int v = 1; v <= 8; ++v) {
    names.push_back(fmt::format("create_t{}", v));
    sql.push_back(fmt::format("CREATE TABLE t{} (x INTEGER)", v));
  }
  std::vector<Migration> list;
  for (int v = 1; v <= 8; ++v) list.push_back({v, names[v - 1], sql[v - 1], sql[v - 1]});

  auto other = open_another();
  ASSERT_TRUE(other);
  Result<int> mine = 0, theirs = 0;
  std::thread racer([&] { theirs = migrate(*other, list); });
  mine = migrate(db(), list);
  racer.join();
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_TRUE(theirs) << theirs.error().message;
  EXPECT_EQ(*mine + *theirs, 8);
  EXPECT_EQ(recorded().size(), 8u);
}

}  // namespace
}  // namespace agora::store
