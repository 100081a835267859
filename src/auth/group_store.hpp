#pragma once
// SQL for an organisation's groups of people (auth migration 7), as its directory provisions them
// over SCIM (issue 5 item 8). Works on a connection the caller holds, so calls share a transaction.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agora::auth {

/// A named set of an organisation's people.
struct PersonGroup {
  std::int64_t id = 0;
  std::int64_t organisation_id = 0;
  std::string display_name;
  std::string external_id;  // the directory's id for it; empty when none
  std::vector<std::pair<std::int64_t, std::string>> members;  // (person id, display name) by name
};

/// Creates, reads, changes and deletes groups.
class GroupStore {
 public:
  /// `connection` and `clock` must outlive the store.
  GroupStore(store::Connection& connection, const base::Clock& clock);

  /// Adds a group to `organisation_id` and returns its id. invalid_input for an empty or overlong
  /// name; conflict when the organisation has a group of that name. Members are not checked here.
  Result<std::int64_t> create(std::int64_t organisation_id, std::string_view display_name,
                              std::string_view external_id);
  /// Group `id` if it belongs to `organisation_id`, with its members; otherwise nullopt.
  Result<std::optional<PersonGroup>> find(std::int64_t organisation_id, std::int64_t id);
  /// Every group of `organisation_id`, by name, with members.
  Result<std::vector<PersonGroup>> list(std::int64_t organisation_id);
  /// The names of the groups `person_id` belongs to.
  Result<std::vector<std::string>> groups_of(std::int64_t person_id);
  /// Renames group `id`; conflict when the name is taken in its organisation.
  Result<> rename(std::int64_t id, std::string_view display_name);
  /// Makes `members` exactly the group's members.
  Result<> set_members(std::int64_t id, const std::set<std::int64_t>& members);
  /// Deletes group `id` and its memberships; false when there was none.
  Result<bool> remove(std::int64_t organisation_id, std::int64_t id);

 private:
  Result<std::vector<PersonGroup>> load(std::string_view condition, const store::Params& params);

  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
