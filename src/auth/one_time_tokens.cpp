#include "auth/one_time_tokens.hpp"

#include "auth/sessions.hpp"

namespace agora::auth {

namespace {

std::string_view purpose_name(LinkPurpose purpose) {
  return purpose == LinkPurpose::invitation ? "invitation" : "password_reset";
}

store::Value optional_value(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

}  // namespace

OneTimeTokenStore::OneTimeTokenStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<std::string> OneTimeTokenStore::create(OneTimeLink link, std::chrono::seconds lifetime) {
  const std::string secret = new_secret_token();
  const auto now = clock_.now();
  link.expires_at = now + lifetime;
  store::Value role = nullptr;
  if (link.role) role = std::string(to_string(*link.role));
  AGORA_TRY(connection_.execute(
      "INSERT INTO one_time_tokens (token_hash, purpose, email, organisation_id, space_id, role, "
      "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {token_hash(secret), std::string(purpose_name(link.purpose)), link.email,
       optional_value(link.organisation_id), optional_value(link.space_id), role,
       optional_value(link.created_by), base::to_unix_millis(now),
       base::to_unix_millis(link.expires_at)}));
  return secret;
}

Result<std::optional<OneTimeLink>> OneTimeTokenStore::peek(std::string_view secret,
                                                           LinkPurpose purpose) {
  if (secret.empty() || secret.size() > 100) return std::optional<OneTimeLink>{};
  auto rows = connection_.query(
      "SELECT email, organisation_id, space_id, role, created_by, expires_at FROM one_time_tokens "
      "WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
      {token_hash(secret), std::string(purpose_name(purpose)),
       base::to_unix_millis(clock_.now())});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<OneTimeLink>{};
  const store::Row& row = rows->front();
  OneTimeLink link;
  link.purpose = purpose;
  link.email = row.text(0);
  if (!row.is_null(1)) link.organisation_id = row.integer(1);
  if (!row.is_null(2)) link.space_id = row.integer(2);
  if (!row.is_null(3)) link.role = role_from(row.text(3));
  if (!row.is_null(4)) link.created_by = row.integer(4);
  link.expires_at = base::from_unix_millis(row.integer(5));
  return std::optional<OneTimeLink>(std::move(link));
}

Result<std::optional<OneTimeLink>> OneTimeTokenStore::redeem(std::string_view secret,
                                                             LinkPurpose purpose) {
  auto link = peek(secret, purpose);
  if (!link || !*link) return link;
  auto used = connection_.execute(
      "UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
      {base::to_unix_millis(clock_.now()), token_hash(secret)});
  if (!used) return used.error();
  if (*used != 1) return std::optional<OneTimeLink>{};
  return link;
}

}  // namespace agora::auth
