#include "auth/space_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agora::auth {
namespace {

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class SpaceStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    auto made = db().transaction([&](store::Connection& c) -> Result<> {
      DirectoryStore directory(c, clock_);
      auto council =
          directory.create_organisation("Afon Valley Council", OrganisationKind::council, {});
      if (!council) return council.error();
      auto nhs = directory.create_organisation("Bro Afon NHS Trust", OrganisationKind::nhs, {});
      if (!nhs) return nhs.error();
      council_ = council->id;
      nhs_ = nhs->id;
      const auto person = [&](std::int64_t organisation, std::string email,
                              std::string name) -> Result<std::int64_t> {
        auto p = directory.create_person(
            {.organisation_id = organisation, .email = email, .display_name = name});
        if (!p) return p.error();
        return p->id;
      };
      auto sian = person(council_, "sian@afonvalley.gov.uk", "Siân Pritchard");
      if (!sian) return sian.error();
      auto gareth = person(council_, "gareth@afonvalley.gov.uk", "Gareth Llewellyn");
      if (!gareth) return gareth.error();
      auto catrin = person(nhs_, "catrin@broafon.wales.nhs.uk", "Catrin Morgan");
      if (!catrin) return catrin.error();
      auto elin = person(nhs_, "elin@broafon.wales.nhs.uk", "Elin Davies");
      if (!elin) return elin.error();
      sian_ = *sian;
      gareth_ = *gareth;
      catrin_ = *catrin;
      elin_ = *elin;
      return {};
    });
    ASSERT_TRUE(made) << made.error().message;
  }

  // Runs fn(SpaceStore&) in a transaction and returns its result.
  template <typename F>
  auto in_transaction(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      SpaceStore spaces(c, clock_);
      return fn(spaces);
    });
  }

  Result<Space> create(std::string name, Classification classification = Classification::official,
                       std::int64_t creator = 0, std::int64_t organisation = 0) {
    return in_transaction([&](SpaceStore& s) {
      return s.create({.organisation_id = organisation ? organisation : council_,
                       .name = name,
                       .description = "Planning help for one family",
                       .classification = classification,
                       .created_by = creator ? creator : sian_});
    });
  }

  std::int64_t must_create(std::string name,
                           Classification classification = Classification::official) {
    auto space = create(std::move(name), classification);
    EXPECT_TRUE(space) << space.error().message;
    return space ? space->id : 0;
  }

  std::optional<Role> role_of(std::int64_t person, std::int64_t organisation, std::int64_t space) {
    auto role =
        in_transaction([&](SpaceStore& s) { return s.role_of(person, organisation, space); });
    EXPECT_TRUE(role) << role.error().message;
    return role ? *role : std::nullopt;
  }

  std::vector<std::string> names_for(std::int64_t person, std::int64_t organisation) {
    auto listed = in_transaction([&](SpaceStore& s) { return s.list_for(person, organisation); });
    EXPECT_TRUE(listed) << listed.error().message;
    std::vector<std::string> names;
    if (listed) {
      for (const SpaceListing& l : *listed) names.push_back(l.space.name);
    }
    return names;
  }

  Result<> share_person(std::int64_t space, std::int64_t person, std::optional<Role> role) {
    return in_transaction([&](SpaceStore& s) { return s.share_with_person(space, person, role); });
  }

  Result<> share_organisation(std::int64_t space, std::int64_t organisation,
                              std::optional<Role> role) {
    return in_transaction(
        [&](SpaceStore& s) { return s.share_with_organisation(space, organisation, role); });
  }

  std::int64_t generation() {
    auto g = db().with_connection(
        [&](store::Connection& c) { return GrantStore(c, clock_).generation(); });
    EXPECT_TRUE(g) << g.error().message;
    return g ? *g : -1;
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  std::int64_t council_ = 0, nhs_ = 0;
  std::int64_t sian_ = 0, gareth_ = 0, catrin_ = 0, elin_ = 0;
};

TEST_F(SpaceStoreTest, ClassificationsRoundTrip) {
  for (Classification c : {Classification::official, Classification::official_sensitive}) {
    EXPECT_EQ(classification_from(to_string(c)), c);
  }
  EXPECT_EQ(to_string(Classification::official_sensitive), "OFFICIAL-SENSITIVE");
  EXPECT_EQ(classification_from("official"), std::nullopt);
  EXPECT_EQ(classification_from("SECRET"), std::nullopt);
}

