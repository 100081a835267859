#include "auth/directory_store.hpp"

#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace agora::auth {
namespace {

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class DirectoryStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    ASSERT_EQ(*applied, static_cast<int>(migrations().size()));
  }

  // Runs fn(DirectoryStore&) in a transaction and returns its result.
  template <typename F>
  auto in_transaction(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      DirectoryStore directory(c, clock_);
      return fn(directory);
    });
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
};

const std::vector<std::string> kCouncilDomains = {"AfonValley.gov.uk", " cyngorafon.gov.uk"};

TEST_F(DirectoryStoreTest, CreatesAndFindsAnOrganisation) {
  auto created = in_transaction([](DirectoryStore& d) {
    return d.create_organisation("Afon Valley Council", OrganisationKind::council, kCouncilDomains);
  });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->email_domains,
            (std::vector<std::string>{"afonvalley.gov.uk", "cyngorafon.gov.uk"}));
  EXPECT_EQ(base::to_unix_millis(created->created_at), 1'767'225'600'123);

  auto by_name = in_transaction(
      [](DirectoryStore& d) { return d.find_organisation_by_name("Afon Valley Council"); });
  ASSERT_TRUE(by_name && *by_name);
  EXPECT_EQ((*by_name)->id, created->id);
  EXPECT_EQ((*by_name)->kind, OrganisationKind::council);
  EXPECT_EQ((*by_name)->email_domains, created->email_domains);
  EXPECT_EQ((*by_name)->created_at, created->created_at);

  auto by_domain = in_transaction(
      [](DirectoryStore& d) { return d.find_organisation_by_domain("CYNGORAFON.gov.uk"); });
  ASSERT_TRUE(by_domain && *by_domain);
  EXPECT_EQ((*by_domain)->name, "Afon Valley Council");

  auto by_id = in_transaction([&](DirectoryStore& d) { return d.find_organisation(created->id); });
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->name, "Afon Valley Council");

  auto missing = in_transaction([](DirectoryStore& d) { return d.find_organisation(999999); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(DirectoryStoreTest, OrganisationNamesAndDomainsAreUnique) {
  ASSERT_TRUE(in_transaction([](DirectoryStore& d) {
    return d.create_organisation("Afon Valley Council", OrganisationKind::council, kCouncilDomains);
  }));
  auto same_name = in_transaction([](DirectoryStore& d) {
    return d.create_organisation("Afon Valley Council", OrganisationKind::other, {});
  });
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().kind, ErrorKind::conflict);
  EXPECT_EQ(same_name.error().message,
            "an organisation called \"Afon Valley Council\" already exists");

  const std::vector<std::string> taken = {"newtrust.nhs.uk", "afonvalley.gov.uk"};
  auto same_domain = in_transaction([&](DirectoryStore& d) {
    return d.create_organisation("New Trust", OrganisationKind::nhs, taken);
  });
  ASSERT_FALSE(same_domain);
  EXPECT_EQ(same_domain.error().kind, ErrorKind::conflict);
  EXPECT_EQ(same_domain.error().message,
            "the email domain afonvalley.gov.uk already belongs to Afon Valley Council");
  // The failed transaction left nothing behind, not even the first domain.
  auto trust =
      in_transaction([](DirectoryStore& d) { return d.find_organisation_by_name("New Trust"); });
  ASSERT_TRUE(trust);
  EXPECT_FALSE(*trust);
  auto first_domain = in_transaction(
      [](DirectoryStore& d) { return d.find_organisation_by_domain("newtrust.nhs.uk"); });
  ASSERT_TRUE(first_domain);
  EXPECT_FALSE(*first_domain);
}

TEST_F(DirectoryStoreTest, RejectsBadOrganisationInput) {
  auto empty = in_transaction(
      [](DirectoryStore& d) { return d.create_organisation("  ", OrganisationKind::council, {}); });
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(empty.error().message, "the organisation name is empty");

  const std::vector<std::string> bad = {"not a domain"};
  auto bad_domain = in_transaction([&](DirectoryStore& d) {
    return d.create_organisation("X", OrganisationKind::council, bad);
  });
  ASSERT_FALSE(bad_domain);
  EXPECT_EQ(bad_domain.error().message,
            "\"not a domain\" is not a domain name such as example.org");
}

TEST_F(DirectoryStoreTest, CreatesAndFindsPeopleByEmailInAnyCase) {
  auto person = in_transaction([](DirectoryStore& d) -> Result<Person> {
    auto organisation =
        d.create_organisation("Afon Valley Council", OrganisationKind::council, kCouncilDomains);
    if (!organisation) return organisation.error();
    return d.create_person(NewPerson{organisation->id, " Sian.Pritchard@AfonValley.gov.uk ",
                                     "Siân Pritchard", "$argon2id$fake"});
  });
  ASSERT_TRUE(person) << person.error().message;
  EXPECT_GT(person->id, 0);
  EXPECT_EQ(person->email, "sian.pritchard@afonvalley.gov.uk");

  auto found = in_transaction(
      [](DirectoryStore& d) { return d.find_person_by_email("SIAN.PRITCHARD@afonvalley.gov.uk"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, person->id);
  EXPECT_EQ((*found)->organisation_id, person->organisation_id);
  EXPECT_EQ((*found)->display_name, "Siân Pritchard");
  EXPECT_EQ((*found)->password_hash, "$argon2id$fake");
  EXPECT_EQ((*found)->created_at, person->created_at);

  auto nobody = in_transaction([](DirectoryStore& d) { return d.find_person_by_email("x@y.org"); });
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(*nobody);
}

TEST_F(DirectoryStoreTest, EmailsAreUniqueWhateverTheirCase) {
  auto organisation = in_transaction([](DirectoryStore& d) {
    return d.create_organisation("Afon Valley Council", OrganisationKind::council, kCouncilDomains);
  });
  ASSERT_TRUE(organisation);
  const std::int64_t id = organisation->id;
  ASSERT_TRUE(in_transaction([&](DirectoryStore& d) {
    return d.create_person(NewPerson{id, "a.person@afonvalley.gov.uk", "A Person", ""});
  }));
  auto again = in_transaction([&](DirectoryStore& d) {
    return d.create_person(NewPerson{id, "A.Person@afonvalley.gov.uk", "Another", ""});
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().message,
            "someone with the email a.person@afonvalley.gov.uk already exists");

  // The schema enforces it too, for writers that bypass DirectoryStore.
  auto raw = db().with_connection([&](store::Connection& c) {
    return c.execute(
        "INSERT INTO people (organisation_id, email, display_name, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        {id, std::string("a.person@afonvalley.gov.uk"), std::string("Dup"), std::string(""),
         std::int64_t{0}});
  });
  ASSERT_FALSE(raw);
  EXPECT_EQ(raw.error().kind, ErrorKind::conflict);
}

TEST_F(DirectoryStoreTest, RejectsBadPeople) {
  auto organisation = in_transaction([](DirectoryStore& d) {
    return d.create_organisation("Afon Valley Council", OrganisationKind::council, kCouncilDomains);
  });
  ASSERT_TRUE(organisation);
  const std::int64_t id = organisation->id;
  auto create = [&](NewPerson p) {
    auto r = in_transaction([&](DirectoryStore& d) { return d.create_person(p); });
    return r ? std::string("(created)") : r.error().message;
  };
  EXPECT_EQ(create({id, "no-at-sign", "N", ""}),
            "\"no-at-sign\" is not an email address: expected name@example.org");
  EXPECT_EQ(create({id, "two@at@signs.org", "N", ""}),
            "\"two@at@signs.org\" is not an email address: expected name@example.org");
  EXPECT_EQ(create({id, "sp ace@afonvalley.gov.uk", "N", ""}),
            "\"sp ace@afonvalley.gov.uk\" is not an email address: the part before @ must "
            "contain no spaces or control characters");
  EXPECT_EQ(create({id, "someone@localhost", "N", ""}),
            "\"someone@localhost\" is not an email address: \"localhost\" is not a domain name "
            "such as example.org");
  EXPECT_EQ(create({id, "ok@afonvalley.gov.uk", "", ""}), "the display name is empty");
  EXPECT_EQ(create({id + 1000, "ok@afonvalley.gov.uk", "N", ""}),
            fmt::format("there is no organisation with id {}", id + 1000));
}

TEST_F(DirectoryStoreTest, MigrationIsAppliedOnce) {
  auto again = store::migrate(db(), migrations());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0);
}

TEST(OrganisationKind, NamesRoundTrip) {
  for (auto kind : {OrganisationKind::council, OrganisationKind::nhs, OrganisationKind::police,
                    OrganisationKind::housing, OrganisationKind::education,
                    OrganisationKind::charity, OrganisationKind::other}) {
    EXPECT_EQ(organisation_kind_from(to_string(kind)), kind);
  }
  EXPECT_EQ(to_string(OrganisationKind::nhs), "nhs");
  EXPECT_FALSE(organisation_kind_from("Council"));
}

TEST(CheckEmail, AcceptsOrdinaryAddresses) {
  for (const char* ok : {"a@b.org", "first.last+tag@sub.example.co.uk", "o'brien@x-y.org"}) {
    EXPECT_TRUE(check_email(ok)) << ok;
  }
  EXPECT_FALSE(check_email(""));
  EXPECT_FALSE(check_email("é@x.org"));
  EXPECT_FALSE(check_email(std::string(65, 'a') + "@x.org"));
  EXPECT_FALSE(check_email("a@-x.org"));
  EXPECT_FALSE(check_email("a@x..org"));
  EXPECT_EQ(normalise_email("  Mixed.Case@Example.ORG\n"), "mixed.case@example.org");
}

}  // namespace
}  // namespace agora::auth
