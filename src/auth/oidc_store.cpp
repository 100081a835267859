#include "auth/oidc_store.hpp"

#include <fmt/format.h>

namespace agora::auth {

OidcStore::OidcStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<OidcSettings> OidcStore::settings(std::int64_t organisation_id) {
  auto rows = connection_.query(
      "SELECT oidc_issuer, oidc_client_id, oidc_client_secret FROM organisations WHERE id = ?",
      {organisation_id});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no organisation with id {}", organisation_id));
  }
  const store::Row& row = rows->front();
  return OidcSettings{.organisation_id = organisation_id,
                      .issuer = row.text(0),
                      .client_id = row.text(1),
                      .client_secret = row.text(2)};
}

Result<> OidcStore::save_settings(const OidcSettings& settings) {
  const bool on = settings.enabled();
  auto changed = connection_.execute(
      "UPDATE organisations SET oidc_issuer = ?, oidc_client_id = ?, oidc_client_secret = ? "
      "WHERE id = ?",
      {settings.issuer, on ? settings.client_id : std::string(),
       on ? settings.client_secret : std::string(), settings.organisation_id});
  if (!changed) return changed.error();
  if (*changed == 0) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no organisation with id {}", settings.organisation_id));
  }
  return {};
}

Result<> OidcStore::save_login(const OidcLogin& login) {
  const std::int64_t now = base::to_unix_millis(clock_.now());
  const std::int64_t oldest = now - std::chrono::milliseconds(kOidcLoginLifetime).count();
  // Abandoned attempts go here rather than in a sweeper: every new attempt clears the old ones.
  AGORA_TRY(connection_.execute("DELETE FROM oidc_logins WHERE created_at < ?", {oldest}));
  AGORA_TRY(connection_.execute(
      "INSERT INTO oidc_logins (state, organisation_id, nonce, code_verifier, return_to, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {login.state, login.organisation_id, login.nonce, login.code_verifier, login.return_to,
       now}));
  return {};
}

Result<std::optional<OidcLogin>> OidcStore::take_login(std::string_view state) {
  // One statement both finds and removes the attempt, so two callbacks racing with the same state
  // cannot both get it.
  auto rows = connection_.query(
      "DELETE FROM oidc_logins WHERE state = ? "
      "RETURNING state, organisation_id, nonce, code_verifier, return_to, created_at",
      {std::string(state)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<OidcLogin>();
  const store::Row& row = rows->front();
  OidcLogin login{.state = row.text(0),
                  .organisation_id = row.integer(1),
                  .nonce = row.text(2),
                  .code_verifier = row.text(3),
                  .return_to = row.text(4),
                  .created_at = base::from_unix_millis(row.integer(5))};
  if (clock_.now() - login.created_at >= kOidcLoginLifetime) return std::optional<OidcLogin>();
  return std::optional<OidcLogin>(std::move(login));
}

Result<std::optional<std::string>> OidcStore::person_status(std::int64_t person_id) {
  auto rows = connection_.query("SELECT status FROM people WHERE id = ?", {person_id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows->front().text(0));
}

}  // namespace agora::auth
