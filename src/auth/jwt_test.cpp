#include "auth/jwt.hpp"

#include "auth/jwt_testing.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace agora::auth::jwt {
namespace {

namespace json = boost::json;
using testing::jwks_of;
using testing::TestKey;

const json::object kPayload{{"iss", "https://idp.example"},
                            {"sub", "248289761001"},
                            {"aud", "agora"},
                            {"nonce", "n-0S6_WzA2Mj"}};

// Keys are slow to make (RSA especially); each test binary makes them once.
const TestKey& rsa_key() {
  static const TestKey key = TestKey::generate(true, "rsa-1");
  return key;
}
const TestKey& ec_key() {
  static const TestKey key = TestKey::generate(false, "ec-1");
  return key;
}

Jwk jwk_of(const TestKey& key) {
  auto jwk = parse_jwk(key.public_jwk());
  EXPECT_TRUE(jwk) << jwk.error().message;
  return jwk ? *jwk : Jwk{};
}

// Parses `token` and checks it against `key`: the whole path a signed token takes.
Result<> parse_and_verify(const std::string& token, const Jwk& key) {
  auto jws = parse(token);
  if (!jws) return jws.error();
  return verify(*jws, key);
}

// The token with its payload replaced by `payload` but the original signature kept.
std::string with_payload(const std::string& token, const json::object& payload) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return token.substr(0, first + 1) + base64url_encode(json::serialize(payload)) +
         token.substr(second);
}

TEST(JwtTest, Base64urlRoundTripsAndRefusesOtherForms) {
  const std::string bytes("\xfb\xff\x00\x10 ok", 7);
  const std::string encoded = base64url_encode(bytes);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  auto decoded = base64url_decode(encoded, "test");
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, bytes);

  EXPECT_FALSE(base64url_decode("YQ==", "test"));  // padding
  EXPECT_FALSE(base64url_decode("+/8", "test"));   // the standard alphabet
  EXPECT_FALSE(base64url_decode("YR", "test"));    // "a" is "YQ"; "YR" sets unused bits
  EXPECT_FALSE(base64url_decode("Y", "test"));     // no whole byte
}

TEST(JwtTest, VerifiesRs256AndEs256TokensSignedByOpenssl) {
  for (const TestKey* key : {&rsa_key(), &ec_key()}) {
    const std::string token = key->sign(kPayload);
    auto jws = parse(token);
    ASSERT_TRUE(jws) << jws.error().message;
    EXPECT_EQ(jws->alg, key->rsa() ? "RS256" : "ES256");
    EXPECT_EQ(jws->kid, key->kid());
    EXPECT_EQ(jws->payload, kPayload);
    auto verified = verify(*jws, jwk_of(*key));
    EXPECT_TRUE(verified) << key->kid() << ": " << verified.error().message;
  }
}

TEST(JwtTest, RefusesATamperedPayload) {
  for (const TestKey* key : {&rsa_key(), &ec_key()}) {
    json::object changed = kPayload;
    changed["sub"] = "someone-else";
    const std::string token = with_payload(key->sign(kPayload), changed);
    auto verified = parse_and_verify(token, jwk_of(*key));
    ASSERT_FALSE(verified) << key->kid();
    EXPECT_EQ(verified.error().kind, ErrorKind::permission_denied);
  }
}

TEST(JwtTest, RefusesATamperedSignature) {
  for (const TestKey* key : {&rsa_key(), &ec_key()}) {
    auto jws = parse(key->sign(kPayload));
    ASSERT_TRUE(jws);
    jws->signature[jws->signature.size() / 2] ^= 0x01;
    EXPECT_FALSE(verify(*jws, jwk_of(*key))) << key->kid();
  }
}

