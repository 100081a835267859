#include "auth/sessions.hpp"

#include "auth/api_tokens.hpp"
#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "auth/rate_limiter.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

namespace agora::auth {
namespace {

using namespace std::chrono_literals;

// Sessions, rate limits and API tokens: the stores behind sign-in. Runs on SQLite, and again on
// PostgreSQL as the ctest "pg." tests (store/backend_test_fixture.hpp).
class SessionStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    auto person = db().transaction([&](store::Connection& c) -> Result<Person> {
      DirectoryStore directory(c, clock_);
      auto organisation =
          directory.create_organisation("Afon Valley Council", OrganisationKind::council, {});
      if (!organisation) return organisation.error();
      return directory.create_person({.organisation_id = organisation->id,
                                      .email = "sian@afonvalley.gov.uk",
                                      .display_name = "Siân Pritchard"});
    });
    ASSERT_TRUE(person) << person.error().message;
    person_ = person->id;
  }

  template <typename F>
  auto with_sessions(F&& fn) {
    return db().with_connection([&](store::Connection& c) {
      SessionStore sessions(c, clock_, limits_);
      return fn(sessions);
    });
  }

  IssuedSession start(SessionStage stage = SessionStage::active) {
    auto issued = with_sessions([&](SessionStore& s) {
      return s.start(person_, stage, "password", "192.0.2.7", "Firefox");
    });
    EXPECT_TRUE(issued) << issued.error().message;
    return issued ? *issued : IssuedSession{};
  }

  std::optional<Session> find(const std::string& token) {
    auto found = with_sessions([&](SessionStore& s) { return s.find(token); });
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::nullopt;
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  SessionLimits limits_{30min, 12h};
  std::int64_t person_ = 0;
};

TEST_F(SessionStoreTest, TokensAreRandomAndOnlyTheirHashIsStored) {
  const IssuedSession a = start();
  const IssuedSession b = start();
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(a.token.size(), 43u);  // 32 bytes in unpadded base64url
  auto rows = db().with_connection([&](store::Connection& c) {
    return c.query("SELECT token_hash FROM sessions ORDER BY id");
  });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).text(0), token_hash(a.token).data);
  EXPECT_EQ(rows->at(0).text(0).find(a.token), std::string::npos);
  const auto found = find(a.token);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->person_id, person_);
  EXPECT_EQ(found->id, a.session.id);
  EXPECT_FALSE(find(a.token + "x"));
  EXPECT_FALSE(find(""));
}

TEST_F(SessionStoreTest, IdleSessionsExpire) {
  const IssuedSession issued = start();
  clock_.advance(29min);
  ASSERT_TRUE(find(issued.token));  // the use counts: the idle clock starts again
  clock_.advance(29min);
  ASSERT_TRUE(find(issued.token));
  clock_.advance(31min);
  EXPECT_FALSE(find(issued.token));
  // An expired session is gone, not merely hidden.
  clock_.set(base::from_unix_millis(1'767'225'600'123));
  EXPECT_FALSE(find(issued.token));
}

TEST_F(SessionStoreTest, SessionsEndAfterTheAbsoluteLimitHoweverActive) {
  const IssuedSession issued = start();
  for (int i = 0; i < 24; ++i) {  // 11 h 36 min of steady use
    clock_.advance(29min);
    ASSERT_TRUE(find(issued.token)) << "after " << (i + 1) * 29 << " minutes";
  }
  clock_.advance(29min);  // 12 h 5 min after sign-in
  EXPECT_FALSE(find(issued.token));
}

TEST_F(SessionStoreTest, RotationReplacesTheTokenAndTheOldOneStopsWorking) {
  const IssuedSession pending = start(SessionStage::second_factor);
  auto rotated =
      with_sessions([&](SessionStore& s) { return s.rotate(pending.session.id, SessionStage::active); });
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_NE(rotated->token, pending.token);
  EXPECT_EQ(rotated->session.id, pending.session.id);
  EXPECT_EQ(rotated->session.stage, SessionStage::active);
  EXPECT_FALSE(find(pending.token));
  const auto found = find(rotated->token);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->stage, SessionStage::active);
}

