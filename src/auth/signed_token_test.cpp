#include "auth/signed_token.hpp"

#include "auth/migrations.hpp"
#include "base/base64.hpp"
#include "base/clock.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace agora::auth {
namespace {

using namespace std::chrono_literals;

const std::string kKey(32, 'k');
const auto kNow = base::from_unix_millis(1'767'225'600'000);  // 2026-01-01T00:00:00Z

TokenClaims claims_for_document_42() {
  return TokenClaims{"collab", 7, "42", kNow + 5min};
}

void expect_same_claims(const TokenClaims& actual, const TokenClaims& expected) {
  EXPECT_EQ(actual.purpose, expected.purpose);
  EXPECT_EQ(actual.person_id, expected.person_id);
  EXPECT_EQ(actual.resource_id, expected.resource_id);
  EXPECT_EQ(actual.expires_at, expected.expires_at);
}

void expect_denied(const Result<TokenClaims>& verified, std::string_view what) {
  ASSERT_FALSE(verified) << what << " was accepted";
  EXPECT_EQ(verified.error().kind, ErrorKind::permission_denied) << what;
  EXPECT_FALSE(verified.error().message.empty()) << what;
}

std::string payload_of(const std::string& token) {
  auto payload = base::from_base64url(token.substr(0, token.find('.')), "payload");
  EXPECT_TRUE(payload) << payload.error().message;
  return payload ? std::string(payload->begin(), payload->end()) : std::string();
}

std::string encode(std::string_view text) {
  return base::to_base64url({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

TEST(TokenSignerTest, VerifiesWhatItSigned) {
  const TokenSigner signer(kKey);
  const TokenClaims claims = claims_for_document_42();
  const std::string token = signer.sign(claims);
  auto verified = signer.verify(token, "collab", kNow);
  ASSERT_TRUE(verified) << verified.error().message;
  expect_same_claims(*verified, claims);

  // Another signer with the same key (another node, the CLI) accepts it too.
  auto elsewhere = TokenSigner(kKey).verify(token, "collab", kNow + 4min);
  ASSERT_TRUE(elsewhere) << elsewhere.error().message;
  expect_same_claims(*elsewhere, claims);
}

TEST(TokenSignerTest, TokensAreUrlSafeTextWithoutPadding) {
  const TokenSigner signer(kKey);
  for (std::int64_t person : {0, 1, 7, 123456789}) {
    const std::string token = signer.sign({"collab", person, "resource/with?odd&chars", kNow});
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 1) << token;
    EXPECT_EQ(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
              std::string::npos)
        << token;
  }
}

TEST(TokenSignerTest, DifferentClaimsGiveDifferentTokens) {
  const TokenSigner signer(kKey);
  const TokenClaims base = claims_for_document_42();
  std::set<std::string> tokens;
  tokens.insert(signer.sign(base));
  TokenClaims c = base;
  c.person_id = 8;
  tokens.insert(signer.sign(c));
  c = base;
  c.resource_id = "43";
  tokens.insert(signer.sign(c));
  c = base;
  c.purpose = "export";
  tokens.insert(signer.sign(c));
  c = base;
  c.expires_at += 1s;
  tokens.insert(signer.sign(c));
  EXPECT_EQ(tokens.size(), 5u);
}

TEST(TokenSignerTest, RefusesATokenForAnotherPurpose) {
  const TokenSigner signer(kKey);
  const std::string token = signer.sign(claims_for_document_42());
  expect_denied(signer.verify(token, "export", kNow), "a collab token used for export");
  expect_denied(signer.verify(token, "", kNow), "a collab token used for nothing");
  expect_denied(signer.verify(token, "Collab", kNow), "a collab token used for Collab");
}

TEST(TokenSignerTest, RefusesAnExpiredToken) {
  const TokenSigner signer(kKey);
  const TokenClaims claims = claims_for_document_42();
  const std::string token = signer.sign(claims);
  EXPECT_TRUE(signer.verify(token, "collab", claims.expires_at - 1ms));
  expect_denied(signer.verify(token, "collab", claims.expires_at), "a token at its expiry");
  expect_denied(signer.verify(token, "collab", claims.expires_at + 1ms), "an expired token");
  expect_denied(signer.verify(token, "collab", claims.expires_at + 24h), "a day-old token");

  // With a pinned clock, as the server checks it.
  base::ManualClock clock(kNow);
  EXPECT_TRUE(signer.verify(token, "collab", clock.now()));
  clock.advance(5min);
  expect_denied(signer.verify(token, "collab", clock.now()), "a token five minutes on");
}

TEST(TokenSignerTest, RefusesATokenSignedWithAnotherKey) {
  const std::string token = TokenSigner(std::string(32, 'x')).sign(claims_for_document_42());
  expect_denied(TokenSigner(kKey).verify(token, "collab", kNow), "another server's token");
  // Keys differing only in their last byte.
  std::string almost = kKey;
  almost.back() = 'j';
  expect_denied(
      TokenSigner(almost).verify(TokenSigner(kKey).sign(claims_for_document_42()), "collab", kNow),
      "a token under a key one byte off");
}

TEST(TokenSignerTest, RefusesATamperedPayload) {
  const TokenSigner signer(kKey);
  const std::string token = signer.sign(claims_for_document_42());
  const std::string signature = token.substr(token.find('.'));
  const std::string payload = payload_of(token);
  ASSERT_NE(payload.find("|7|42|"), std::string::npos) << payload;

  // Another person, another document, a later expiry, another purpose: all with the original
  // signature.
  std::vector<std::string> forged = {payload, payload, payload, payload};
  forged[0].replace(forged[0].find("|7|42|"), 6, "|8|42|");
  forged[1].replace(forged[1].find("|7|42|"), 6, "|7|43|");
  forged[2].back() = forged[2].back() == '9' ? '8' : '9';
  forged[3].replace(forged[3].find("collab"), 6, "export");
  for (const std::string& p : forged) {
    expect_denied(signer.verify(encode(p) + signature, "collab", kNow), p);
    expect_denied(signer.verify(encode(p) + signature, "export", kNow), p);
  }
}

TEST(TokenSignerTest, RefusesATamperedSignature) {
  const TokenSigner signer(kKey);
  const std::string token = signer.sign(claims_for_document_42());
  const std::size_t dot = token.find('.');
  for (std::size_t i = dot + 1; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    // A change confined to the unused low bits of the last character may decode to the same
    // bytes; every other change must be refused.
    auto decoded_same = base::from_base64url(changed.substr(dot + 1), "signature");
    auto original = base::from_base64url(token.substr(dot + 1), "signature");
    if (decoded_same && original && *decoded_same == *original) continue;
    expect_denied(signer.verify(changed, "collab", kNow),
                  "signature changed at " + std::to_string(i));
  }
  expect_denied(signer.verify(token.substr(0, dot + 1), "collab", kNow), "no signature");
  expect_denied(signer.verify(token.substr(0, token.size() - 4), "collab", kNow),
                "a shortened signature");
  expect_denied(signer.verify(token + "AAAA", "collab", kNow), "a lengthened signature");
}

TEST(TokenSignerTest, RefusesEveryTruncation) {
  const TokenSigner signer(kKey);
  const std::string token = signer.sign(claims_for_document_42());
  for (std::size_t cut = 0; cut < token.size(); ++cut) {
    expect_denied(signer.verify(token.substr(0, cut), "collab", kNow),
                  "token cut to " + std::to_string(cut));
  }
}

TEST(TokenSignerTest, RefusesMalformedStrings) {
  const TokenSigner signer(kKey);
  const std::string token = signer.sign(claims_for_document_42());
  const std::string signature = token.substr(token.find('.') + 1);
  const std::vector<std::string> malformed = {
      "",
      ".",
      "nodot",
      token.substr(0, token.find('.')) + signature,  // the dot removed
      "!!!!." + signature,                           // not base64
      "a.b.c",
      token + ".extra",
      "=" + token,
      std::string(5000, 'A') + "." + signature,  // huge
      std::string(100'000, '.'),
      std::string("\0\0\0.\0\0", 6),
  };
  for (const std::string& bad : malformed) {
    expect_denied(signer.verify(bad, "collab", kNow), "'" + bad.substr(0, 40) + "'");
  }
}

TEST(TokenSignerTest, FieldsCannotBeSmuggledThroughTheSeparator) {
  // A resource id or purpose holding the payload's separator must not yield a token that
  // verifies with other claims than those signed.
  const TokenSigner signer(kKey);
  const std::string smuggled_expiry =
      signer.sign({"collab", 7, "42|99999999999", kNow - 1h});  // expired, tries to extend
  auto verified = signer.verify(smuggled_expiry, "collab", kNow);
  if (verified) {
    EXPECT_EQ(verified->resource_id, "42|99999999999");
    EXPECT_LE(verified->expires_at, kNow);
  }
  ASSERT_FALSE(verified) << "an expired token became valid";

  const std::string smuggled_person = signer.sign({"collab|1", 7, "42", kNow + 1h});
  auto as_collab = signer.verify(smuggled_person, "collab", kNow);
  EXPECT_FALSE(as_collab && as_collab->person_id == 1) << "person 7's token now names person 1";
}

// load_or_create_server_key needs the database: run on SQLite, and on PostgreSQL as "pg.".
class ServerKeyTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), migrations());
    ASSERT_TRUE(applied) << applied.error().message;
  }

