#pragma once
// SQL for organisations and people (DESIGN.md: a module's SQL lives in its *_store.cpp, every
// parameter bound). Works on a connection the caller holds, so several calls can share one
// transaction.

#include "auth/model.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

/// What it takes to add a person; the store assigns the id and created_at.
struct NewPerson {
  std::int64_t organisation_id = 0;
  std::string email;
  std::string display_name;
  std::string password_hash;  // from hash_password(); empty: the person cannot sign in by password
};

/// Reads and writes the directory of organisations and people.
class DirectoryStore {
 public:
  /// Uses `connection` for every call (the caller's transaction, if one is open) and `clock` for
  /// created_at. Both must outlive the store.
  DirectoryStore(store::Connection& connection, const base::Clock& clock);

  /// Adds an organisation with its email domains and returns it with its id. invalid_input for
  /// an empty or overlong name or a malformed domain; conflict when the name or a domain is taken.
  Result<Organisation> create_organisation(std::string_view name, OrganisationKind kind,
                                           std::span<const std::string> email_domains);
  /// The organisation with `id`, or nullopt.
  Result<std::optional<Organisation>> find_organisation(std::int64_t id);
  /// The organisation called exactly `name`, or nullopt.
  Result<std::optional<Organisation>> find_organisation_by_name(std::string_view name);
  /// The organisation that owns email domain `domain` (any case), or nullopt.
  Result<std::optional<Organisation>> find_organisation_by_domain(std::string_view domain);

  /// Adds a person and returns them with their id; the email is stored lower case.
  /// invalid_input for a malformed email or an empty display name; not_found when the
  /// organisation does not exist; conflict when the email is taken.
  Result<Person> create_person(const NewPerson& person);
  /// The person with `email` (any case), or nullopt.
  Result<std::optional<Person>> find_person_by_email(std::string_view email);
  /// The person with `id`, or nullopt.
  Result<std::optional<Person>> find_person(std::int64_t id);
  /// Everyone whose home organisation is `organisation_id`, by display name.
  Result<std::vector<Person>> list_people(std::int64_t organisation_id);

  /// Replaces a person's password hash (empty: no password sign-in).
  Result<> set_password_hash(std::int64_t person_id, std::string_view password_hash);
  /// Makes a person an admin of their organisation, or not.
  Result<> set_admin(std::int64_t person_id, bool is_admin);
  /// Suspends, reactivates or marks erased; bumps the grant generation so that open connections
  /// re-check what the person may do.
  Result<> set_status(std::int64_t person_id, PersonStatus status);
  /// Sets up TOTP with `secret` (raw bytes), or removes it when empty; resets the last step.
  Result<> set_totp_secret(std::int64_t person_id, std::string_view secret);
  /// Records the TOTP step just accepted, only if it is later than the one stored: false when
  /// another request used this step (or a later one) first, so a code cannot be used twice.
  Result<bool> claim_totp_step(std::int64_t person_id, std::int64_t step);
  /// Changes a person's email (normalised and checked), display name and directory id (empty:
  /// none), as SCIM provisioning does. invalid_input for a malformed email or empty name;
  /// conflict when another person has the email.
  Result<> set_profile(std::int64_t person_id, std::string_view email,
                       std::string_view display_name, std::string_view external_id);
  /// Erases a person's personal data (issue 5 item 7) but keeps the row, so their edits, comments
  /// and audit records still point at someone: email erased-<id>@invalid, display name
  /// `former_name`, no password, TOTP, recovery codes, sessions, API tokens, grants, group
  /// memberships or external id; status erased. Run it inside a transaction.
  Result<> erase_person(std::int64_t person_id, std::string_view former_name);
  /// Whether the organisation's staff must use two-factor authentication.
  Result<> set_require_two_factor(std::int64_t organisation_id, bool required);

 private:
  // Runs `select_sql` (id, name, kind, created_at of at most one organisation; one `?` bound
  // to `value`) and loads that organisation's domains.
  Result<std::optional<Organisation>> find_organisation_where(std::string_view select_sql,
                                                              store::Value value);

  // The person matching `condition`, a fixed SQL condition with one `?` bound to `value`.
  Result<std::optional<Person>> find_person_where(std::string_view condition, store::Value value);

  store::Connection& connection_;
  const base::Clock& clock_;
};

/// `email` trimmed of surrounding spaces with ASCII letters lower-cased: how emails are stored
/// and looked up.
std::string normalise_email(std::string_view email);

/// Ok when `email` (already normalised) looks like local@domain.tld in ASCII; otherwise an error
/// saying what is wrong.
Result<> check_email(std::string_view email);

/// Ok when `domain` (already lower case) is a DNS name with at least two labels.
Result<> check_email_domain(std::string_view domain);

}  // namespace agora::auth
