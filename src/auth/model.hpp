#pragma once
// Plain structs for identity: organisations and the people who work in them. A later issue adds
// roles, guests, citizens, sessions and 2FA on top of these.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

/// What sort of public body an organisation is; shown to people and used by later policy rules.
enum class OrganisationKind { council, nhs, police, housing, education, charity, other };

/// The kind's stored and displayed name: "council", "nhs", ...
std::string_view to_string(OrganisationKind kind) noexcept;
/// The kind named `name` (as to_string writes it), or nullopt.
std::optional<OrganisationKind> organisation_kind_from(std::string_view name) noexcept;

/// What someone may do with a shared resource (a document, later a space), weakest first:
/// viewers read, commenters also comment, editors also change it, owners also share it.
enum class Role { viewer, commenter, editor, owner };

/// The role's stored and displayed name: "viewer", "commenter", "editor", "owner".
std::string_view to_string(Role role) noexcept;
/// The role named `name` (as to_string writes it), or nullopt.
std::optional<Role> role_from(std::string_view name) noexcept;

/// A public body using Agora. Its staff sign in with email addresses at its domains.
struct Organisation {
  std::int64_t id = 0;
  std::string name;  // unique, e.g. "Afon Valley Council"
  OrganisationKind kind = OrganisationKind::other;
  std::vector<std::string> email_domains;  // lower case, each belongs to one organisation
  std::chrono::system_clock::time_point created_at;
  bool require_two_factor = false;  // its staff must set up TOTP before they can work
  std::string oidc_issuer;          // non-empty: its staff may sign in by single sign-on
  std::string oidc_client_id;
  std::string oidc_client_secret;
};

/// Whether a person may sign in: suspended people (deprovisioned) keep their history but cannot;
/// erased people have had their personal data removed.
enum class PersonStatus { active, suspended, erased };

std::string_view to_string(PersonStatus status) noexcept;
std::optional<PersonStatus> person_status_from(std::string_view name) noexcept;

/// A member of staff with a home organisation.
struct Person {
  std::int64_t id = 0;
  std::int64_t organisation_id = 0;
  std::string email;          // lower case, unique across Agora
  std::string display_name;   // as the person writes it, e.g. "Siân Pritchard"
  std::string password_hash;  // argon2id string from auth/passwords.hpp; empty: no password
  std::chrono::system_clock::time_point created_at;
  bool is_admin = false;  // manages their organisation's people and reads its audit trail
  PersonStatus status = PersonStatus::active;
  std::string totp_secret;           // raw bytes; empty: no two-factor authentication set up
  std::int64_t totp_last_step = 0;   // the last TOTP time step accepted, so a code works once
  std::string external_id;           // the directory's id for them (SCIM externalId)
};

}  // namespace agora::auth
