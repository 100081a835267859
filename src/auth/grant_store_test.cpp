#include "auth/grant_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace agora::auth {
namespace {

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class GrantStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    auto people = db().transaction([&](store::Connection& c) -> Result<std::pair<Person, Person>> {
      DirectoryStore directory(c, clock_);
      auto organisation =
          directory.create_organisation("Afon Valley Council", OrganisationKind::council, {});
      if (!organisation) return organisation.error();
      auto sian = directory.create_person({.organisation_id = organisation->id,
                                           .email = "sian@afonvalley.gov.uk",
                                           .display_name = "Siân Pritchard"});
      if (!sian) return sian.error();
      auto gareth = directory.create_person({.organisation_id = organisation->id,
                                             .email = "gareth@afonvalley.gov.uk",
                                             .display_name = "Gareth Lloyd"});
      if (!gareth) return gareth.error();
      return std::make_pair(*sian, *gareth);
    });
    ASSERT_TRUE(people) << people.error().message;
    sian_ = people->first.id;
    gareth_ = people->second.id;
  }

  // Runs fn(GrantStore&) in a transaction and returns its result.
  template <typename F>
  auto in_transaction(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      GrantStore grants(c, clock_);
      return fn(grants);
    });
  }

  Result<> set_role(std::int64_t person, std::optional<Role> role,
                    std::string_view kind = "document", std::int64_t resource = 42) {
    return in_transaction([&](GrantStore& g) { return g.set_role(kind, resource, person, role); });
  }

  std::optional<Role> role_of(std::int64_t person, std::string_view kind = "document",
                              std::int64_t resource = 42) {
    auto role = in_transaction([&](GrantStore& g) { return g.role_of(person, kind, resource); });
    EXPECT_TRUE(role) << role.error().message;
    return role ? *role : std::nullopt;
  }

  std::map<std::int64_t, Role> roles_on(std::string_view kind = "document",
                                        std::int64_t resource = 42) {
    auto roles = in_transaction([&](GrantStore& g) { return g.roles_on(kind, resource); });
    EXPECT_TRUE(roles) << roles.error().message;
    return roles ? *roles : std::map<std::int64_t, Role>{};
  }

  std::int64_t generation() {
    auto g = in_transaction([](GrantStore& grants) { return grants.generation(); });
    EXPECT_TRUE(g) << g.error().message;
    return g ? *g : -1;
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  std::int64_t sian_ = 0;
  std::int64_t gareth_ = 0;
};

TEST_F(GrantStoreTest, NobodyHasARoleUntilGrantedOne) {
  EXPECT_EQ(role_of(sian_), std::nullopt);
  EXPECT_TRUE(roles_on().empty());
}

TEST_F(GrantStoreTest, SetsReplacesAndRemovesARole) {
  ASSERT_TRUE(set_role(sian_, Role::viewer));
  EXPECT_EQ(role_of(sian_), Role::viewer);

  ASSERT_TRUE(set_role(sian_, Role::editor));
  EXPECT_EQ(role_of(sian_), Role::editor);
  EXPECT_EQ(roles_on(), (std::map<std::int64_t, Role>{{sian_, Role::editor}}));

  ASSERT_TRUE(set_role(sian_, std::nullopt));
  EXPECT_EQ(role_of(sian_), std::nullopt);
  EXPECT_TRUE(roles_on().empty());

  // Removing what is not there is harmless.
  ASSERT_TRUE(set_role(sian_, std::nullopt));
  EXPECT_EQ(role_of(sian_), std::nullopt);
}

TEST_F(GrantStoreTest, EveryRoleRoundTrips) {
  for (Role role : {Role::viewer, Role::commenter, Role::editor, Role::owner}) {
    ASSERT_TRUE(set_role(sian_, role));
    EXPECT_EQ(role_of(sian_), role) << to_string(role);
  }
}