TEST_F(SessionStoreTest, PeopleListAndEndTheirOwnSessionsOnly) {
  const IssuedSession first = start();
  clock_.advance(5min);
  const IssuedSession second = start();
  auto listed = with_sessions([&](SessionStore& s) { return s.list(person_); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->front().id, second.session.id);  // most recently used first
  EXPECT_EQ(listed->front().ip, "192.0.2.7");

  auto by_someone_else = with_sessions([&](SessionStore& s) { return s.end(person_ + 1, first.session.id); });
  ASSERT_TRUE(by_someone_else);
  EXPECT_FALSE(*by_someone_else);
  EXPECT_TRUE(find(first.token));

  auto ended = with_sessions([&](SessionStore& s) { return s.end(person_, first.session.id); });
  ASSERT_TRUE(ended);
  EXPECT_TRUE(*ended);
  EXPECT_FALSE(find(first.token));
  EXPECT_TRUE(find(second.token));

  auto all = with_sessions([&](SessionStore& s) { return s.end_all(person_); });
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 1);
  EXPECT_FALSE(find(second.token));
}

TEST_F(SessionStoreTest, CookiesAreHostOnlySecureAndHttpOnly) {
  const std::string cookie = session_cookie("abc");
  EXPECT_TRUE(cookie.starts_with("__Host-agora_session=abc;"));
  for (const char* part : {"Path=/", "Secure", "HttpOnly", "SameSite=Lax"})
    EXPECT_NE(cookie.find(part), std::string::npos) << part;
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);
  EXPECT_NE(expired_session_cookie().find("Max-Age=0"), std::string::npos);
}

TEST_F(SessionStoreTest, RateLimitsCountFailuresInASlidingWindow) {
  auto run = [&](auto fn) {
    return db().with_connection([&](store::Connection& c) {
      RateLimiter limiter(c, clock_);
      return fn(limiter);
    });
  };
  const RateLimit limit{3, 15min};
  for (int i = 0; i < 3; ++i) {
    auto decision = run([&](RateLimiter& l) { return l.check("sign-in:account:x", limit); });
    ASSERT_TRUE(decision);
    EXPECT_TRUE(decision->allowed) << i;
    ASSERT_TRUE(run([&](RateLimiter& l) { return l.record("sign-in:account:x", limit); }));
    clock_.advance(1min);
  }
  auto refused = run([&](RateLimiter& l) { return l.check("sign-in:account:x", limit); });
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->allowed);
  EXPECT_EQ(refused->retry_after, 12min);  // the first failure leaves the window 12 min from now
  auto other = run([&](RateLimiter& l) { return l.check("sign-in:account:y", limit); });
  EXPECT_TRUE(other->allowed);
  clock_.advance(12min + 1s);
  auto later = run([&](RateLimiter& l) { return l.check("sign-in:account:x", limit); });
  EXPECT_TRUE(later->allowed);
  ASSERT_TRUE(run([&](RateLimiter& l) { return l.record("sign-in:account:x", limit); }));
  ASSERT_TRUE(run([&](RateLimiter& l) { return l.clear("sign-in:account:x"); }));
  auto cleared = run([&](RateLimiter& l) { return l.check("sign-in:account:x", RateLimit{1, 15min}); });
  EXPECT_TRUE(cleared->allowed);
}

TEST_F(SessionStoreTest, ApiTokensAreScopedExpiringAndRevocable) {
  auto run = [&](auto fn) {
    return db().with_connection([&](store::Connection& c) {
      ApiTokenStore tokens(c, clock_);
      return fn(tokens);
    });
  };
  auto secret = run([&](ApiTokenStore& t) { return t.create(person_, "HR sync", {"scim"}, 24h); });
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_TRUE(secret->starts_with("agora_pat_"));
  auto found = run([&](ApiTokenStore& t) { return t.find(*secret); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->person_id, person_);
  EXPECT_EQ((*found)->scopes, std::vector<std::string>{"scim"});
  EXPECT_TRUE((*found)->last_used_at.has_value());

  auto unknown_scope = run([&](ApiTokenStore& t) { return t.create(person_, "x", {"admin"}, 24h); });
  ASSERT_FALSE(unknown_scope);
  EXPECT_EQ(unknown_scope.error().message, "\"admin\" is not a scope Agora knows");
  EXPECT_FALSE(run([&](ApiTokenStore& t) { return t.create(person_, "x", {}, 24h); }));
  EXPECT_FALSE(run([&](ApiTokenStore& t) { return t.create(person_, "x", {"scim"}, 400 * 24h); }));

  clock_.advance(24h + 1s);
  auto expired = run([&](ApiTokenStore& t) { return t.find(*secret); });
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);

  auto second = run([&](ApiTokenStore& t) { return t.create(person_, "again", {"scim"}, 24h); });
  ASSERT_TRUE(second);
  auto listed = run([&](ApiTokenStore& t) { return t.list(person_); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  auto revoked = run([&](ApiTokenStore& t) { return t.revoke(person_, listed->front().id); });
  ASSERT_TRUE(revoked && *revoked);
  auto after = run([&](ApiTokenStore& t) { return t.find(*second); });
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}


}  // namespace
}  // namespace agora::auth
