#pragma once
// Translation of the portable `?` placeholders into PostgreSQL's numbered ones. Internal to store/.

#include <cstddef>
#include <string>
#include <string_view>

namespace agora::store {

/// SQL in PostgreSQL's placeholder syntax and how many placeholders it has.
struct PostgresSql {
  std::string text;
  std::size_t placeholder_count = 0;
};

/// Rewrites each `?` to $1, $2, ... in order, leaving alone those inside string literals
/// ('...', E'...', $tag$...$tag$), quoted identifiers and comments.
PostgresSql to_postgres_placeholders(std::string_view sql);

}  // namespace agora::store