TEST_F(GrantStoreTest, RolesAreKeptPerPersonAndPerResource) {
  ASSERT_TRUE(set_role(sian_, Role::owner, "document", 42));
  ASSERT_TRUE(set_role(gareth_, Role::commenter, "document", 42));
  ASSERT_TRUE(set_role(gareth_, Role::editor, "document", 43));
  ASSERT_TRUE(set_role(sian_, Role::viewer, "space", 42));

  EXPECT_EQ(roles_on("document", 42),
            (std::map<std::int64_t, Role>{{sian_, Role::owner}, {gareth_, Role::commenter}}));
  EXPECT_EQ(roles_on("document", 43), (std::map<std::int64_t, Role>{{gareth_, Role::editor}}));
  EXPECT_EQ(roles_on("space", 42), (std::map<std::int64_t, Role>{{sian_, Role::viewer}}));
  EXPECT_TRUE(roles_on("space", 43).empty());

  EXPECT_EQ(role_of(sian_, "document", 42), Role::owner);
  EXPECT_EQ(role_of(sian_, "document", 43), std::nullopt);
  EXPECT_EQ(role_of(sian_, "space", 42), Role::viewer);
  EXPECT_EQ(role_of(gareth_, "document", 43), Role::editor);
  EXPECT_EQ(role_of(gareth_, "space", 42), std::nullopt);

  // Removing one grant leaves the others.
  ASSERT_TRUE(set_role(gareth_, std::nullopt, "document", 42));
  EXPECT_EQ(roles_on("document", 42), (std::map<std::int64_t, Role>{{sian_, Role::owner}}));
  EXPECT_EQ(role_of(gareth_, "document", 43), Role::editor);
}

TEST_F(GrantStoreTest, TheGenerationGrowsOnEveryChange) {
  std::int64_t last = generation();
  ASSERT_GE(last, 0);
  const auto expect_grew = [&](std::string_view what) {
    const std::int64_t now = generation();
    EXPECT_GT(now, last) << what;
    last = now;
  };
  ASSERT_TRUE(set_role(sian_, Role::viewer));
  expect_grew("a grant");
  ASSERT_TRUE(set_role(sian_, Role::editor));
  expect_grew("a replaced grant");
  ASSERT_TRUE(set_role(gareth_, Role::viewer, "space", 1));
  expect_grew("a grant on another resource");
  ASSERT_TRUE(set_role(sian_, std::nullopt));
  expect_grew("a removed grant");

  // Reading does not move it.
  role_of(sian_);
  roles_on();
  EXPECT_EQ(generation(), last);
}

TEST_F(GrantStoreTest, ARolledBackChangeLeavesRolesAndGenerationAsTheyWere) {
  ASSERT_TRUE(set_role(sian_, Role::viewer));
  const std::int64_t before = generation();
  auto rolled_back = in_transaction([&](GrantStore& g) -> Result<> {
    AGORA_TRY(g.set_role("document", 42, sian_, Role::owner));
    return fail(ErrorKind::conflict, "changed my mind");
  });
  ASSERT_FALSE(rolled_back);
  EXPECT_EQ(role_of(sian_), Role::viewer);
  EXPECT_EQ(generation(), before);
}

TEST_F(GrantStoreTest, AGrantNeedsAPersonWhoExists) {
  const std::int64_t before = generation();
  auto refused = set_role(gareth_ + 1000, Role::viewer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_EQ(generation(), before);
}

TEST_F(GrantStoreTest, AnErasedPersonsGrantsGoWithThem) {
  ASSERT_TRUE(set_role(gareth_, Role::editor));
  ASSERT_TRUE(set_role(sian_, Role::owner));
  ASSERT_TRUE(db().with_connection([&](store::Connection& c) {
    return c.execute("DELETE FROM people WHERE id = ?", {gareth_});
  }));
  EXPECT_EQ(roles_on(), (std::map<std::int64_t, Role>{{sian_, Role::owner}}));
}

}  // namespace
}  // namespace agora::auth
