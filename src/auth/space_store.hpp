#pragma once
// Spaces shared across organisations (DESIGN.md "Security model"): a space belongs to one
// organisation and is shared with named people (the `grants` table, resource kind "space") or
// with whole organisations (`organisation_grants`), each with a role. OFFICIAL-SENSITIVE spaces
// are need-to-know: only named people, so organisation grants are refused on them and never
// count. Works on a connection the caller holds, so calls can share a transaction.

#include "auth/model.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

/// How carefully a space's contents must be handled, from the Government Security
/// Classifications: OFFICIAL (the default) or OFFICIAL-SENSITIVE (need-to-know).
enum class Classification { official, official_sensitive };

/// "OFFICIAL" or "OFFICIAL-SENSITIVE": the stored and displayed marking.
std::string_view to_string(Classification classification) noexcept;
/// The classification marked `name` (as to_string writes it), or nullopt.
std::optional<Classification> classification_from(std::string_view name) noexcept;

/// The longest space name, in characters (Unicode code points).
inline constexpr std::size_t kMaxSpaceNameLength = 120;
/// The longest space description, in characters.
inline constexpr std::size_t kMaxSpaceDescriptionLength = 2000;

/// A place where people of one or more organisations work together.
struct Space {
  std::int64_t id = 0;
  std::int64_t organisation_id = 0;  // the owning organisation
  std::string name;                  // unique within the owning organisation
  std::string description;
  Classification classification = Classification::official;
  std::optional<std::int64_t> created_by;  // nullopt once the creator has been erased
  std::chrono::system_clock::time_point created_at;
};

/// What it takes to create a space; the store assigns the id and created_at.
struct NewSpace {
  std::int64_t organisation_id = 0;
  std::string name;
  std::string description;
  Classification classification = Classification::official;
  std::int64_t created_by = 0;  // becomes the space's first owner
};

/// A space as one person sees it in their list.
struct SpaceListing {
  Space space;
  std::string organisation_name;  // of the owning organisation
  Role role = Role::viewer;       // the person's effective role (SpaceStore::role_of)
};

/// A named person's grant on a space.
struct PersonMember {
  std::int64_t person_id = 0;
  std::string display_name;
  std::string email;
  std::int64_t organisation_id = 0;
  std::string organisation_name;
  Role role = Role::viewer;
  bool guest = false;  // from an organisation other than the space's owner
};

/// A whole organisation's grant on a space.
struct OrganisationMember {
  std::int64_t organisation_id = 0;
  std::string name;
  Role role = Role::viewer;
};

/// Everyone a space is shared with.
struct SpaceMembers {
  std::vector<PersonMember> people;               // owners first, then by name
  std::vector<OrganisationMember> organisations;  // by name
};

/// Reads and writes spaces and who they are shared with.
class SpaceStore {
 public:
  /// Uses `connection` for every call and `clock` for timestamps; both must outlive the store.
  SpaceStore(store::Connection& connection, const base::Clock& clock);

  /// Creates a space and makes its creator its owner. invalid_input for a name that is empty or
  /// longer than kMaxSpaceNameLength characters, or an overlong description; conflict when the
  /// organisation already has a space of that name; not_found for an unknown organisation.
  Result<Space> create(const NewSpace& space);
  /// The space with `id`, or nullopt.
  Result<std::optional<Space>> find(std::int64_t id);
  /// The spaces `person_id` (of `organisation_id`) may open, by name, each with their role: those
  /// they are named on, and those shared with their organisation that are not OFFICIAL-SENSITIVE.
  Result<std::vector<SpaceListing>> list_for(std::int64_t person_id, std::int64_t organisation_id);
  /// The stronger of the person's own grant and their organisation's grant (which never counts
  /// on an OFFICIAL-SENSITIVE space); nullopt when they have neither or the space does not exist.
  Result<std::optional<Role>> role_of(std::int64_t person_id, std::int64_t organisation_id,
                                      std::int64_t space_id);
  /// The people and organisations the space is shared with.
  Result<SpaceMembers> members(std::int64_t space_id);

  /// Gives `person_id` `role` on the space, replacing their earlier role; nullopt removes it.
  /// conflict when that would leave the space with no owner; not_found for an unknown space or
  /// person. Bumps the grant generation.
  Result<> share_with_person(std::int64_t space_id, std::int64_t person_id,
                             std::optional<Role> role);
  /// Gives everyone in `organisation_id` `role` on the space; nullopt removes the share.
  /// permission_denied on an OFFICIAL-SENSITIVE space (need-to-know: name each person);
  /// not_found for an unknown space or organisation. Bumps the grant generation.
  Result<> share_with_organisation(std::int64_t space_id, std::int64_t organisation_id,
                                   std::optional<Role> role);
  /// Changes the space's classification. conflict when making it OFFICIAL-SENSITIVE while it is
  /// still shared with whole organisations. Bumps the grant generation, as roles depend on it.
  Result<> set_classification(std::int64_t space_id, Classification classification);

 private:
  Result<Space> existing(std::int64_t space_id);
  Result<> bump_generation();

  store::Connection& connection_;
  const base::Clock& clock_;
};

/// The stronger of two roles, either of which may be missing.
std::optional<Role> stronger_role(std::optional<Role> a, std::optional<Role> b) noexcept;

/// How many characters (Unicode code points) the UTF-8 text `text` holds.
std::size_t character_count(std::string_view text) noexcept;

}  // namespace agora::auth
