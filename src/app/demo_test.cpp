#include "app/demo.hpp"

#include "app/migrations.hpp"
#include "auth/directory_store.hpp"
#include "auth/passwords.hpp"
#include "store/backend_test_fixture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

namespace agora::app {
namespace {

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class DemoTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = apply_migrations(db());
    ASSERT_TRUE(applied) << applied.error().message;
  }

  std::int64_t count(std::string_view table) {
    auto rows = db().with_connection([&](store::Connection& c) {
      return c.query(fmt::format("SELECT COUNT(*) FROM {}", table));
    });
    EXPECT_TRUE(rows);
    return rows ? rows->at(0).integer(0) : -1;
  }
};

TEST_F(DemoTest, LoadsOnceThenChangesNothing) {
  auto first = load_demo(db(), base::system_clock());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->organisations_created, 4);
  EXPECT_EQ(first->people_created, 14);
  EXPECT_EQ(first->sign_ins.size(), 14u);
  EXPECT_EQ(count("organisations"), 4);
  EXPECT_EQ(count("people"), 14);

  // Every account signs in with the demo password, each with its own salt, at its org's domain.
  auto people = db().with_connection([](store::Connection& c) {
    return c.query(
        "SELECT p.email, p.password_hash, d.domain FROM people p "
        "JOIN organisation_domains d ON d.organisation_id = p.organisation_id");
  });
  ASSERT_TRUE(people);
  std::set<std::string> hashes;
  for (const store::Row& row : *people) {
    EXPECT_TRUE(row.text(0).ends_with("@" + row.text(2))) << row.text(0);
    hashes.insert(row.text(1));
  }
  // Verifying costs as much as hashing (~0.1 s), so check one; the hashes differ only by salt.
  ASSERT_FALSE(people->empty());
  EXPECT_TRUE(auth::verify_password(people->front().text(1), kDemoPassword));
  EXPECT_FALSE(auth::needs_rehash(people->front().text(1)));
  EXPECT_EQ(hashes.size(), 14u);

  auto second = load_demo(db(), base::system_clock());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->organisations_created, 0);
  EXPECT_EQ(second->people_created, 0);
  EXPECT_EQ(count("people"), 14);
  ASSERT_EQ(second->sign_ins.size(), first->sign_ins.size());
  for (std::size_t i = 0; i < first->sign_ins.size(); ++i) {
    EXPECT_EQ(second->sign_ins[i].email, first->sign_ins[i].email);
  }
}

TEST_F(DemoTest, FillsInWhatIsMissing) {
  ASSERT_TRUE(load_demo(db(), base::system_clock()));
  ASSERT_TRUE(db().with_connection([](store::Connection& c) {
    return c.execute("DELETE FROM people WHERE email = ?",
                     {std::string("priya.shah@cartrefiafon.org.uk")});
  }));
  auto again = load_demo(db(), base::system_clock());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->organisations_created, 0);
  EXPECT_EQ(again->people_created, 1);
  EXPECT_EQ(count("people"), 14);
}

TEST_F(DemoTest, AFailureLeavesNothingHalfLoaded) {
  // Someone else already owns the police force's domain: the demo cannot load, and the
  // organisations it created before finding that out must not remain.
  ASSERT_TRUE(db().transaction([](store::Connection& c) {
    auth::DirectoryStore directory(c, base::system_clock());
    const std::string domains[] = {"afonvalley.police.uk"};
    return directory.create_organisation("A Real Police Force", auth::OrganisationKind::police,
                                         domains);
  }));
  auto load = load_demo(db(), base::system_clock());
  ASSERT_FALSE(load);
  EXPECT_EQ(load.error().kind, ErrorKind::conflict);
  EXPECT_EQ(load.error().message,
            "the email domain afonvalley.police.uk already belongs to A Real Police Force");
  EXPECT_EQ(count("organisations"), 1);
  EXPECT_EQ(count("people"), 0);
}

TEST(DescribeDemoLoad, AlignsColumnsByCharactersNotBytes) {
  DemoLoad load;
  load.organisations_created = 1;
  load.people_created = 2;
  load.sign_ins = {{"Org", "Siân Pritchard", "sian@example.org"},
                   {"Org", "Ian Pritchard", "ian@example.org"}};
  const std::string text = describe_demo_load(load);
  EXPECT_TRUE(text.starts_with("Demo loaded: created 1 organisation and 2 people.\n")) << text;
  // "Siân Pritchard" and "Ian Pritchard" differ by one character, so their emails start one
  // column apart whatever the bytes.
  const auto line_of = [&](std::string_view needle) {
    const auto at = text.find(needle);
    const auto start = text.rfind('\n', at) + 1;
    return text.substr(start, text.find('\n', at) - start);
  };
  const std::string sian = line_of("Siân");
  const std::string ian = line_of("Ian P");
  EXPECT_EQ(sian.find("sian@") - 1, ian.find("ian@")) << text;  // â is two bytes, one column
}

}  // namespace
}  // namespace agora::app
