#include "auth/totp.hpp"

#include "auth/recovery_codes.hpp"
#include "auth/sessions.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace agora::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

// RFC 4648 section 10.
TEST(Base32, Rfc4648TestVectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(to_base32(bytes), text);
    auto decoded = from_base32(text);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(to_base32("foobar", false), "MZXW6YTBOI");
  EXPECT_EQ(*from_base32("mzxw6ytboi"), "foobar");  // either case, no padding
}

TEST(Base32, RoundTripsEveryLength) {
  base::SeededRandom random(20261122);
  SCOPED_TRACE(testing::Message() << "seed " << random.seed());
  for (std::size_t length = 0; length < 64; ++length) {
    const std::string bytes = random.bytes(length);
    auto decoded = from_base32(to_base32(bytes, length % 2 == 0));
    ASSERT_TRUE(decoded) << length;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base32, RefusesWhatIsNotBase32) {
  for (const std::string_view bad : {"MZXW1===", "MZ XW", "M", "MZX", "MZXW6Y", "MZ=XW6=="}) {
    auto decoded = from_base32(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().kind, ErrorKind::invalid_input);
  }
  EXPECT_EQ(from_base32("MZXW1===").error().message, "'1' at position 5 is not a base32 character");
}

// RFC 6238 Appendix B, the SHA-1 rows: seed "12345678901234567890", 8 digits.
TEST(Totp, Rfc6238TestVectors) {
  const std::string_view seed = "12345678901234567890";
  const std::pair<std::int64_t, std::string_view> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"},
  };
  for (const auto& [time, code] : vectors) {
    EXPECT_EQ(totp_code(seed, totp_step(at(time)), 8), code) << "time " << time;
  }
  // The last row, time 20000000000 (year 2603), is past what system_clock's nanoseconds hold, so
  // it is checked by its step, the table's T column.
  EXPECT_EQ(totp_code(seed, 0x27BC86AA, 8), "65353130");
}

TEST(Totp, SixDigitCodesAreTheLastSixOfEight) {
  // Both are the same truncated value modulo 10^digits, so the 6-digit code is the tail.
  const std::string_view seed = "12345678901234567890";
  EXPECT_EQ(totp_code(seed, totp_step(at(1111111109))), "081804");
  EXPECT_EQ(totp_code(seed, totp_step(at(59))), "287082");
}

TEST(Totp, StepsAreThirtySeconds) {
  EXPECT_EQ(totp_step(at(0)), 0);
  EXPECT_EQ(totp_step(at(29)), 0);
  EXPECT_EQ(totp_step(at(30)), 1);
  EXPECT_EQ(totp_step(at(59)), 1);
  EXPECT_EQ(totp_step(at(1111111109)), 0x23523EC);  // RFC 6238 Appendix B's T column
  EXPECT_EQ(totp_step(at(-1)), -1);
}

TEST(Totp, AcceptsTheCurrentStepAndOneEitherSide) {
  const std::string secret = "12345678901234567890";
  const auto now = at(1'800'000'015);
  const std::int64_t step = totp_step(now);
  for (std::int64_t offset : {-1, 0, 1}) {
    auto accepted = verify_totp(secret, totp_code(secret, step + offset), now, 0);
    ASSERT_TRUE(accepted) << offset;
    EXPECT_EQ(*accepted, step + offset);
  }
  for (std::int64_t offset : {-3, -2, 2, 3}) {
    EXPECT_FALSE(verify_totp(secret, totp_code(secret, step + offset), now, 0)) << offset;
  }
}

TEST(Totp, ACodeWorksOnce) {
  const std::string secret = "12345678901234567890";
  const auto now = at(1'800'000'015);
  const std::string code = totp_code(secret, totp_step(now));
  auto first = verify_totp(secret, code, now, 0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(verify_totp(secret, code, now, *first));
  // Nor an earlier code once a later one has been used.
  EXPECT_FALSE(verify_totp(secret, totp_code(secret, *first - 1), now, *first));
  // The next step's code still works.
  EXPECT_TRUE(verify_totp(secret, totp_code(secret, *first + 1), now + seconds(30), *first));
}

TEST(Totp, RefusesMalformedCodesAndOtherSecrets) {
  const std::string secret = "12345678901234567890";
  const auto now = at(1'800'000'015);
  const std::string code = totp_code(secret, totp_step(now));
  for (const std::string& bad :
       {std::string(), code.substr(0, 5), code + "0", " " + code,
        code.substr(0, 3) + " " + code.substr(3), std::string("12345a"),
        std::string("１２３４５６"), totp_code(secret, totp_step(now), 8)}) {
    EXPECT_FALSE(verify_totp(secret, bad, now, 0)) << bad;
  }
  EXPECT_FALSE(verify_totp("another secret of 20b", code, now, 0));
}

TEST(Totp, NewSecretsAreTwentyRandomBytes) {
  const std::string a = new_totp_secret();
  const std::string b = new_totp_secret();
  EXPECT_EQ(a.size(), kTotpSecretBytes);
  EXPECT_NE(a, b);
  base::SeededRandom one(7), two(7);
  EXPECT_EQ(new_totp_secret(one), new_totp_secret(two));  // the generator is what is injected
}

TEST(Totp, OtpauthUri) {
  EXPECT_EQ(otpauth_uri("12345678901234567890", "ann@afonvalley.gov.uk"),
            "otpauth://totp/Agora:ann@afonvalley.gov.uk?"
            "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Agora");
  EXPECT_EQ(otpauth_uri("x", "o'brien+tag@x.org"),
            "otpauth://totp/Agora:o%27brien%2Btag@x.org?secret=PA&issuer=Agora");
}

TEST(RecoveryCodes, TenDistinctCodesOfFiftyBits) {
  base::SeededRandom random(20261122);
  SCOPED_TRACE(testing::Message() << "seed " << random.seed());
  const auto codes = new_recovery_codes(random);
  ASSERT_EQ(codes.size(), kRecoveryCodeCount);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), codes.size());
  for (const std::string& code : codes) {
    ASSERT_EQ(code.size(), 11u) << code;
    EXPECT_EQ(code[5], '-') << code;
    const std::string digits = code.substr(0, 5) + code.substr(6);
    // Ten base32 characters: 50 bits, and decodable as base32 in either case.
    for (const char c : digits) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << code;
    }
  }
  // Every character of the alphabet turns up across many codes: the generator is not stuck.
  std::set<char> seen;
  for (int i = 0; i < 20; ++i) {
    for (const std::string& code : new_recovery_codes(random))
      seen.insert(code.begin(), code.end());
  }
  EXPECT_EQ(seen.size(), 33u);  // 32 base32 characters and the hyphen
}

TEST(RecoveryCodes, NormalisedAsTypedAndStoredHashed) {
  EXPECT_EQ(normalise_recovery_code("ABCDE-FGH23"), "abcdefgh23");
  EXPECT_EQ(normalise_recovery_code(" abcde fgh23 "), "abcdefgh23");
  EXPECT_EQ(normalise_recovery_code("abc-de\tfgh-23"), "abcdefgh23");
  EXPECT_EQ(recovery_code_hash("ABCDE FGH23"), recovery_code_hash("abcde-fgh23"));
  EXPECT_EQ(recovery_code_hash("abcde-fgh23"), token_hash("abcdefgh23"));
  EXPECT_NE(recovery_code_hash("abcde-fgh23"), recovery_code_hash("abcde-fgh24"));
  EXPECT_EQ(recovery_code_hash("abcde-fgh23").data.size(), 32u);
}

}  // namespace
}  // namespace agora::auth
