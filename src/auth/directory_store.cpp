#include "auth/directory_store.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace agora::auth {

namespace {

constexpr std::size_t kMaxNameLength = 200;

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Result<> check_display_text(std::string_view what, std::string_view text) {
  if (trim(text).empty())
    return fail(ErrorKind::invalid_input, fmt::format("the {} is empty", what));
  if (text.size() > kMaxNameLength) {
    return fail(ErrorKind::invalid_input, fmt::format("the {} is {} bytes; the limit is {}", what,
                                                      text.size(), kMaxNameLength));
  }
  return {};
}

constexpr std::string_view kPersonColumns =
    "SELECT id, organisation_id, email, display_name, password_hash, created_at, is_admin, status, "
    "totp_secret, totp_last_step, external_id";

constexpr std::string_view kOrganisationColumns =
    "SELECT o.id, o.name, o.kind, o.created_at, o.require_two_factor, o.oidc_issuer, "
    "o.oidc_client_id, o.oidc_client_secret";

Person person_from(const store::Row& row) {
  Person person;
  person.id = row.integer(0);
  person.organisation_id = row.integer(1);
  person.email = row.text(2);
  person.display_name = row.text(3);
  person.password_hash = row.text(4);
  person.created_at = base::from_unix_millis(row.integer(5));
  person.is_admin = row.integer(6) != 0;
  person.status = person_status_from(row.text(7)).value_or(PersonStatus::suspended);
  if (!row.is_null(8)) person.totp_secret = row.text(8);
  person.totp_last_step = row.integer(9);
  if (!row.is_null(10)) person.external_id = row.text(10);
  return person;
}

}  // namespace

DirectoryStore::DirectoryStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<Organisation> DirectoryStore::create_organisation(
    std::string_view name, OrganisationKind kind, std::span<const std::string> email_domains) {
  AGORA_TRY(check_display_text("organisation name", name));
  std::vector<std::string> domains;
  for (const std::string& raw : email_domains) {
    std::string domain = lower_ascii(trim(raw));
    AGORA_TRY(check_email_domain(domain));
    if (std::find(domains.begin(), domains.end(), domain) == domains.end()) {
      domains.push_back(std::move(domain));
    }
  }

  // Look first rather than relying on the UNIQUE constraints: on PostgreSQL a failed INSERT
  // aborts the caller's whole transaction, and these messages say which thing is taken.
  auto existing = find_organisation_by_name(name);
  if (!existing) return existing.error();
  if (*existing) {
    return fail(ErrorKind::conflict,
                fmt::format("an organisation called \"{}\" already exists", name));
  }
  for (const std::string& domain : domains) {
    auto owner = find_organisation_by_domain(domain);
    if (!owner) return owner.error();
    if (*owner) {
      return fail(ErrorKind::conflict,
                  fmt::format("the email domain {} already belongs to {}", domain, (*owner)->name));
    }
  }

  Organisation organisation;
  organisation.name = std::string(name);
  organisation.kind = kind;
  organisation.created_at = clock_.now();
  auto rows = connection_.query(
      "INSERT INTO organisations (name, kind, created_at) VALUES (?, ?, ?) RETURNING id",
      {organisation.name, std::string(to_string(kind)),
       base::to_unix_millis(organisation.created_at)});
  if (!rows) return rows.error();
  organisation.id = rows->at(0).integer(0);

  for (const std::string& domain : domains) {
    auto inserted = connection_.execute(
        "INSERT INTO organisation_domains (domain, organisation_id) VALUES (?, ?)",
        {domain, organisation.id});
    if (!inserted) return inserted.error();
  }
  organisation.email_domains = std::move(domains);
  // Timestamps are stored to the millisecond; return what a later read would see.
  organisation.created_at = base::from_unix_millis(base::to_unix_millis(organisation.created_at));
  return organisation;
}

Result<std::optional<Organisation>> DirectoryStore::find_organisation(std::int64_t id) {
  return find_organisation_where(
      fmt::format("{} FROM organisations o WHERE o.id = ?", kOrganisationColumns), id);
}

Result<std::optional<Organisation>> DirectoryStore::find_organisation_by_name(
    std::string_view name) {
  return find_organisation_where(
      fmt::format("{} FROM organisations o WHERE o.name = ?", kOrganisationColumns), std::string(name));
}

Result<std::optional<Organisation>> DirectoryStore::find_organisation_by_domain(
    std::string_view domain) {
  return find_organisation_where(
      fmt::format("{} FROM organisations o JOIN organisation_domains d "
                  "ON d.organisation_id = o.id WHERE d.domain = ?",
                  kOrganisationColumns),
      lower_ascii(trim(domain)));
}

