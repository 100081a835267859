#include "base/result.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

Result<int> parse_positive(int n) {
  if (n <= 0) return fail(ErrorKind::invalid_input, "n is " + std::to_string(n) + "; it must be above 0");
  return n;
}

Result<> doubled_is_small(int n) {
  AGORA_TRY(parse_positive(n));
  if (n * 2 > 10) return fail(ErrorKind::too_large, "too large");
  return {};
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(parse_positive(3).value(), 3);
  auto r = parse_positive(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(r.error().message, "n is -1; it must be above 0");
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_TRUE(doubled_is_small(2));
  EXPECT_EQ(doubled_is_small(-2).error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(doubled_is_small(9).error().kind, ErrorKind::too_large);
}

TEST(Result, ValueOnErrorThrowsErrorException) {
  EXPECT_THROW(parse_positive(0).value(), ErrorException);
}

TEST(Result, KindsHaveNames) { EXPECT_EQ(to_string(ErrorKind::not_found), "not_found"); }

}  // namespace
}  // namespace agora
