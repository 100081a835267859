#pragma once
// Who holds which role on which resource (DESIGN.md "Security model": resources are shared with
// named people, each with a role). auth::Policy decides what a role allows; this store only
// records the roles. Works on a connection the caller holds, so calls can share a transaction.

#include "auth/model.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

namespace agora::auth {

/// Reads and writes role grants on resources such as {"document", 42}.
class GrantStore {
 public:
  /// Uses `connection` for every call and `clock` for granted_at; both must outlive the store.
  GrantStore(store::Connection& connection, const base::Clock& clock);

  /// Gives `person_id` `role` on the resource, replacing any earlier role; nullopt removes it.
  /// Bumps the grant generation so servers re-check open connections.
  Result<> set_role(std::string_view resource_kind, std::int64_t resource_id,
                    std::int64_t person_id, std::optional<Role> role);
  /// The role `person_id` holds on the resource, or nullopt.
  Result<std::optional<Role>> role_of(std::int64_t person_id, std::string_view resource_kind,
                                      std::int64_t resource_id);
  /// Every person's role on the resource.
  Result<std::map<std::int64_t, Role>> roles_on(std::string_view resource_kind,
                                                std::int64_t resource_id);
  /// A number that grows whenever any grant changes; polling it tells a long-lived connection
  /// when its permissions must be looked up again.
  Result<std::int64_t> generation();

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
