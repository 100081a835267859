#include "base/base64.hpp"

#include <gtest/gtest.h>

namespace agora::base {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 section 10.
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(to_base64(bytes_of(plain)), encoded);
    EXPECT_EQ(from_base64(encoded, "x").value(), bytes_of(plain));
    std::string unpadded(encoded.substr(0, encoded.find('=')));
    EXPECT_EQ(to_base64url(bytes_of(plain)), unpadded);
    EXPECT_EQ(from_base64url(unpadded, "x").value(), bytes_of(plain));
  }
}

TEST(Base64, UrlSafeAlphabet) {
  const std::vector<std::uint8_t> high = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(to_base64(high), "+/+/");
  EXPECT_EQ(to_base64url(high), "-_-_");
  EXPECT_EQ(from_base64url("-_-_", "x").value(), high);
  EXPECT_FALSE(from_base64url("+/+/", "x"));
}

TEST(Base64, RefusalsNameTheInput) {
  auto bad_char = from_base64("Zm9*", "the state");
  ASSERT_FALSE(bad_char);
  EXPECT_EQ(bad_char.error().message, "the state is not valid base64 (unexpected '*')");
  auto bad_length = from_base64("Zm9", "the state");
  ASSERT_FALSE(bad_length);
  EXPECT_EQ(bad_length.error().message,
            "the state is not valid base64 (its length is not a multiple of 4)");
  EXPECT_FALSE(from_base64url("Z", "token"));
  EXPECT_FALSE(from_base64("Zg=a", "x"));
}

}  // namespace
}  // namespace agora::base
