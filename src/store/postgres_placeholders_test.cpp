#include "store/postgres_placeholders.hpp"

#include <gtest/gtest.h>

namespace agora::store {
namespace {

struct Case {
  std::string_view sql;
  std::string_view expected;
  std::size_t count;
};

TEST(PostgresPlaceholdersTest, NumbersPlaceholdersOutsideQuotesAndComments) {
  const Case cases[] = {
      {"SELECT 1", "SELECT 1", 0},
      {"a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)", 3},
      {"'?' || ?", "'?' || $1", 1},
      {"'it''s ?' || ?", "'it''s ?' || $1", 1},
      {R"(E'\'?' || ?)", R"(E'\'?' || $1)", 1},
      {R"(fe'\' || ?)", R"(fe'\' || $1)", 1},  // "fe" is a word, not the E prefix
      {R"("col?" = ?)", R"("col?" = $1)", 1},
      {"? -- what?\n, ?", "$1 -- what?\n, $2", 2},
      {"? /* a /* nested? */ still? */ ?", "$1 /* a /* nested? */ still? */ $2", 2},
      {"$$?$$ || $fn$ ? $x$ ? $fn$ || ?", "$$?$$ || $fn$ ? $x$ ? $fn$ || $1", 1},
      {"a$b = ? AND x = $1", "a$b = $1 AND x = $1", 1},
      {"'unterminated ?", "'unterminated ?", 0},
      {"-- only a comment ?", "-- only a comment ?", 0},
  };
  for (const Case& c : cases) {
    const PostgresSql out = to_postgres_placeholders(c.sql);
    EXPECT_EQ(out.text, c.expected) << c.sql;
    EXPECT_EQ(out.placeholder_count, c.count) << c.sql;
  }
}

}  // namespace
}  // namespace agora::store