TEST_F(SpaceStoreTest, CreatesASpaceWhoseCreatorOwnsIt) {
  auto space = create("  Family support: the Joneses  ", Classification::official_sensitive);
  ASSERT_TRUE(space) << space.error().message;
  EXPECT_GT(space->id, 0);
  EXPECT_EQ(space->name, "Family support: the Joneses");
  EXPECT_EQ(space->organisation_id, council_);
  EXPECT_EQ(space->created_by, sian_);
  EXPECT_EQ(space->classification, Classification::official_sensitive);

  auto found = in_transaction([&](SpaceStore& s) { return s.find(space->id); });
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->name, space->name);
  EXPECT_EQ((*found)->description, "Planning help for one family");
  EXPECT_EQ((*found)->classification, Classification::official_sensitive);
  EXPECT_EQ((*found)->created_at, space->created_at);
  EXPECT_EQ((*found)->created_by, sian_);

  EXPECT_EQ(role_of(sian_, council_, space->id), Role::owner);
  // Being in the owning organisation gives nothing by itself.
  EXPECT_EQ(role_of(gareth_, council_, space->id), std::nullopt);
}

TEST_F(SpaceStoreTest, FindsNothingForAnUnknownId) {
  auto found = in_transaction([&](SpaceStore& s) { return s.find(999); });
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found);
  EXPECT_EQ(role_of(sian_, council_, 999), std::nullopt);
}

TEST_F(SpaceStoreTest, NamesMustBeOneToOneHundredAndTwentyCharacters) {
  auto empty = create("   ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::invalid_input);

  // 120 two-byte characters fit although they are 240 bytes.
  std::string longest;
  for (int i = 0; i < 120; ++i) longest += "ŵ";
  auto fits = create(longest);
  ASSERT_TRUE(fits) << fits.error().message;

  auto too_long = create(longest + "a");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(too_long.error().message.find("121 characters"), std::string::npos)
      << too_long.error().message;
}

TEST_F(SpaceStoreTest, NamesAreUniqueWithinAnOrganisationOnly) {
  ASSERT_TRUE(create("Safeguarding"));
  auto again = create("Safeguarding");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  auto elsewhere = create("Safeguarding", Classification::official, catrin_, nhs_);
  ASSERT_TRUE(elsewhere) << elsewhere.error().message;
}

TEST_F(SpaceStoreTest, ASpaceNeedsAnOrganisationAndCreatorWhoExist) {
  auto no_organisation = create("Orphan", Classification::official, sian_, 9999);
  ASSERT_FALSE(no_organisation);
  EXPECT_EQ(no_organisation.error().kind, ErrorKind::not_found);
  auto no_creator = create("Orphan", Classification::official, 9999);
  ASSERT_FALSE(no_creator);
  EXPECT_EQ(no_creator.error().kind, ErrorKind::not_found);
}

TEST_F(SpaceStoreTest, AGuestSeesTheSpaceSharedWithThemAndNoOther) {
  const std::int64_t shared = must_create("Family support");
  must_create("Council only");
  ASSERT_TRUE(share_person(shared, catrin_, Role::editor));

  EXPECT_EQ(names_for(catrin_, nhs_), std::vector<std::string>{"Family support"});
  EXPECT_EQ(role_of(catrin_, nhs_, shared), Role::editor);
  // A colleague of the guest is not a guest.
  EXPECT_TRUE(names_for(elin_, nhs_).empty());
  EXPECT_EQ(names_for(sian_, council_),
            (std::vector<std::string>{"Council only", "Family support"}));
}

TEST_F(SpaceStoreTest, AnOrganisationShareReachesEveryoneInItAndTheStrongerRoleWins) {
  const std::int64_t space = must_create("Hospital discharge");
  ASSERT_TRUE(share_organisation(space, nhs_, Role::commenter));
  EXPECT_EQ(role_of(catrin_, nhs_, space), Role::commenter);
  EXPECT_EQ(role_of(elin_, nhs_, space), Role::commenter);
  EXPECT_EQ(names_for(elin_, nhs_), std::vector<std::string>{"Hospital discharge"});
  // The organisation grant is the person's organisation's, not anyone's who names it.
  EXPECT_EQ(role_of(gareth_, council_, space), std::nullopt);

  ASSERT_TRUE(share_person(space, catrin_, Role::editor));
  EXPECT_EQ(role_of(catrin_, nhs_, space), Role::editor);
  ASSERT_TRUE(share_person(space, elin_, Role::viewer));
  EXPECT_EQ(role_of(elin_, nhs_, space), Role::commenter);

  auto listed = in_transaction([&](SpaceStore& s) { return s.list_for(catrin_, nhs_); });
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().role, Role::editor);
  EXPECT_EQ(listed->front().organisation_name, "Afon Valley Council");

  ASSERT_TRUE(share_organisation(space, nhs_, std::nullopt));
  EXPECT_EQ(role_of(elin_, nhs_, space), Role::viewer);
  EXPECT_EQ(role_of(catrin_, nhs_, space), Role::editor);
}

