#include "auth/grant_store.hpp"

#include <fmt/format.h>

namespace agora::auth {

GrantStore::GrantStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<> GrantStore::set_role(std::string_view resource_kind, std::int64_t resource_id,
                              std::int64_t person_id, std::optional<Role> role) {
  const store::Params key{std::string(resource_kind), resource_id, person_id};
  AGORA_TRY(connection_.execute(
      "DELETE FROM grants WHERE resource_kind = ? AND resource_id = ? AND person_id = ?", key));
  if (role) {
    AGORA_TRY(connection_.execute(
        "INSERT INTO grants (resource_kind, resource_id, person_id, role, granted_at) "
        "VALUES (?, ?, ?, ?, ?)",
        {std::string(resource_kind), resource_id, person_id, std::string(to_string(*role)),
         base::to_unix_millis(clock_.now())}));
  }
  AGORA_TRY(connection_.execute("UPDATE grant_generation SET generation = generation + 1"));
  return {};
}

Result<std::optional<Role>> GrantStore::role_of(std::int64_t person_id,
                                                std::string_view resource_kind,
                                                std::int64_t resource_id) {
  auto rows = connection_.query(
      "SELECT role FROM grants WHERE resource_kind = ? AND resource_id = ? AND person_id = ?",
      {std::string(resource_kind), resource_id, person_id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Role>{};
  auto role = role_from(rows->front().text(0));
  if (!role) {
    return fail(ErrorKind::corrupt,
                fmt::format("grant of person {} holds the unknown role \"{}\"", person_id,
                            rows->front().text(0)));
  }
  return role;
}

Result<std::map<std::int64_t, Role>> GrantStore::roles_on(std::string_view resource_kind,
                                                          std::int64_t resource_id) {
  auto rows = connection_.query(
      "SELECT person_id, role FROM grants WHERE resource_kind = ? AND resource_id = ?",
      {std::string(resource_kind), resource_id});
  if (!rows) return rows.error();
  std::map<std::int64_t, Role> roles;
  for (const store::Row& row : *rows) {
    if (auto role = role_from(row.text(1))) roles[row.integer(0)] = *role;
  }
  return roles;
}

Result<std::int64_t> GrantStore::generation() {
  auto rows = connection_.query("SELECT generation FROM grant_generation");
  if (!rows) return rows.error();
  if (rows->empty()) return fail(ErrorKind::corrupt, "the grant_generation row is missing");
  return rows->front().integer(0);
}

}  // namespace agora::auth
