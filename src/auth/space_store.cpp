#include "auth/space_store.hpp"

#include "auth/grant_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace agora::auth {

namespace {

constexpr std::string_view kSpaceKind = "space";

constexpr std::array<std::pair<Classification, std::string_view>, 2> kClassificationNames = {{
    {Classification::official, "OFFICIAL"},
    {Classification::official_sensitive, "OFFICIAL-SENSITIVE"},
}};

constexpr std::string_view kSpaceColumns =
    "SELECT s.id, s.organisation_id, s.name, s.description, s.classification, s.created_by, "
    "s.created_at";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Result<Space> space_from(const store::Row& row) {
  Space space;
  space.id = row.integer(0);
  space.organisation_id = row.integer(1);
  space.name = row.text(2);
  space.description = row.text(3);
  const auto classification = classification_from(row.text(4));
  if (!classification) {
    return fail(ErrorKind::corrupt, fmt::format("space {} has the unknown classification \"{}\"",
                                                space.id, row.text(4)));
  }
  space.classification = *classification;
  if (!row.is_null(5)) space.created_by = row.integer(5);
  space.created_at = base::from_unix_millis(row.integer(6));
  return space;
}

// A role column of a LEFT JOIN: nullopt when NULL or (in a damaged row) unknown.
std::optional<Role> role_column(const store::Row& row, std::size_t i) {
  if (row.is_null(i)) return std::nullopt;
  return role_from(row.text(i));
}

}  // namespace

std::string_view to_string(Classification classification) noexcept {
  for (const auto& [c, name] : kClassificationNames) {
    if (c == classification) return name;
  }
  return "OFFICIAL-SENSITIVE";  // unreachable; the stricter marking if ever it were
}

std::optional<Classification> classification_from(std::string_view name) noexcept {
  for (const auto& [classification, n] : kClassificationNames) {
    if (n == name) return classification;
  }
  return std::nullopt;
}

std::optional<Role> stronger_role(std::optional<Role> a, std::optional<Role> b) noexcept {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

std::size_t character_count(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

SpaceStore::SpaceStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<Space> SpaceStore::create(const NewSpace& new_space) {
  const std::string_view name = trim(new_space.name);
  if (name.empty()) return fail(ErrorKind::invalid_input, "the space's name is empty");
  if (const std::size_t length = character_count(name); length > kMaxSpaceNameLength) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the space's name is {} characters; the limit is {}", length,
                            kMaxSpaceNameLength));
  }
  const std::string_view description = trim(new_space.description);
  if (const std::size_t length = character_count(description);
      length > kMaxSpaceDescriptionLength) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the space's description is {} characters; the limit is {}", length,
                            kMaxSpaceDescriptionLength));
  }

  // Look first rather than relying on the constraints: on PostgreSQL a failed INSERT aborts the
  // caller's whole transaction, and these messages say what is wrong.
  auto organisation =
      connection_.query("SELECT 1 FROM organisations WHERE id = ?", {new_space.organisation_id});
  if (!organisation) return organisation.error();
  if (organisation->empty()) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no organisation with id {}", new_space.organisation_id));
  }
  auto creator = connection_.query("SELECT 1 FROM people WHERE id = ?", {new_space.created_by});
  if (!creator) return creator.error();
  if (creator->empty()) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no person with id {}", new_space.created_by));
  }
  auto taken = connection_.query("SELECT 1 FROM spaces WHERE organisation_id = ? AND name = ?",
                                 {new_space.organisation_id, std::string(name)});
  if (!taken) return taken.error();
  if (!taken->empty()) {
    return fail(ErrorKind::conflict,
                fmt::format("your organisation already has a space called \"{}\"", name));
  }

  Space space;
  space.organisation_id = new_space.organisation_id;
  space.name = std::string(name);
  space.description = std::string(description);
  space.classification = new_space.classification;
  space.created_by = new_space.created_by;
  // Stored to the millisecond; return what a later read would see.
  space.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  auto rows = connection_.query(
      "INSERT INTO spaces (organisation_id, name, description, classification, created_by, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      {space.organisation_id, space.name, space.description,
       std::string(to_string(space.classification)), new_space.created_by,
       base::to_unix_millis(space.created_at)});
  if (!rows) return rows.error();
  space.id = rows->front().integer(0);
  AGORA_TRY(GrantStore(connection_, clock_)
                .set_role(kSpaceKind, space.id, new_space.created_by, Role::owner));
  return space;
}