  Result<std::string> key(std::string_view name, store::Database& database) {
    return database.transaction(
        [&](store::Connection& c) { return load_or_create_server_key(c, name); });
  }
};

TEST_F(ServerKeyTest, CreatesA32ByteKeyOnceAndReturnsItEveryTime) {
  auto first = key("collab-token", db());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), 32u);
  EXPECT_NE(*first, std::string(32, '\0'));

  auto second = key("collab-token", db());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, *first);

  // Another pool onto the same database (another node, the CLI) reads the same key.
  auto other_pool = open_another();
  ASSERT_NE(other_pool, nullptr);
  auto third = key("collab-token", *other_pool);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(*third, *first);

  // Tokens signed under it verify under it after a "restart".
  const std::string token = TokenSigner(*first).sign({"collab", 7, "42", kNow + 1min});
  EXPECT_TRUE(TokenSigner(*third).verify(token, "collab", kNow));
}

TEST_F(ServerKeyTest, DifferentNamesHaveDifferentKeys) {
  auto collab = key("collab-token", db());
  auto other = key("export-token", db());
  ASSERT_TRUE(collab && other);
  EXPECT_EQ(other->size(), 32u);
  EXPECT_NE(*collab, *other);
}

TEST_F(ServerKeyTest, RacingCreatorsAgreeOnOneKey) {
  constexpr int kThreads = 4;
  std::vector<std::string> keys(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto k = db().with_connection(
          [&](store::Connection& c) { return load_or_create_server_key(c, "raced"); });
      if (k) {
        keys[static_cast<std::size_t>(t)] = *k;
      } else {
        errors[static_cast<std::size_t>(t)] = k.error().message;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[static_cast<std::size_t>(t)], "") << "thread " << t;
    EXPECT_EQ(keys[static_cast<std::size_t>(t)], keys[0]) << "thread " << t;
  }
  EXPECT_EQ(keys[0].size(), 32u);
}

TEST_F(ServerKeyTest, RefusesAStoredKeyThatIsTooShort) {
  ASSERT_TRUE(db().with_connection([](store::Connection& c) {
    return c.execute("INSERT INTO server_keys (name, secret) VALUES (?, ?)",
                     {std::string("short"), store::Bytes{std::string(16, 's')}});
  }));
  auto short_key = key("short", db());
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().kind, ErrorKind::corrupt);
}

}  // namespace
}  // namespace agora::auth