Result<std::optional<Organisation>> DirectoryStore::find_organisation_where(
    std::string_view select_sql, store::Value value) {
  auto rows = connection_.query(select_sql, {std::move(value)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Organisation>();

  const store::Row& row = rows->front();
  Organisation organisation;
  organisation.id = row.integer(0);
  organisation.name = row.text(1);
  const auto kind = organisation_kind_from(row.text(2));
  if (!kind) {
    return fail(ErrorKind::corrupt, fmt::format("organisation {} has an unknown kind \"{}\"",
                                                organisation.id, row.text(2)));
  }
  organisation.kind = *kind;
  organisation.created_at = base::from_unix_millis(row.integer(3));
  organisation.require_two_factor = row.integer(4) != 0;
  organisation.oidc_issuer = row.text(5);
  organisation.oidc_client_id = row.text(6);
  organisation.oidc_client_secret = row.text(7);

  auto domains = connection_.query(
      "SELECT domain FROM organisation_domains WHERE organisation_id = ? ORDER BY domain",
      {organisation.id});
  if (!domains) return domains.error();
  for (const store::Row& domain : *domains) organisation.email_domains.push_back(domain.text(0));
  return std::optional<Organisation>(std::move(organisation));
}

Result<Person> DirectoryStore::create_person(const NewPerson& new_person) {
  Person person;
  person.email = normalise_email(new_person.email);
  AGORA_TRY(check_email(person.email));
  AGORA_TRY(check_display_text("display name", new_person.display_name));

  auto organisation = find_organisation(new_person.organisation_id);
  if (!organisation) return organisation.error();
  if (!*organisation) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no organisation with id {}", new_person.organisation_id));
  }
  auto existing = find_person_by_email(person.email);
  if (!existing) return existing.error();
  if (*existing) {
    return fail(ErrorKind::conflict,
                fmt::format("someone with the email {} already exists", person.email));
  }

  person.organisation_id = new_person.organisation_id;
  person.display_name = std::string(trim(new_person.display_name));
  person.password_hash = new_person.password_hash;
  person.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  auto rows = connection_.query(
      "INSERT INTO people (organisation_id, email, display_name, password_hash, created_at) "
      "VALUES (?, ?, ?, ?, ?) RETURNING id",
      {person.organisation_id, person.email, person.display_name, person.password_hash,
       base::to_unix_millis(person.created_at)});
  if (!rows) return rows.error();
  person.id = rows->at(0).integer(0);
  return person;
}

Result<std::optional<Person>> DirectoryStore::find_person_by_email(std::string_view email) {
  return find_person_where("email = ?", normalise_email(email));
}

Result<std::optional<Person>> DirectoryStore::find_person(std::int64_t id) {
  return find_person_where("id = ?", id);
}

Result<std::optional<Person>> DirectoryStore::find_person_where(std::string_view condition,
                                                                store::Value value) {
  auto rows = connection_.query(
      fmt::format("{} FROM people WHERE {}", kPersonColumns, condition),
      {std::move(value)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Person>();
  return std::optional<Person>(person_from(rows->front()));
}

std::string normalise_email(std::string_view email) {
  return lower_ascii(trim(email));
}

Result<> check_email(std::string_view email) {
  constexpr std::size_t kMaxEmail = 254;  // RFC 5321's limit on a forward path
  if (email.empty()) return fail(ErrorKind::invalid_input, "the email address is empty");
  if (email.size() > kMaxEmail) {
    return fail(ErrorKind::invalid_input, fmt::format("the email address is {} characters; the "
                                                      "limit is {}",
                                                      email.size(), kMaxEmail));
  }
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return fail(ErrorKind::invalid_input,
                fmt::format("\"{}\" is not an email address: expected name@example.org", email));
  }
  const std::string_view local = email.substr(0, at);
  if (local.size() > 64) {
    return fail(ErrorKind::invalid_input,
                "the part of the email address before @ is over 64 "
                "characters");
  }
  for (const char c : local) {
    const auto u = static_cast<unsigned char>(c);
    std::string problem;
    if (u >= 0x80) {
      problem = "use only ASCII characters";  // the database lower-cases ASCII only
    } else if (u <= 0x20 || u == 0x7f) {
      problem = "contain no spaces or control characters";
    } else if (std::string_view("\"(),:;<>[]\\").find(c) != std::string_view::npos) {
      problem = fmt::format("not contain '{}'", c);
    } else {
      continue;
    }
    return fail(
        ErrorKind::invalid_input,
        fmt::format("\"{}\" is not an email address: the part before @ must {}", email, problem));
  }
  if (auto domain = check_email_domain(email.substr(at + 1)); !domain) {
    return fail(ErrorKind::invalid_input,
                fmt::format("\"{}\" is not an email address: {}", email, domain.error().message));
  }
  return {};
}

Result<> check_email_domain(std::string_view domain) {
  const auto bad = [&] {
    return fail(ErrorKind::invalid_input,
                fmt::format("\"{}\" is not a domain name such as example.org", domain));
  };
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
    return bad();
  }
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return bad();
    }
    for (const char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad();
    }
    start = end + 1;
  }
  return {};
}