Result<std::optional<Space>> SpaceStore::find(std::int64_t id) {
  auto rows =
      connection_.query(fmt::format("{} FROM spaces s WHERE s.id = ?", kSpaceColumns), {id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Space>();
  auto space = space_from(rows->front());
  if (!space) return space.error();
  return std::optional<Space>(std::move(*space));
}

Result<Space> SpaceStore::existing(std::int64_t space_id) {
  auto space = find(space_id);
  if (!space) return space.error();
  if (!*space) return fail(ErrorKind::not_found, fmt::format("there is no space {}", space_id));
  return std::move(**space);
}

Result<std::vector<SpaceListing>> SpaceStore::list_for(std::int64_t person_id,
                                                       std::int64_t organisation_id) {
  // The organisation's grant joins only on spaces that are not OFFICIAL-SENSITIVE, so a stale
  // row (which set_classification never leaves, but a direct edit might) grants nothing.
  auto rows = connection_.query(
      fmt::format("{}, o.name, g.role, og.role FROM spaces s "
                  "JOIN organisations o ON o.id = s.organisation_id "
                  "LEFT JOIN grants g ON g.resource_kind = 'space' AND g.resource_id = s.id "
                  "AND g.person_id = ? "
                  "LEFT JOIN organisation_grants og ON og.resource_kind = 'space' "
                  "AND og.resource_id = s.id AND og.organisation_id = ? "
                  "AND s.classification = 'OFFICIAL' "
                  "WHERE g.role IS NOT NULL OR og.role IS NOT NULL "
                  "ORDER BY s.name, s.id",
                  kSpaceColumns),
      {person_id, organisation_id});
  if (!rows) return rows.error();
  std::vector<SpaceListing> listings;
  listings.reserve(rows->size());
  for (const store::Row& row : *rows) {
    auto space = space_from(row);
    if (!space) return space.error();
    const auto role = stronger_role(role_column(row, 8), role_column(row, 9));
    if (!role) continue;
    listings.push_back(SpaceListing{std::move(*space), row.text(7), *role});
  }
  return listings;
}

Result<std::optional<Role>> SpaceStore::role_of(std::int64_t person_id,
                                                std::int64_t organisation_id,
                                                std::int64_t space_id) {
  auto rows = connection_.query(
      "SELECT g.role, og.role FROM spaces s "
      "LEFT JOIN grants g ON g.resource_kind = 'space' AND g.resource_id = s.id "
      "AND g.person_id = ? "
      "LEFT JOIN organisation_grants og ON og.resource_kind = 'space' AND og.resource_id = s.id "
      "AND og.organisation_id = ? AND s.classification = 'OFFICIAL' "
      "WHERE s.id = ?",
      {person_id, organisation_id, space_id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Role>();
  return stronger_role(role_column(rows->front(), 0), role_column(rows->front(), 1));
}

Result<SpaceMembers> SpaceStore::members(std::int64_t space_id) {
  auto space = existing(space_id);
  if (!space) return space.error();
  SpaceMembers members;
  auto people = connection_.query(
      "SELECT p.id, p.display_name, p.email, p.organisation_id, o.name, g.role FROM grants g "
      "JOIN people p ON p.id = g.person_id JOIN organisations o ON o.id = p.organisation_id "
      "WHERE g.resource_kind = 'space' AND g.resource_id = ? ORDER BY p.display_name, p.id",
      {space_id});
  if (!people) return people.error();
  for (const store::Row& row : *people) {
    const auto role = role_from(row.text(5));
    if (!role) continue;
    members.people.push_back(PersonMember{row.integer(0), row.text(1), row.text(2), row.integer(3),
                                          row.text(4), *role,
                                          row.integer(3) != space->organisation_id});
  }
  // Owners first: they are whom a reader asks for access.
  std::stable_sort(members.people.begin(), members.people.end(),
                   [](const PersonMember& a, const PersonMember& b) {
                     return (a.role == Role::owner) > (b.role == Role::owner);
                   });
  auto organisations = connection_.query(
      "SELECT o.id, o.name, og.role FROM organisation_grants og "
      "JOIN organisations o ON o.id = og.organisation_id "
      "WHERE og.resource_kind = 'space' AND og.resource_id = ? ORDER BY o.name",
      {space_id});
  if (!organisations) return organisations.error();
  for (const store::Row& row : *organisations) {
    const auto role = role_from(row.text(2));
    if (!role) continue;
    members.organisations.push_back(OrganisationMember{row.integer(0), row.text(1), *role});
  }
  return members;
}

Result<> SpaceStore::share_with_person(std::int64_t space_id, std::int64_t person_id,
                                       std::optional<Role> role) {
  AGORA_TRY(existing(space_id));
  auto person = connection_.query("SELECT 1 FROM people WHERE id = ?", {person_id});
  if (!person) return person.error();
  if (person->empty())
    return fail(ErrorKind::not_found, fmt::format("there is no person with id {}", person_id));

  GrantStore grants(connection_, clock_);
  auto current = grants.role_of(person_id, kSpaceKind, space_id);
  if (!current) return current.error();
  if (*current == Role::owner && role != Role::owner) {
    auto owners = connection_.query(
        "SELECT COUNT(*) FROM grants WHERE resource_kind = 'space' AND resource_id = ? "
        "AND role = 'owner'",
        {space_id});
    if (!owners) return owners.error();
    if (owners->front().integer(0) <= 1) {
      return fail(ErrorKind::conflict,
                  "this is the space's last owner; make someone else an owner first");
    }
  }
  return grants.set_role(kSpaceKind, space_id, person_id, role);
}

Result<> SpaceStore::share_with_organisation(std::int64_t space_id, std::int64_t organisation_id,
                                             std::optional<Role> role) {
  auto space = existing(space_id);
  if (!space) return space.error();
  auto organisation =
      connection_.query("SELECT 1 FROM organisations WHERE id = ?", {organisation_id});
  if (!organisation) return organisation.error();
  if (organisation->empty()) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no organisation with id {}", organisation_id));
  }
  // Removing a share is always allowed: it only narrows who may see the space.
  if (role && space->classification == Classification::official_sensitive) {
    return fail(ErrorKind::permission_denied,
                "OFFICIAL-SENSITIVE spaces are need-to-know: share them with named people, "
                "not whole organisations");
  }
  AGORA_TRY(connection_.execute(
      "DELETE FROM organisation_grants WHERE resource_kind = 'space' AND resource_id = ? "
      "AND organisation_id = ?",
      {space_id, organisation_id}));
  if (role) {
    AGORA_TRY(connection_.execute(
        "INSERT INTO organisation_grants (resource_kind, resource_id, organisation_id, role, "
        "granted_at) VALUES ('space', ?, ?, ?, ?)",
        {space_id, organisation_id, std::string(to_string(*role)),
         base::to_unix_millis(clock_.now())}));
  }
  return bump_generation();
}

Result<> SpaceStore::set_classification(std::int64_t space_id, Classification classification) {
  AGORA_TRY(existing(space_id));
  if (classification == Classification::official_sensitive) {
    auto shares = connection_.query(
        "SELECT COUNT(*) FROM organisation_grants WHERE resource_kind = 'space' "
        "AND resource_id = ?",
        {space_id});
    if (!shares) return shares.error();
    if (shares->front().integer(0) > 0) {
      return fail(ErrorKind::conflict,
                  "the space is shared with whole organisations; remove the organisation-wide "
                  "shares first");
    }
  }
  AGORA_TRY(connection_.execute("UPDATE spaces SET classification = ? WHERE id = ?",
                                {std::string(to_string(classification)), space_id}));
  return bump_generation();
}

Result<> SpaceStore::bump_generation() {
  AGORA_TRY(connection_.execute("UPDATE grant_generation SET generation = generation + 1"));
  return {};
}

}  // namespace agora::auth
