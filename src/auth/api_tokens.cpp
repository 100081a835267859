#include "auth/api_tokens.hpp"

#include "auth/sessions.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace agora::auth {

namespace {

constexpr std::string_view kKnownScopes[] = {kScopeScim};
constexpr std::chrono::seconds kLongestLifetime{366LL * 24 * 3600};

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) scopes.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return scopes;
}

ApiToken token_from(const store::Row& row) {
  ApiToken token;
  token.id = row.integer(0);
  token.person_id = row.integer(1);
  token.name = row.text(2);
  token.scopes = split_scopes(row.text(3));
  token.created_at = base::from_unix_millis(row.integer(4));
  token.expires_at = base::from_unix_millis(row.integer(5));
  if (!row.is_null(6)) token.last_used_at = base::from_unix_millis(row.integer(6));
  return token;
}

constexpr std::string_view kColumns =
    "SELECT id, person_id, name, scopes, created_at, expires_at, last_used_at FROM api_tokens";

}  // namespace

ApiTokenStore::ApiTokenStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<std::string> ApiTokenStore::create(std::int64_t person_id, std::string_view name,
                                          const std::vector<std::string>& scopes,
                                          std::chrono::seconds lifetime) {
  if (name.empty() || name.size() > 100) {
    return fail(ErrorKind::invalid_input, "give the token a name of 1 to 100 characters");
  }
  if (scopes.empty()) return fail(ErrorKind::invalid_input, "choose at least one scope");
  std::string joined;
  for (const std::string& scope : scopes) {
    if (std::find(std::begin(kKnownScopes), std::end(kKnownScopes), scope) ==
        std::end(kKnownScopes)) {
      return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a scope Agora knows", scope));
    }
    if (!joined.empty()) joined += ' ';
    joined += scope;
  }
  if (lifetime <= std::chrono::seconds(0) || lifetime > kLongestLifetime) {
    return fail(ErrorKind::invalid_input, "a token may last from one second to one year");
  }
  const std::string secret = std::string(kApiTokenPrefix) + new_secret_token();
  const auto now = clock_.now();
  AGORA_TRY(connection_.execute(
      "INSERT INTO api_tokens (token_hash, person_id, name, scopes, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {token_hash(secret), person_id, std::string(name), joined, base::to_unix_millis(now),
       base::to_unix_millis(now + lifetime)}));
  return secret;
}

Result<std::optional<ApiToken>> ApiTokenStore::find(std::string_view secret) {
  if (!secret.starts_with(kApiTokenPrefix) || secret.size() > 100) {
    return std::optional<ApiToken>{};
  }
  const std::int64_t now = base::to_unix_millis(clock_.now());
  auto rows = connection_.query(fmt::format("{} WHERE token_hash = ? AND expires_at > ?", kColumns),
                                {token_hash(secret), now});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ApiToken>{};
  ApiToken token = token_from(rows->front());
  AGORA_TRY(connection_.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                                {now, token.id}));
  token.last_used_at = base::from_unix_millis(now);
  return std::optional<ApiToken>(std::move(token));
}

Result<std::vector<ApiToken>> ApiTokenStore::list(std::int64_t person_id) {
  auto rows = connection_.query(fmt::format("{} WHERE person_id = ? ORDER BY id DESC", kColumns),
                                {person_id});
  if (!rows) return rows.error();
  std::vector<ApiToken> tokens;
  for (const store::Row& row : *rows) tokens.push_back(token_from(row));
  return tokens;
}

Result<bool> ApiTokenStore::revoke(std::int64_t person_id, std::int64_t id) {
  auto deleted =
      connection_.execute("DELETE FROM api_tokens WHERE id = ? AND person_id = ?", {id, person_id});
  if (!deleted) return deleted.error();
  return *deleted > 0;
}

}  // namespace agora::auth