TEST_F(SpaceStoreTest, SensitiveSpacesRefuseOrganisationShares) {
  const std::int64_t space = must_create("Child protection", Classification::official_sensitive);
  const std::int64_t before = generation();
  auto refused = share_organisation(space, nhs_, Role::viewer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::permission_denied);
  EXPECT_NE(refused.error().message.find("need-to-know"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(generation(), before);
  EXPECT_EQ(role_of(elin_, nhs_, space), std::nullopt);

  // Named people are how such a space is shared.
  ASSERT_TRUE(share_person(space, catrin_, Role::viewer));
  EXPECT_EQ(role_of(catrin_, nhs_, space), Role::viewer);
  EXPECT_EQ(names_for(catrin_, nhs_), std::vector<std::string>{"Child protection"});
  EXPECT_TRUE(names_for(elin_, nhs_).empty());
}

TEST_F(SpaceStoreTest, OrganisationGrantsNeverCountOnSensitiveSpaces) {
  // A row that slipped in by a direct edit of the database must still grant nothing.
  const std::int64_t space = must_create("Child protection", Classification::official_sensitive);
  ASSERT_TRUE(db().with_connection([&](store::Connection& c) {
    return c.execute(
        "INSERT INTO organisation_grants (resource_kind, resource_id, organisation_id, role, "
        "granted_at) VALUES ('space', ?, ?, 'editor', 0)",
        {space, nhs_});
  }));
  EXPECT_EQ(role_of(elin_, nhs_, space), std::nullopt);
  EXPECT_TRUE(names_for(elin_, nhs_).empty());
}

TEST_F(SpaceStoreTest, BecomingSensitiveNeedsTheOrganisationSharesGoneFirst) {
  const std::int64_t space = must_create("Hospital discharge");
  ASSERT_TRUE(share_organisation(space, nhs_, Role::viewer));
  auto refused = in_transaction([&](SpaceStore& s) {
    return s.set_classification(space, Classification::official_sensitive);
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_NE(refused.error().message.find("remove the organisation-wide shares first"),
            std::string::npos)
      << refused.error().message;
  auto unchanged = in_transaction([&](SpaceStore& s) { return s.find(space); });
  ASSERT_TRUE(unchanged && *unchanged);
  EXPECT_EQ((*unchanged)->classification, Classification::official);

  ASSERT_TRUE(share_organisation(space, nhs_, std::nullopt));
  const std::int64_t before = generation();
  ASSERT_TRUE(in_transaction([&](SpaceStore& s) {
    return s.set_classification(space, Classification::official_sensitive);
  }));
  EXPECT_GT(generation(), before);
  auto changed = in_transaction([&](SpaceStore& s) { return s.find(space); });
  ASSERT_TRUE(changed && *changed);
  EXPECT_EQ((*changed)->classification, Classification::official_sensitive);
}

TEST_F(SpaceStoreTest, TheLastOwnerCannotBeRemovedOrDemoted) {
  const std::int64_t space = must_create("Family support");
  for (std::optional<Role> role : {std::optional<Role>(), std::optional<Role>(Role::editor)}) {
    auto refused = share_person(space, sian_, role);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
    EXPECT_EQ(role_of(sian_, council_, space), Role::owner);
  }
  // With a second owner, either may step down, but not both.
  ASSERT_TRUE(share_person(space, catrin_, Role::owner));
  ASSERT_TRUE(share_person(space, sian_, Role::viewer));
  EXPECT_EQ(role_of(sian_, council_, space), Role::viewer);
  ASSERT_FALSE(share_person(space, catrin_, std::nullopt));
  // An owner staying an owner is no demotion.
  ASSERT_TRUE(share_person(space, catrin_, Role::owner));
}

TEST_F(SpaceStoreTest, SharingNeedsASpaceAPersonAndAnOrganisationThatExist) {
  const std::int64_t space = must_create("Family support");
  auto no_space = share_person(9999, catrin_, Role::viewer);
  ASSERT_FALSE(no_space);
  EXPECT_EQ(no_space.error().kind, ErrorKind::not_found);
  auto no_person = share_person(space, 9999, Role::viewer);
  ASSERT_FALSE(no_person);
  EXPECT_EQ(no_person.error().kind, ErrorKind::not_found);
  auto no_organisation = share_organisation(space, 9999, Role::viewer);
  ASSERT_FALSE(no_organisation);
  EXPECT_EQ(no_organisation.error().kind, ErrorKind::not_found);
}

TEST_F(SpaceStoreTest, MembersListsPeopleWithTheirOrganisationsAndOrganisationShares) {
  const std::int64_t space = must_create("Family support");
  ASSERT_TRUE(share_person(space, catrin_, Role::editor));
  ASSERT_TRUE(share_person(space, gareth_, Role::viewer));
  ASSERT_TRUE(share_organisation(space, nhs_, Role::viewer));

  auto members = in_transaction([&](SpaceStore& s) { return s.members(space); });
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_EQ(members->people.size(), 3u);
  // Owners first, then by name.
  EXPECT_EQ(members->people[0].person_id, sian_);
  EXPECT_EQ(members->people[0].role, Role::owner);
  EXPECT_FALSE(members->people[0].guest);
  EXPECT_EQ(members->people[1].display_name, "Catrin Morgan");
  EXPECT_EQ(members->people[1].email, "catrin@broafon.wales.nhs.uk");
  EXPECT_EQ(members->people[1].organisation_name, "Bro Afon NHS Trust");
  EXPECT_EQ(members->people[1].role, Role::editor);
  EXPECT_TRUE(members->people[1].guest);
  EXPECT_EQ(members->people[2].display_name, "Gareth Llewellyn");
  EXPECT_FALSE(members->people[2].guest);
  ASSERT_EQ(members->organisations.size(), 1u);
  EXPECT_EQ(members->organisations[0].organisation_id, nhs_);
  EXPECT_EQ(members->organisations[0].name, "Bro Afon NHS Trust");
  EXPECT_EQ(members->organisations[0].role, Role::viewer);

  auto none = in_transaction([&](SpaceStore& s) { return s.members(9999); });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::not_found);
}

TEST_F(SpaceStoreTest, EveryGrantChangeBumpsTheGeneration) {
  const std::int64_t space = must_create("Family support");
  std::int64_t last = generation();
  const auto expect_grew = [&](std::string_view what) {
    const std::int64_t now = generation();
    EXPECT_GT(now, last) << what;
    last = now;
  };
  ASSERT_TRUE(share_organisation(space, nhs_, Role::viewer));
  expect_grew("an organisation share");
  ASSERT_TRUE(share_organisation(space, nhs_, Role::editor));
  expect_grew("a changed organisation share");
  ASSERT_TRUE(share_organisation(space, nhs_, std::nullopt));
  expect_grew("a removed organisation share");
  ASSERT_TRUE(share_person(space, catrin_, Role::viewer));
  expect_grew("a person share");
  ASSERT_TRUE(share_person(space, catrin_, std::nullopt));
  expect_grew("a removed person share");
}

TEST_F(SpaceStoreTest, ARolledBackShareLeavesNothingBehind) {
  const std::int64_t space = must_create("Family support");
  const std::int64_t before = generation();
  auto rolled_back = in_transaction([&](SpaceStore& s) -> Result<> {
    AGORA_TRY(s.share_with_organisation(space, nhs_, Role::editor));
    return fail(ErrorKind::conflict, "changed my mind");
  });
  ASSERT_FALSE(rolled_back);
  EXPECT_EQ(role_of(elin_, nhs_, space), std::nullopt);
  EXPECT_EQ(generation(), before);
}

TEST_F(SpaceStoreTest, StrongerRoleAndCharacterCount) {
  EXPECT_EQ(stronger_role(std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(stronger_role(Role::viewer, std::nullopt), Role::viewer);
  EXPECT_EQ(stronger_role(std::nullopt, Role::editor), Role::editor);
  EXPECT_EQ(stronger_role(Role::owner, Role::commenter), Role::owner);
  EXPECT_EQ(character_count("Siân"), 4u);
  EXPECT_EQ(character_count(""), 0u);
}

}  // namespace
}  // namespace agora::auth
