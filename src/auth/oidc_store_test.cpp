#include "auth/oidc_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agora::auth {
namespace {

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class OidcStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    auto organisation = db().transaction([&](store::Connection& c) -> Result<Organisation> {
      DirectoryStore directory(c, clock_);
      const std::string domains[] = {"afonvalley.gov.uk"};
      auto created =
          directory.create_organisation("Afon Valley Council", OrganisationKind::council, domains);
      if (!created) return created.error();
      auto person = directory.create_person({.organisation_id = created->id,
                                             .email = "sian@afonvalley.gov.uk",
                                             .display_name = "Siân Pritchard"});
      if (!person) return person.error();
      person_ = person->id;
      return created;
    });
    ASSERT_TRUE(organisation) << organisation.error().message;
    organisation_ = organisation->id;
  }

  template <typename F>
  auto with_store(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      OidcStore oidc(c, clock_);
      return fn(oidc);
    });
  }

  OidcLogin login(std::string state) const {
    return OidcLogin{.state = std::move(state),
                     .organisation_id = organisation_,
                     .nonce = "nonce",
                     .code_verifier = "verifier",
                     .return_to = "/documents/7"};
  }

  Result<std::optional<OidcLogin>> take(std::string_view state) {
    return with_store([&](OidcStore& s) { return s.take_login(state); });
  }

  base::ManualClock clock_{
      std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
  std::int64_t organisation_ = 0;
  std::int64_t person_ = 0;
};

TEST_F(OidcStoreTest, SettingsStartOffAndCanBeTurnedOnAndOff) {
  auto initial = with_store([&](OidcStore& s) { return s.settings(organisation_); });
  ASSERT_TRUE(initial) << initial.error().message;
  EXPECT_FALSE(initial->enabled());

  const OidcSettings on{.organisation_id = organisation_,
                        .issuer = "https://login.afonvalley.gov.uk",
                        .client_id = "agora",
                        .client_secret = "s3cret"};
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_settings(on); }));
  auto stored = with_store([&](OidcStore& s) { return s.settings(organisation_); });
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->enabled());
  EXPECT_EQ(stored->issuer, on.issuer);
  EXPECT_EQ(stored->client_id, on.client_id);
  EXPECT_EQ(stored->client_secret, on.client_secret);

  OidcSettings off = on;
  off.issuer.clear();
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_settings(off); }));
  auto cleared = with_store([&](OidcStore& s) { return s.settings(organisation_); });
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(cleared->enabled());
  EXPECT_EQ(cleared->client_secret, "") << "turning SSO off must not keep the secret";

  auto missing = with_store([&](OidcStore& s) { return s.settings(organisation_ + 100); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  OidcSettings elsewhere = on;
  elsewhere.organisation_id = organisation_ + 100;
  auto not_saved = with_store([&](OidcStore& s) { return s.save_settings(elsewhere); });
  ASSERT_FALSE(not_saved);
  EXPECT_EQ(not_saved.error().kind, ErrorKind::not_found);
}

TEST_F(OidcStoreTest, ALoginIsTakenOnceOnly) {
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("state-1")); }));
  auto first = take("state-1");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(*first);
  EXPECT_EQ((*first)->organisation_id, organisation_);
  EXPECT_EQ((*first)->nonce, "nonce");
  EXPECT_EQ((*first)->code_verifier, "verifier");
  EXPECT_EQ((*first)->return_to, "/documents/7");
  EXPECT_EQ((*first)->created_at, clock_.now());

  auto second = take("state-1");
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto unknown = take("never-issued");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

TEST_F(OidcStoreTest, ALoginExpiresAfterTenMinutes) {
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("fresh")); }));
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("stale")); }));
  clock_.advance(std::chrono::minutes(9));
  auto fresh = take("fresh");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(*fresh);
  clock_.advance(std::chrono::minutes(1));
  auto stale = take("stale");
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  // And it is gone, not just hidden: a later clock change cannot bring it back.
  clock_.set(clock_.now() - std::chrono::minutes(30));
  auto again = take("stale");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(OidcStoreTest, SavingALoginClearsAbandonedOnes) {
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("abandoned")); }));
  clock_.advance(std::chrono::minutes(11));
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("new")); }));
  auto count = db().with_connection([](store::Connection& c) -> Result<std::int64_t> {
    auto rows = c.query("SELECT COUNT(*) FROM oidc_logins");
    if (!rows) return rows.error();
    return rows->front().integer(0);
  });
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 1);
}

TEST_F(OidcStoreTest, AStateCannotBeSavedTwice) {
  ASSERT_TRUE(with_store([&](OidcStore& s) { return s.save_login(login("same")); }));
  auto again = with_store([&](OidcStore& s) { return s.save_login(login("same")); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
}

TEST_F(OidcStoreTest, ReadsAPersonsStatus) {
  auto status = with_store([&](OidcStore& s) { return s.person_status(person_); });
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_TRUE(*status);
  EXPECT_EQ(**status, "active");
  ASSERT_TRUE(db().with_connection([&](store::Connection& c) {
    return c.execute("UPDATE people SET status = 'suspended' WHERE id = ?", {person_});
  }));
  status = with_store([&](OidcStore& s) { return s.person_status(person_); });
  ASSERT_TRUE(status);
  EXPECT_EQ(**status, "suspended");
  auto nobody = with_store([&](OidcStore& s) { return s.person_status(person_ + 100); });
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(*nobody);
}

}  // namespace
}  // namespace agora::auth