Result<std::vector<Person>> DirectoryStore::list_people(std::int64_t organisation_id) {
  auto rows = connection_.query(
      fmt::format("{} FROM people WHERE organisation_id = ? ORDER BY display_name, id",
                  kPersonColumns),
      {organisation_id});
  if (!rows) return rows.error();
  std::vector<Person> people;
  for (const store::Row& row : *rows) people.push_back(person_from(row));
  return people;
}

Result<> DirectoryStore::set_password_hash(std::int64_t person_id,
                                           std::string_view password_hash) {
  AGORA_TRY(connection_.execute("UPDATE people SET password_hash = ? WHERE id = ?",
                                {std::string(password_hash), person_id}));
  return {};
}

Result<> DirectoryStore::set_admin(std::int64_t person_id, bool is_admin) {
  AGORA_TRY(connection_.execute("UPDATE people SET is_admin = ? WHERE id = ?",
                                {std::int64_t{is_admin ? 1 : 0}, person_id}));
  return {};
}

Result<> DirectoryStore::set_status(std::int64_t person_id, PersonStatus status) {
  AGORA_TRY(connection_.execute("UPDATE people SET status = ? WHERE id = ?",
                                {std::string(to_string(status)), person_id}));
  // Open collaboration sockets re-check their people's roles when the grant generation moves
  // (collab::document_role gives none to someone not active), so a suspension reaches them too.
  AGORA_TRY(connection_.execute("UPDATE grant_generation SET generation = generation + 1"));
  return {};
}

Result<> DirectoryStore::set_profile(std::int64_t person_id, std::string_view email,
                                     std::string_view display_name,
                                     std::string_view external_id) {
  const std::string normalised = normalise_email(email);
  AGORA_TRY(check_email(normalised));
  AGORA_TRY(check_display_text("display name", display_name));
  auto existing = find_person_by_email(normalised);
  if (!existing) return existing.error();
  if (*existing && (*existing)->id != person_id) {
    return fail(ErrorKind::conflict,
                fmt::format("someone with the email {} already exists", normalised));
  }
  store::Value external = nullptr;
  if (!external_id.empty()) external = std::string(external_id);
  AGORA_TRY(connection_.execute(
      "UPDATE people SET email = ?, display_name = ?, external_id = ? WHERE id = ?",
      {normalised, std::string(trim(display_name)), external, person_id}));
  return {};
}

Result<> DirectoryStore::erase_person(std::int64_t person_id, std::string_view former_name) {
  // Everything that identifies or authenticates them goes; the row stays so that documents,
  // comments and audit records keep a (now anonymous) author.
  const store::Params who{person_id};
  AGORA_TRY(connection_.execute(
      "DELETE FROM one_time_tokens WHERE email = (SELECT email FROM people WHERE id = ?)", who));
  AGORA_TRY(connection_.execute("DELETE FROM sessions WHERE person_id = ?", who));
  AGORA_TRY(connection_.execute("DELETE FROM recovery_codes WHERE person_id = ?", who));
  AGORA_TRY(connection_.execute("DELETE FROM api_tokens WHERE person_id = ?", who));
  AGORA_TRY(connection_.execute("DELETE FROM grants WHERE person_id = ?", who));
  AGORA_TRY(connection_.execute("DELETE FROM person_group_members WHERE person_id = ?", who));
  AGORA_TRY(connection_.execute(
      "UPDATE people SET email = ?, display_name = ?, password_hash = '', totp_secret = NULL, "
      "totp_last_step = 0, external_id = NULL, is_admin = 0, status = 'erased' WHERE id = ?",
      {fmt::format("erased-{}@invalid", person_id), std::string(former_name), person_id}));
  // Open connections re-check their roles when the generation moves (GrantStore::generation).
  AGORA_TRY(connection_.execute("UPDATE grant_generation SET generation = generation + 1"));
  return {};
}

Result<> DirectoryStore::set_totp_secret(std::int64_t person_id, std::string_view secret) {
  store::Value value = nullptr;
  if (!secret.empty()) value = store::Bytes{std::string(secret)};
  AGORA_TRY(connection_.execute(
      "UPDATE people SET totp_secret = ?, totp_last_step = 0 WHERE id = ?", {value, person_id}));
  return {};
}

Result<bool> DirectoryStore::claim_totp_step(std::int64_t person_id, std::int64_t step) {
  auto changed = connection_.execute(
      "UPDATE people SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
      {step, person_id, step});
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<> DirectoryStore::set_require_two_factor(std::int64_t organisation_id, bool required) {
  AGORA_TRY(connection_.execute("UPDATE organisations SET require_two_factor = ? WHERE id = ?",
                                {std::int64_t{required ? 1 : 0}, organisation_id}));
  return {};
}

}  // namespace agora::auth