TEST(JwtTest, RefusesASignatureByAnotherKeyPublishedUnderTheSameKid) {
  const TestKey other_rsa = TestKey::generate(true, rsa_key().kid());
  const TestKey other_ec = TestKey::generate(false, ec_key().kid());
  EXPECT_FALSE(parse_and_verify(other_rsa.sign(kPayload), jwk_of(rsa_key())));
  EXPECT_FALSE(parse_and_verify(other_ec.sign(kPayload), jwk_of(ec_key())));
  // The same tokens pass with their own keys, so the refusals above are about the key.
  EXPECT_TRUE(parse_and_verify(other_rsa.sign(kPayload), jwk_of(other_rsa)));
  EXPECT_TRUE(parse_and_verify(other_ec.sign(kPayload), jwk_of(other_ec)));
}

TEST(JwtTest, RefusesAnAlgorithmThatDoesNotFitTheKey) {
  // An RSA signature labelled ES256, checked against the RSA key, and the other way round.
  EXPECT_FALSE(parse_and_verify(rsa_key().sign(kPayload, "ES256"), jwk_of(rsa_key())));
  EXPECT_FALSE(parse_and_verify(ec_key().sign(kPayload, "RS256"), jwk_of(ec_key())));
  // Correctly labelled tokens checked against a key of the other type.
  EXPECT_FALSE(parse_and_verify(rsa_key().sign(kPayload), jwk_of(ec_key())));
  EXPECT_FALSE(parse_and_verify(ec_key().sign(kPayload), jwk_of(rsa_key())));
  // Algorithms that differ only in case or hash size are other algorithms.
  for (const char* alg : {"rs256", "RS384", "PS256", "ES384", "EdDSA"}) {
    auto verified = parse_and_verify(rsa_key().sign(kPayload, alg), jwk_of(rsa_key()));
    EXPECT_FALSE(verified) << alg;
  }
}

TEST(JwtTest, RefusesAKeyPublishedForAnotherAlgorithm) {
  json::object jwk = rsa_key().public_jwk();
  jwk["alg"] = "RS512";
  auto key = parse_jwk(jwk);
  ASSERT_TRUE(key) << key.error().message;
  auto verified = parse_and_verify(rsa_key().sign(kPayload), *key);
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().message.find("RS512"), std::string::npos) << verified.error().message;
}

TEST(JwtTest, RefusesAlgNoneAndHmac) {
  const std::string body = base64url_encode(json::serialize(kPayload));
  const std::string none = base64url_encode(R"({"alg":"none","kid":"rsa-1"})") + "." + body + ".";
  auto parsed = parse(none);
  ASSERT_TRUE(parsed) << "an empty signature part is well-formed; verify must refuse it";
  auto verified = verify(*parsed, jwk_of(rsa_key()));
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().kind, ErrorKind::permission_denied);
  EXPECT_NE(verified.error().message.find("none"), std::string::npos);

  // HS256 keyed with the public key's bytes: the classic confusion attack.
  const json::object jwk = rsa_key().public_jwk();
  const std::string hs = base64url_encode(R"({"alg":"HS256","kid":"rsa-1"})") + "." + body + "." +
                         base64url_encode(std::string(jwk.at("n").as_string()));
  EXPECT_FALSE(parse_and_verify(hs, jwk_of(rsa_key())));
}

TEST(JwtTest, RefusesEveryTruncationOfAToken) {
  for (const TestKey* key : {&rsa_key(), &ec_key()}) {
    const std::string token = key->sign(kPayload);
    const Jwk jwk = jwk_of(*key);
    for (std::size_t length = 0; length < token.size(); ++length) {
      EXPECT_FALSE(parse_and_verify(token.substr(0, length), jwk))
          << key->kid() << " cut to " << length << " of " << token.size() << " bytes";
    }
  }
}

