#include "auth/group_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <set>
#include <span>
#include <string>

namespace agora::auth {
namespace {

// Groups (migration 7) and the erasure and profile changes SCIM and data protection make to
// people. Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests.
class GroupStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    auto made = db().transaction([&](store::Connection& c) -> Result<> {
      DirectoryStore directory(c, clock_);
      const std::string council_domain = "afonvalley.gov.uk";
      auto council = directory.create_organisation("Afon Valley Council", OrganisationKind::council,
                                                   std::span(&council_domain, 1));
      if (!council) return council.error();
      auto nhs = directory.create_organisation("Bro Afon NHS", OrganisationKind::nhs, {});
      if (!nhs) return nhs.error();
      council_ = council->id;
      nhs_ = nhs->id;
      auto sian = directory.create_person(
          {.organisation_id = council_, .email = "sian@afonvalley.gov.uk", .display_name = "Siân"});
      if (!sian) return sian.error();
      auto gareth = directory.create_person(
          {.organisation_id = council_, .email = "gareth@afonvalley.gov.uk", .display_name = "Gareth"});
      if (!gareth) return gareth.error();
      sian_ = sian->id;
      gareth_ = gareth->id;
      return {};
    });
    ASSERT_TRUE(made) << made.error().message;
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  std::int64_t council_ = 0;
  std::int64_t nhs_ = 0;
  std::int64_t sian_ = 0;
  std::int64_t gareth_ = 0;
};

TEST_F(GroupStoreTest, CreatesListsChangesAndDeletesGroups) {
  auto done = db().transaction([&](store::Connection& c) -> Result<> {
    GroupStore groups(c, clock_);
    auto id = groups.create(council_, "Social workers", "ext-1");
    if (!id) return id.error();
    AGORA_TRY(groups.set_members(*id, {sian_, gareth_}));
    auto duplicate = groups.create(council_, "Social workers", "");
    EXPECT_FALSE(duplicate);
    if (!duplicate) {
      EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
    }
    // The same name in another organisation is another group.
    auto other = groups.create(nhs_, "Social workers", "");
    EXPECT_TRUE(other);

    auto found = groups.find(council_, *id);
    if (!found) return found.error();
    EXPECT_TRUE(*found);
    if (*found) {
      EXPECT_EQ((*found)->display_name, "Social workers");
      EXPECT_EQ((*found)->external_id, "ext-1");
      EXPECT_EQ((*found)->members.size(), 2u);
    }
    auto hidden = groups.find(nhs_, *id);
    if (!hidden) return hidden.error();
    EXPECT_FALSE(*hidden) << "another organisation's group is not found";

    AGORA_TRY(groups.rename(*id, "Care team"));
    AGORA_TRY(groups.set_members(*id, {gareth_}));
    auto listed = groups.list(council_);
    if (!listed) return listed.error();
    EXPECT_EQ(listed->size(), 1u);
    if (!listed->empty()) {
      EXPECT_EQ(listed->front().display_name, "Care team");
      EXPECT_EQ(listed->front().members.size(), 1u);
      if (!listed->front().members.empty()) {
        EXPECT_EQ(listed->front().members.front().first, gareth_);
      }
    }
    auto of = groups.groups_of(gareth_);
    if (!of) return of.error();
    EXPECT_EQ(*of, std::vector<std::string>{"Care team"});

    auto wrong = groups.remove(nhs_, *id);
    if (!wrong) return wrong.error();
    EXPECT_FALSE(*wrong);
    auto removed = groups.remove(council_, *id);
    if (!removed) return removed.error();
    EXPECT_TRUE(*removed);
    auto gone = groups.groups_of(gareth_);
    if (!gone) return gone.error();
    EXPECT_TRUE(gone->empty());
    return {};
  });
  ASSERT_TRUE(done) << done.error().message;
}

TEST_F(GroupStoreTest, ErasingAPersonKeepsTheRowButNothingPersonal) {
  auto done = db().transaction([&](store::Connection& c) -> Result<> {
    DirectoryStore directory(c, clock_);
    GrantStore grants(c, clock_);
    GroupStore groups(c, clock_);
    AGORA_TRY(directory.set_profile(gareth_, "Gareth.Lloyd@afonvalley.gov.uk", "Gareth Lloyd", "hr-7"));
    auto changed = directory.find_person(gareth_);
    if (!changed) return changed.error();
    EXPECT_EQ((*changed)->email, "gareth.lloyd@afonvalley.gov.uk");
    EXPECT_EQ((*changed)->external_id, "hr-7");
    auto taken = directory.set_profile(gareth_, "sian@afonvalley.gov.uk", "Gareth", "");
    EXPECT_FALSE(taken);

    AGORA_TRY(directory.set_totp_secret(gareth_, "0123456789abcdef"));
    AGORA_TRY(grants.set_role("document", 42, gareth_, Role::editor));
    auto group = groups.create(council_, "Team", "");
    if (!group) return group.error();
    AGORA_TRY(groups.set_members(*group, {gareth_, sian_}));
    auto before = grants.generation();
    if (!before) return before.error();

    AGORA_TRY(directory.erase_person(gareth_, "Former member"));
    auto erased = directory.find_person(gareth_);
    if (!erased) return erased.error();
    EXPECT_TRUE(*erased);
    if (*erased) {
      EXPECT_EQ((*erased)->email, "erased-" + std::to_string(gareth_) + "@invalid");
      EXPECT_EQ((*erased)->display_name, "Former member");
      EXPECT_EQ((*erased)->status, PersonStatus::erased);
      EXPECT_TRUE((*erased)->password_hash.empty());
      EXPECT_TRUE((*erased)->totp_secret.empty());
      EXPECT_TRUE((*erased)->external_id.empty());
    }
    auto role = grants.role_of(gareth_, "document", 42);
    if (!role) return role.error();
    EXPECT_FALSE(*role);
    auto after = grants.generation();
    if (!after) return after.error();
    EXPECT_GT(*after, *before) << "open connections must re-check";
    auto members = groups.find(council_, *group);
    if (!members) return members.error();
    EXPECT_EQ((*members)->members.size(), 1u);
    auto by_old_email = directory.find_person_by_email("gareth.lloyd@afonvalley.gov.uk");
    if (!by_old_email) return by_old_email.error();
    EXPECT_FALSE(*by_old_email);
    return {};
  });
  ASSERT_TRUE(done) << done.error().message;
}

}  // namespace
}  // namespace agora::auth
