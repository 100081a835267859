#include "auth/password_rules.hpp"

#include "auth/passwords.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace agora::auth {
namespace {

constexpr std::string_view kEmail = "ann.jones@afonvalley.gov.uk";
constexpr std::string_view kName = "Ann Jones";

std::optional<PasswordProblem> problem(std::string_view password) {
  return find_password_problem(password, kEmail, kName);
}

TEST(PasswordRules, AcceptsLongUncommonPasswords) {
  for (const std::string_view good : {"kettle orchard violin", "Cyfrinair-hir-iawn", "ŵŷŵŷŵŷŵŷŵŷ",
                                      "correct horse battery staple"}) {
    EXPECT_EQ(problem(good), std::nullopt) << good;
    EXPECT_TRUE(check_new_password(good, kEmail, kName)) << good;
  }
}

TEST(PasswordRules, CountsCharactersNotBytes) {
  // Nine Welsh letters are 18 bytes but still nine characters; ten are enough.
  EXPECT_EQ(problem("ŵŷŵŷŵŷŵŷŵ"), PasswordProblem::too_short);
  EXPECT_EQ(problem("ŵŷŵŷŵŷŵŷŵŷ"), std::nullopt);
  EXPECT_EQ(problem("123456789"), PasswordProblem::too_short);
  auto short_one = check_new_password("abcdefgh", kEmail, kName);
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(short_one.error().message,
            "Your password must be at least 10 characters long; this one has 8");
}

TEST(PasswordRules, RefusesOverlongAndMalformedPasswords) {
  EXPECT_EQ(problem(std::string(kMaxPasswordBytes, 'q')), std::nullopt);
  EXPECT_EQ(problem(std::string(kMaxPasswordBytes + 1, 'q')), PasswordProblem::too_long);
  EXPECT_EQ(
      check_new_password(std::string(kMaxPasswordBytes + 1, 'q'), kEmail, kName).error().message,
      "Your password must be at most 1024 bytes long; this one has 1025");
  EXPECT_EQ(problem("abcdefghij\xff"), PasswordProblem::not_utf8);
  EXPECT_EQ(problem("abcdefghij\xc3"), PasswordProblem::not_utf8);          // cut short
  EXPECT_EQ(problem("abcdefghij\xed\xa0\x80"), PasswordProblem::not_utf8);  // a surrogate
}

TEST(PasswordRules, RefusesTheEmailAndTheName) {
  EXPECT_EQ(problem("ann.jones@afonvalley.gov.uk"), PasswordProblem::is_personal);
  EXPECT_EQ(problem("Ann.Jones@AfonValley.gov.uk"), PasswordProblem::is_personal);
  EXPECT_EQ(problem("ANN.JONES1"), std::nullopt);  // like the local part is not the local part
  EXPECT_EQ(find_password_problem("siangwynfor", "SianGwynfor@x.org", ""),
            PasswordProblem::is_personal);
  EXPECT_EQ(find_password_problem("Rhiannon Llewellyn", "r@x.org", "Rhiannon Llewellyn"),
            PasswordProblem::is_personal);
  EXPECT_EQ(find_password_problem("rhiannon.llewellyn", "r@x.org", "Rhiannon Llewellyn"),
            PasswordProblem::is_personal);
  EXPECT_EQ(find_password_problem("rhiannon llewellyn 2", "r@x.org", "Rhiannon Llewellyn"),
            std::nullopt);
  // No email or name known: nothing personal to compare with.
  EXPECT_EQ(find_password_problem("kettle orchard violin", "", ""), std::nullopt);
  EXPECT_EQ(check_new_password("ann.jones@afonvalley.gov.uk", kEmail, kName).error().message,
            "Your password must not be your email address or your name");
}

TEST(PasswordRules, RefusesCommonPasswordsIgnoringCase) {
  for (const std::string_view common : {"qwertyuiop", "1234567890", "basketball", "QwertyUIOP",
                                        "BASKETBALL", "1q2w3e4r5t", "iloveyou2"}) {
    if (common.size() < kMinPasswordCharacters) continue;
    EXPECT_EQ(problem(common), PasswordProblem::too_common) << common;
  }
  EXPECT_TRUE(is_common_password("password"));
  EXPECT_TRUE(is_common_password("PassWord"));
  EXPECT_FALSE(is_common_password("kettle orchard violin"));
  EXPECT_FALSE(is_common_password(""));
  auto refused = check_new_password("qwertyuiop", kEmail, kName);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().message.starts_with("Your password is one of the most commonly used"))
      << refused.error().message;
}

TEST(PasswordRules, TheWholeListIsBuiltIn) {
  // Every line of src/auth/data/common-passwords.txt, read from the source tree, is known to the binary.
  std::ifstream in(std::string(AGORA_SOURCE_DIR) + "/src/auth/data/common-passwords.txt");
  ASSERT_TRUE(in) << "cannot read src/auth/data/common-passwords.txt";
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++lines;
    EXPECT_TRUE(is_common_password(line)) << line;
    if (line.size() >= kMinPasswordCharacters && line.find('@') == std::string::npos) {
      EXPECT_EQ(problem(line), PasswordProblem::too_common) << line;
    }
  }
  EXPECT_EQ(lines, 10000);
}

TEST(PasswordRules, EveryProblemHasAMessageInEachLanguage) {
  for (const std::string_view language : {"en", "cy"}) {
    const std::string path = std::string(AGORA_SOURCE_DIR) + "/templates/messages/" +
                             std::string(language) + "/password_rules.json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const std::string catalogue((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    for (const PasswordProblem p :
         {PasswordProblem::not_utf8, PasswordProblem::too_long, PasswordProblem::too_short,
          PasswordProblem::is_personal, PasswordProblem::too_common}) {
      const std::string_view key = message_key(p);
      ASSERT_TRUE(key.starts_with("password_rules.")) << key;
      const std::string entry = "\"" + std::string(key.substr(15)) + "\":";
      EXPECT_NE(catalogue.find(entry), std::string::npos) << path << " has no " << key;
    }
  }
  EXPECT_EQ(message_key(PasswordProblem::too_short), "password_rules.too_short");
}

}  // namespace
}  // namespace agora::auth