TEST(JwtTest, RefusesMalformedTokens) {
  const std::string good = ec_key().sign(kPayload);
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse("a.b"));
  EXPECT_FALSE(parse(good + ".extra"));
  EXPECT_FALSE(parse(std::string(kMaxTokenBytes + 1, 'a')));
  const std::string body = base64url_encode(json::serialize(kPayload));
  EXPECT_FALSE(parse(base64url_encode("[1]") + "." + body + ".c2ln"));  // header not object
  EXPECT_FALSE(parse(base64url_encode(R"({"kid":"x"})") + "." + body + ".c2ln"));     // no alg
  EXPECT_FALSE(parse(base64url_encode(R"({"alg":"ES256"})") + ".bm90IGpzb24.c2ln"));  // payload
  EXPECT_FALSE(parse(base64url_encode(R"({"alg":"ES256","crit":["exp"]})") + "." + body + ".c2ln"));
}

TEST(JwtTest, FindsKeysByKidOrTheOnlyFittingKey) {
  auto keys = parse_jwks(jwks_of({&rsa_key(), &ec_key()}));
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);

  auto jws = parse(ec_key().sign(kPayload));
  ASSERT_TRUE(jws);
  auto found = find_key(*keys, *jws);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kid, "ec-1");
  EXPECT_TRUE(verify(*jws, *found));

  auto unknown = parse(TestKey::generate(false, "rotated-away").sign(kPayload));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(find_key(*keys, *unknown));

  // Without a kid the one key that fits the algorithm is used; with two candidates, none is.
  auto no_kid = parse(rsa_key().sign(kPayload, "", false));
  ASSERT_TRUE(no_kid);
  auto only = find_key(*keys, *no_kid);
  ASSERT_TRUE(only);
  EXPECT_EQ(only->kid, "rsa-1");
  const TestKey second_rsa = TestKey::generate(true, "rsa-2");
  auto ambiguous = parse_jwks(jwks_of({&rsa_key(), &second_rsa}));
  ASSERT_TRUE(ambiguous);
  EXPECT_FALSE(find_key(*ambiguous, *no_kid));
}

TEST(JwtTest, KeySetsLeaveOutKeysThatCannotVerify) {
  json::object encryption = ec_key().public_jwk();
  encryption["use"] = "enc";
  encryption["kid"] = "enc-1";
  json::array keys{rsa_key().public_jwk(), encryption,
                   json::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}},
                   json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}}, 42};
  auto set = parse_jwks(json::serialize(json::object{{"keys", keys}}));
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(set->front().kid, "rsa-1");

  EXPECT_FALSE(parse_jwks("{}"));
  EXPECT_FALSE(parse_jwks("not json"));
  EXPECT_FALSE(parse_jwks(R"({"keys": {}})"));
}

TEST(JwtTest, RefusesUnsafeOrMalformedKeys) {
  // A point moved off the curve.
  json::object off_curve = ec_key().public_jwk();
  std::string y = *base64url_decode(std::string(off_curve.at("y").as_string()), "y");
  y.back() ^= 0x01;
  off_curve["y"] = base64url_encode(y);
  EXPECT_FALSE(parse_jwk(off_curve));

  json::object other_curve = ec_key().public_jwk();
  other_curve["crv"] = "P-384";
  EXPECT_FALSE(parse_jwk(other_curve));

  json::object short_x = ec_key().public_jwk();
  short_x["x"] = base64url_encode(std::string(31, '\x01'));
  EXPECT_FALSE(parse_jwk(short_x));

  json::object with_private = ec_key().public_jwk();
  with_private["d"] = "AAAA";
  EXPECT_FALSE(parse_jwk(with_private));

  EVP_PKEY* weak = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  ASSERT_NE(weak, nullptr);
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(weak, OSSL_PKEY_PARAM_RSA_N, &n), 1);
  std::string modulus(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(modulus.data()));
  BN_free(n);
  EVP_PKEY_free(weak);
  auto refused =
      parse_jwk(json::object{{"kty", "RSA"}, {"n", base64url_encode(modulus)}, {"e", "AQAB"}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("1024"), std::string::npos) << refused.error().message;

  json::object even_exponent = rsa_key().public_jwk();
  even_exponent["e"] = base64url_encode(std::string("\x01\x00\x00", 3));
  EXPECT_FALSE(parse_jwk(even_exponent));
}

}  // namespace
}  // namespace agora::auth::jwt
