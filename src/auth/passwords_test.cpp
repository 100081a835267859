#include "auth/passwords.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

namespace agora::auth {
namespace {

TEST(Passwords, HashVerifiesOnlyTheRightPassword) {
  auto hash = hash_password("agora-demo-2026");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << *hash;
  EXPECT_TRUE(verify_password(*hash, "agora-demo-2026"));
  EXPECT_FALSE(verify_password(*hash, "agora-demo-2027"));
  EXPECT_FALSE(verify_password(*hash, ""));
  EXPECT_FALSE(needs_rehash(*hash));
}

TEST(Passwords, EachHashHasItsOwnSalt) {
  auto a = hash_password("same password");
  auto b = hash_password("same password");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password(*b, "same password"));
}

TEST(Passwords, HandlesBytesBeyondAscii) {
  auto hash = hash_password(std::string("Cyfrinair\0ŵŷ", 14));
  ASSERT_TRUE(hash);
  EXPECT_TRUE(verify_password(*hash, std::string("Cyfrinair\0ŵŷ", 14)));
  EXPECT_FALSE(verify_password(*hash, "Cyfrinair"));  // the NUL byte is not an end
}

TEST(Passwords, RejectsEmptyAndOverlongPasswords) {
  auto empty = hash_password("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(empty.error().message, "the password is empty");

  auto long_one = hash_password(std::string(kMaxPasswordBytes + 1, 'x'));
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.error().message, "the password is 1025 bytes; the limit is 1024");
}

TEST(Passwords, MalformedHashesNeverVerifyAndNeedRehash) {
  for (const std::string_view bad : {"", "plain text", "$argon2id$v=19$m=65536,t=3,p=1$broken",
                                     "$2b$12$abcdefghijklmnopqrstuv"}) {
    EXPECT_FALSE(verify_password(bad, "anything")) << bad;
    EXPECT_TRUE(needs_rehash(bad)) << bad;
  }
}

TEST(Passwords, OlderCostNeedsRehashButStillVerifies) {
  ASSERT_GE(sodium_init(), 0);
  char weaker[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(weaker, "pw", 2, crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_TRUE(verify_password(weaker, "pw"));
  EXPECT_TRUE(needs_rehash(weaker));
}

TEST(Passwords, Argon2iHashesAreRefused) {
  ASSERT_GE(sodium_init(), 0);
  char argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "pw", 2, crypto_pwhash_argon2i_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2I13),
            0);
  EXPECT_FALSE(verify_password(argon2i, "pw"));
  EXPECT_TRUE(needs_rehash(argon2i));
}

}  // namespace
}  // namespace agora::auth
