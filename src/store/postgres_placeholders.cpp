#include "store/postgres_placeholders.hpp"

#include <cctype>

namespace agora::store {
namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Each function below returns the index just past the construct starting at `i`, or the end
// of `sql` when it is unterminated (the server then reports the error).

std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote, bool backslash_escapes) {
  // A doubled quote ('it''s') closes and at once reopens, so it needs no special case.
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
    if (backslash_escapes && sql[j] == '\\') {
      ++j;
    } else if (sql[j] == quote) {
      return j + 1;
    }
  }
  return sql.size();
}

std::size_t skip_block_comment(std::string_view sql, std::size_t i) {
  int depth = 0;  // PostgreSQL block comments nest
  for (std::size_t j = i; j + 1 < sql.size(); ++j) {
    if (sql[j] == '/' && sql[j + 1] == '*') {
      ++depth;
      ++j;
    } else if (sql[j] == '*' && sql[j + 1] == '/') {
      ++j;
      if (--depth == 0) return j + 1;
    }
  }
  return sql.size();
}

// $tag$ ... $tag$, where tag is empty or an identifier; 0 when `i` starts no such quote.
std::size_t skip_dollar_quoted(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) return 0;
  while (j < sql.size() && is_identifier_char(sql[j])) ++j;
  if (j >= sql.size() || sql[j] != '$') return 0;
  const std::string_view tag = sql.substr(i, j - i + 1);
  const std::size_t end = sql.find(tag, j + 1);
  return end == std::string_view::npos ? sql.size() : end + tag.size();
}

}  // namespace

PostgresSql to_postgres_placeholders(std::string_view sql) {
  PostgresSql out;
  out.text.reserve(sql.size() + 16);
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    const bool after_identifier = i > 0 && is_identifier_char(sql[i - 1]);
    std::size_t end = i + 1;
    if (c == '\'') {
      // E'...' strings take backslash escapes; the E must be a word of its own.
      const bool escaped = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !is_identifier_char(sql[i - 2]));
      end = skip_quoted(sql, i, '\'', escaped);
    } else if (c == '"') {
      end = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && next == '-') {
      const std::size_t newline = sql.find('\n', i);
      end = newline == std::string_view::npos ? sql.size() : newline + 1;
    } else if (c == '/' && next == '*') {
      end = skip_block_comment(sql, i);
    } else if (c == '$' && !after_identifier) {
      if (const std::size_t quoted = skip_dollar_quoted(sql, i); quoted != 0) end = quoted;
    } else if (c == '?') {
      out.text += '$';
      out.text += std::to_string(++out.placeholder_count);
      ++i;
      continue;
    }
    out.text.append(sql.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace agora::store
