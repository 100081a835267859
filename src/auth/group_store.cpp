#include "auth/group_store.hpp"

#include <fmt/format.h>

#include <map>

namespace agora::auth {

namespace {

Result<> check_group_name(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return fail(ErrorKind::invalid_input, "a group's name must be 1 to 200 bytes long");
  return {};
}

}  // namespace

GroupStore::GroupStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<std::int64_t> GroupStore::create(std::int64_t organisation_id,
                                        std::string_view display_name,
                                        std::string_view external_id) {
  AGORA_TRY(check_group_name(display_name));
  auto taken = connection_.query(
      "SELECT id FROM person_groups WHERE organisation_id = ? AND display_name = ?",
      {organisation_id, std::string(display_name)});
  if (!taken) return taken.error();
  if (!taken->empty())
    return fail(ErrorKind::conflict, fmt::format("there is already a group called {}", display_name));
  auto rows = connection_.query(
      "INSERT INTO person_groups (organisation_id, display_name, external_id, created_at) "
      "VALUES (?, ?, ?, ?) RETURNING id",
      {organisation_id, std::string(display_name), std::string(external_id),
       base::to_unix_millis(clock_.now())});
  if (!rows) return rows.error();
  return rows->front().integer(0);
}

Result<std::vector<PersonGroup>> GroupStore::load(std::string_view condition,
                                                  const store::Params& params) {
  auto rows = connection_.query(
      fmt::format("SELECT id, organisation_id, display_name, external_id FROM person_groups "
                  "WHERE {} ORDER BY display_name, id",
                  condition),
      params);
  if (!rows) return rows.error();
  std::vector<PersonGroup> groups;
  std::map<std::int64_t, std::size_t> index;
  for (const store::Row& row : *rows) {
    PersonGroup g;
    g.id = row.integer(0);
    g.organisation_id = row.integer(1);
    g.display_name = row.text(2);
    g.external_id = row.text(3);
    index[g.id] = groups.size();
    groups.push_back(std::move(g));
  }
  if (groups.empty()) return groups;
  auto members = connection_.query(
      fmt::format("SELECT m.group_id, p.id, p.display_name FROM person_group_members m "
                  "JOIN people p ON p.id = m.person_id "
                  "WHERE m.group_id IN (SELECT id FROM person_groups WHERE {}) "
                  "ORDER BY p.display_name, p.id",
                  condition),
      params);
  if (!members) return members.error();
  for (const store::Row& row : *members) {
    if (auto it = index.find(row.integer(0)); it != index.end())
      groups[it->second].members.emplace_back(row.integer(1), row.text(2));
  }
  return groups;
}

Result<std::optional<PersonGroup>> GroupStore::find(std::int64_t organisation_id, std::int64_t id) {
  auto groups = load("organisation_id = ? AND id = ?", {organisation_id, id});
  if (!groups) return groups.error();
  if (groups->empty()) return std::optional<PersonGroup>{};
  return std::optional<PersonGroup>(std::move(groups->front()));
}

Result<std::vector<PersonGroup>> GroupStore::list(std::int64_t organisation_id) {
  return load("organisation_id = ?", {organisation_id});
}

Result<std::vector<std::string>> GroupStore::groups_of(std::int64_t person_id) {
  auto rows = connection_.query(
      "SELECT g.display_name FROM person_group_members m JOIN person_groups g ON g.id = m.group_id "
      "WHERE m.person_id = ? ORDER BY g.display_name",
      {person_id});
  if (!rows) return rows.error();
  std::vector<std::string> names;
  for (const store::Row& row : *rows) names.push_back(row.text(0));
  return names;
}

Result<> GroupStore::rename(std::int64_t id, std::string_view display_name) {
  AGORA_TRY(check_group_name(display_name));
  auto taken = connection_.query(
      "SELECT id FROM person_groups WHERE display_name = ? AND id <> ? AND organisation_id = "
      "(SELECT organisation_id FROM person_groups WHERE id = ?)",
      {std::string(display_name), id, id});
  if (!taken) return taken.error();
  if (!taken->empty())
    return fail(ErrorKind::conflict, fmt::format("there is already a group called {}", display_name));
  AGORA_TRY(connection_.execute("UPDATE person_groups SET display_name = ? WHERE id = ?",
                                {std::string(display_name), id}));
  return {};
}

Result<> GroupStore::set_members(std::int64_t id, const std::set<std::int64_t>& members) {
  AGORA_TRY(connection_.execute("DELETE FROM person_group_members WHERE group_id = ?", {id}));
  for (std::int64_t person_id : members) {
    AGORA_TRY(connection_.execute(
        "INSERT INTO person_group_members (group_id, person_id) VALUES (?, ?)", {id, person_id}));
  }
  return {};
}

Result<bool> GroupStore::remove(std::int64_t organisation_id, std::int64_t id) {
  AGORA_TRY(connection_.execute(
      "DELETE FROM person_group_members WHERE group_id IN "
      "(SELECT id FROM person_groups WHERE id = ? AND organisation_id = ?)",
      {id, organisation_id}));
  auto deleted = connection_.execute(
      "DELETE FROM person_groups WHERE id = ? AND organisation_id = ?", {id, organisation_id});
  if (!deleted) return deleted.error();
  return *deleted > 0;
}

}  // namespace agora::auth
