#include "auth/model.hpp"

#include <array>
#include <utility>

namespace agora::auth {

namespace {

constexpr std::array<std::pair<OrganisationKind, std::string_view>, 7> kKindNames = {{
    {OrganisationKind::council, "council"},
    {OrganisationKind::nhs, "nhs"},
    {OrganisationKind::police, "police"},
    {OrganisationKind::housing, "housing"},
    {OrganisationKind::education, "education"},
    {OrganisationKind::charity, "charity"},
    {OrganisationKind::other, "other"},
}};

}  // namespace

std::string_view to_string(OrganisationKind kind) noexcept {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "other";
}

std::optional<OrganisationKind> organisation_kind_from(std::string_view name) noexcept {
  for (const auto& [kind, n] : kKindNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

namespace {

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoleNames = {{
    {Role::viewer, "viewer"},
    {Role::commenter, "commenter"},
    {Role::editor, "editor"},
    {Role::owner, "owner"},
}};

}  // namespace

std::string_view to_string(Role role) noexcept {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "viewer";
}

std::optional<Role> role_from(std::string_view name) noexcept {
  for (const auto& [role, n] : kRoleNames) {
    if (n == name) return role;
  }
  return std::nullopt;
}

std::string_view to_string(PersonStatus status) noexcept {
  switch (status) {
    case PersonStatus::active: return "active";
    case PersonStatus::suspended: return "suspended";
    case PersonStatus::erased: return "erased";
  }
  return "active";
}

std::optional<PersonStatus> person_status_from(std::string_view name) noexcept {
  for (PersonStatus status :
       {PersonStatus::active, PersonStatus::suspended, PersonStatus::erased}) {
    if (to_string(status) == name) return status;
  }
  return std::nullopt;
}

}  // namespace agora::auth
