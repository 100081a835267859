#include "app/scim_routes.hpp"

#include "auth/directory_store.hpp"
#include "auth/group_store.hpp"
#include "auth/request_principal.hpp"
#include "auth/scim.hpp"
#include "base/logging.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace agora::app {

namespace {

namespace json = boost::json;
namespace scim = auth::scim;

http::Response scim_json(int status, std::string body) {
  http::Response response = http::Response::with(status, scim::kContentType, std::move(body));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response scim_error(int status, std::string_view scim_type, std::string_view detail) {
  return scim_json(status, scim::render_error(status, scim_type, detail));
}

// The one place SCIM maps an Error to a status and scimType (RFC 7644 section 3.12).
http::Response scim_error(const Error& error, std::string_view invalid_type = "invalidValue") {
  switch (error.kind) {
    case ErrorKind::invalid_input: return scim_error(400, invalid_type, error.message);
    case ErrorKind::not_found: return scim_error(404, "", error.message);
    case ErrorKind::conflict: return scim_error(409, "uniqueness", error.message);
    case ErrorKind::permission_denied: return scim_error(403, "", error.message);
    case ErrorKind::too_large: return scim_error(413, "tooMany", error.message);
    case ErrorKind::unavailable: return scim_error(503, "", error.message);
    default:
      base::log::error("scim.failed", {{"error", error.message}});
      return scim_error(500, "", "the server could not do this; try again later");
  }
}

std::string base_url(const ScimSite& site, const http::Request& request) {
  std::string origin = site.public_url;
  if (origin.empty())
    origin = fmt::format("{}://{}", request.secure ? "https" : "http", request.headers.get("Host"));
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  return origin + "/scim/v2";
}

std::optional<std::int64_t> id_param(const http::Request& request) {
  const std::string_view text = request.param("id");
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

// The calling token's organisation, once the policy allows SCIM on it; otherwise the refusal.
struct Caller {
  auth::Principal principal;
  auth::Organisation organisation;
};

Result<Caller> caller_of(const ScimSite& site, const http::Request& request) {
  Caller caller{auth::principal_of(request), {}};
  const auth::Resource resource{"organisation", std::to_string(caller.principal.organisation_id)};
  if (!site.policy.check(caller.principal, auth::kScimProvision, resource)) {
    return fail(ErrorKind::permission_denied,
                "SCIM needs an API token with the scim scope that belongs to an admin of the "
                "organisation");
  }
  auto organisation = site.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.clock).find_organisation(caller.principal.organisation_id);
  });
  if (!organisation) return organisation.error();
  if (!*organisation) return fail(ErrorKind::not_found, "the token's organisation no longer exists");
  caller.organisation = std::move(**organisation);
  return caller;
}

// Who SCIM may see: the organisation's people who have not been erased. Anyone else, including
// other organisations' people, does not exist as far as this token is concerned.
bool visible(const Caller& caller, const std::optional<auth::Person>& person) {
  return person && person->organisation_id == caller.organisation.id &&
         person->status != auth::PersonStatus::erased;
}

Result<> check_domain(const auth::Organisation& organisation, std::string_view email) {
  const std::string normalised = auth::normalise_email(email);
  AGORA_TRY(auth::check_email(normalised));
  const std::string domain = normalised.substr(normalised.find('@') + 1);
  if (std::find(organisation.email_domains.begin(), organisation.email_domains.end(), domain) ==
      organisation.email_domains.end()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("userName must be an email address at one of {}'s domains ({})",
                            organisation.name, fmt::join(organisation.email_domains, ", ")));
  }
  return {};
}

// Makes `person` what `wanted` says, inside the caller's transaction, and audits each change.
// Deactivation ends their sessions now; the status change moves the grant generation, so their
// open collaboration sockets are re-checked and closed.
Result<> write_user(const ScimSite& site, store::Connection& c, const Caller& caller,
                    const auth::Person& person, const scim::UserInput& wanted,
                    std::string_view action) {
  auth::DirectoryStore directory(c, site.clock);
  const std::string email = auth::normalise_email(wanted.user_name);
  if (email != person.email) AGORA_TRY(check_domain(caller.organisation, email));
  const std::string name = wanted.display_name && !wanted.display_name->empty()
                               ? *wanted.display_name
                               : person.display_name;
  const std::string external = wanted.external_id.value_or(person.external_id);
  std::vector<std::string> changed;
  if (email != person.email) changed.push_back("userName");
  if (name != person.display_name) changed.push_back("displayName");
  if (external != person.external_id) changed.push_back("externalId");
  if (!changed.empty()) {
    AGORA_TRY(directory.set_profile(person.id, email, name, external));
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller.principal, std::string(action), "person",
                                std::to_string(person.id), auth::AuditOutcome::success,
                                fmt::format("changed {}", fmt::join(changed, ", ")))));
  }
  const bool active = person.status == auth::PersonStatus::active;
  if (wanted.active && *wanted.active != active) {
    if (*wanted.active) {
      AGORA_TRY(directory.set_status(person.id, auth::PersonStatus::active));
    } else {
      AGORA_TRY(directory.set_status(person.id, auth::PersonStatus::suspended));
      auto ended = auth::SessionStore(c, site.clock, site.limits).end_all(person.id);
      if (!ended) return ended.error();
    }
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller.principal,
                                *wanted.active ? "scim.user_reactivate" : "scim.user_deactivate",
                                "person", std::to_string(person.id))));
  }
  return {};
}

Result<auth::Person> reload(const ScimSite& site, store::Connection& c, std::int64_t id) {
  auto person = auth::DirectoryStore(c, site.clock).find_person(id);
  if (!person) return person.error();
  if (!*person) return fail(ErrorKind::not_found, "the User no longer exists");
  return std::move(**person);
}

// --- Users --------------------------------------------------------------------------------------

http::Response list_users(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  auto paging = scim::parse_paging(request.query_param("startIndex"), request.query_param("count"));
  if (!paging) return scim_error(paging.error());
  std::optional<scim::Filter> filter;
  if (auto text = request.query_param("filter"); text && !text->empty()) {
    auto parsed = scim::parse_filter(*text);
    if (!parsed) return scim_error(parsed.error(), "invalidFilter");
    filter = std::move(*parsed);
  }
  auto people = site.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.clock).list_people(caller->organisation.id);
  });
  if (!people) return scim_error(people.error());
  // Ids are stable, names are not: page in id order so that paging does not skip anyone.
  std::sort(people->begin(), people->end(),
            [](const auth::Person& a, const auth::Person& b) { return a.id < b.id; });
  std::int64_t total = 0;
  json::array page;
  const std::string base = base_url(site, request);
  for (const auth::Person& person : *people) {
    if (person.status == auth::PersonStatus::erased) continue;
    if (filter && !scim::matches(*filter, person)) continue;
    ++total;
    if (total >= paging->start_index &&
        static_cast<std::int64_t>(page.size()) < paging->count) {
      page.push_back(scim::render_user(person, base));
    }
  }
  return scim_json(200, scim::render_list(std::move(page), total, *paging));
}

http::Response get_user(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such User");
  auto person = site.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.clock).find_person(*id);
  });
  if (!person) return scim_error(person.error());
  if (!visible(*caller, *person)) return scim_error(404, "", "there is no such User");
  return scim_json(200, json::serialize(scim::render_user(**person, base_url(site, request))));
}

http::Response create_user(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  auto input = scim::parse_user(request.body);
  if (!input) return scim_error(input.error(), "invalidSyntax");
  if (auto domain = check_domain(caller->organisation, input->user_name); !domain)
    return scim_error(domain.error());
  auto created = site.database.transaction([&](store::Connection& c) -> Result<auth::Person> {
    auth::DirectoryStore directory(c, site.clock);
    const std::string email = auth::normalise_email(input->user_name);
    auto person = directory.create_person(auth::NewPerson{
        .organisation_id = caller->organisation.id,
        .email = email,
        .display_name = input->display_name.value_or(email),
        .password_hash = {}});  // they sign in by SSO or set a password by "forgotten password"
    if (!person) return person.error();
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller->principal, "scim.user_create", "person",
                                std::to_string(person->id), auth::AuditOutcome::success, email)));
    if (input->external_id && !input->external_id->empty()) {
      AGORA_TRY(directory.set_profile(person->id, person->email, person->display_name,
                                      *input->external_id));
    }
    if (input->active == false) {
      scim::UserInput inactive{.user_name = email, .display_name = {}, .external_id = {},
                               .active = false};
      auto stored = reload(site, c, person->id);
      if (!stored) return stored.error();
      AGORA_TRY(write_user(site, c, *caller, *stored, inactive, "scim.user_update"));
    }
    return reload(site, c, person->id);
  });
  if (!created) return scim_error(created.error());
  const std::string base = base_url(site, request);
  http::Response response = scim_json(201, json::serialize(scim::render_user(*created, base)));
  response.headers.set("Location", fmt::format("{}/Users/{}", base, created->id));
  return response;
}

// PUT and PATCH: `change` turns the stored User into the wanted one.
template <typename Change>
http::Response change_user(const ScimSite& site, http::Request& request, Change change) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such User");
  bool found = true;
  auto changed = site.database.transaction([&](store::Connection& c) -> Result<auth::Person> {
    auto person = auth::DirectoryStore(c, site.clock).find_person(*id);
    if (!person) return person.error();
    if (!visible(*caller, *person)) {
      found = false;
      return fail(ErrorKind::not_found, "there is no such User");
    }
    scim::UserInput wanted{.user_name = (*person)->email,
                           .display_name = (*person)->display_name,
                           .external_id = (*person)->external_id,
                           .active = (*person)->status == auth::PersonStatus::active};
    AGORA_TRY(change(wanted));
    AGORA_TRY(write_user(site, c, *caller, **person, wanted, "scim.user_update"));
    return reload(site, c, *id);
  });
  if (!changed) {
    if (!found) return scim_error(404, "", "there is no such User");
    return scim_error(changed.error());
  }
  return scim_json(200, json::serialize(scim::render_user(*changed, base_url(site, request))));
}

http::Response replace_user(const ScimSite& site, http::Request& request) {
  auto input = scim::parse_user(request.body);
  if (!input) return scim_error(input.error(), "invalidSyntax");
  return change_user(site, request, [&](scim::UserInput& wanted) -> Result<> {
    wanted.user_name = input->user_name;
    if (input->display_name) wanted.display_name = input->display_name;
    // PUT replaces: an externalId left out is removed.
    wanted.external_id = input->external_id.value_or("");
    if (input->active) wanted.active = input->active;
    return {};
  });
}

http::Response patch_user(const ScimSite& site, http::Request& request) {
  auto operations = scim::parse_patch(request.body);
  if (!operations) return scim_error(operations.error(), "invalidSyntax");
  return change_user(site, request, [&](scim::UserInput& wanted) {
    return scim::apply_user_patch(*operations, wanted);
  });
}

// DELETE deprovisions: the person is suspended, not erased, so their work and its history stay
// attributed (erasure is an admin's decision, on /admin/people).
http::Response delete_user(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such User");
  auto done = site.database.transaction([&](store::Connection& c) -> Result<bool> {
    auto person = auth::DirectoryStore(c, site.clock).find_person(*id);
    if (!person) return person.error();
    if (!visible(*caller, *person)) return false;
    scim::UserInput inactive{.user_name = (*person)->email, .display_name = {},
                             .external_id = {}, .active = false};
    AGORA_TRY(write_user(site, c, *caller, **person, inactive, "scim.user_update"));
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller->principal, "scim.user_delete", "person",
                                std::to_string(*id), auth::AuditOutcome::success,
                                "suspended; history kept")));
    return true;
  });
  if (!done) return scim_error(done.error());
  if (!*done) return scim_error(404, "", "there is no such User");
  http::Response response = http::Response::with(204, "text/plain", "");
  return response;
}

// --- Groups -------------------------------------------------------------------------------------

scim::Group scim_group(const auth::PersonGroup& group) {
  return scim::Group{group.id, group.display_name, group.external_id, group.members};
}

// Members must be people of the organisation who have not been erased.
Result<> check_members(const ScimSite& site, store::Connection& c, const Caller& caller,
                       const std::set<std::int64_t>& members) {
  auth::DirectoryStore directory(c, site.clock);
  for (std::int64_t id : members) {
    auto person = directory.find_person(id);
    if (!person) return person.error();
    if (!visible(caller, *person))
      return fail(ErrorKind::invalid_input, fmt::format("there is no User {} to add", id));
  }
  return {};
}

std::string external_id_of(std::string_view body) {
  boost::system::error_code ec;
  const json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return {};
  const json::value* external = value.as_object().if_contains("externalId");
  return external && external->is_string() ? std::string(external->as_string()) : std::string();
}

http::Response list_groups(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  auto paging = scim::parse_paging(request.query_param("startIndex"), request.query_param("count"));
  if (!paging) return scim_error(paging.error());
  std::optional<scim::Filter> filter;
  if (auto text = request.query_param("filter"); text && !text->empty()) {
    auto parsed = scim::parse_filter(*text);
    if (!parsed) return scim_error(parsed.error(), "invalidFilter");
    if (parsed->attribute != "displayname" && parsed->attribute != "externalid" &&
        parsed->attribute != "id") {
      return scim_error(400, "invalidFilter", "Groups can be filtered by displayName, externalId or id");
    }
    filter = std::move(*parsed);
  }
  auto groups = site.database.with_connection([&](store::Connection& c) {
    return auth::GroupStore(c, site.clock).list(caller->organisation.id);
  });
  if (!groups) return scim_error(groups.error());
  std::int64_t total = 0;
  json::array page;
  const std::string base = base_url(site, request);
  for (const auth::PersonGroup& group : *groups) {
    if (filter) {
      const std::string& have = filter->attribute == "displayname" ? group.display_name
                                : filter->attribute == "externalid" ? group.external_id
                                                                     : std::to_string(group.id);
      if (have != filter->value) continue;
    }
    ++total;
    if (total >= paging->start_index && static_cast<std::int64_t>(page.size()) < paging->count)
      page.push_back(scim::render_group(scim_group(group), base));
  }
  return scim_json(200, scim::render_list(std::move(page), total, *paging));
}

http::Response get_group(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such Group");
  auto group = site.database.with_connection([&](store::Connection& c) {
    return auth::GroupStore(c, site.clock).find(caller->organisation.id, *id);
  });
  if (!group) return scim_error(group.error());
  if (!*group) return scim_error(404, "", "there is no such Group");
  return scim_json(200, json::serialize(scim::render_group(scim_group(**group), base_url(site, request))));
}

http::Response create_group(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  auto input = scim::parse_group(request.body);
  if (!input) return scim_error(input.error(), "invalidSyntax");
  const std::string external = external_id_of(request.body);
  auto created = site.database.transaction([&](store::Connection& c) -> Result<auth::PersonGroup> {
    AGORA_TRY(check_members(site, c, *caller, input->members));
    auth::GroupStore groups(c, site.clock);
    auto id = groups.create(caller->organisation.id, input->display_name, external);
    if (!id) return id.error();
    AGORA_TRY(groups.set_members(*id, input->members));
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller->principal, "scim.group_create", "group", std::to_string(*id),
                                auth::AuditOutcome::success,
                                fmt::format("{} ({} members)", input->display_name,
                                            input->members.size()))));
    auto group = groups.find(caller->organisation.id, *id);
    if (!group) return group.error();
    if (!*group) return fail(ErrorKind::internal, "the new group vanished");
    return std::move(**group);
  });
  if (!created) return scim_error(created.error());
  const std::string base = base_url(site, request);
  http::Response response =
      scim_json(201, json::serialize(scim::render_group(scim_group(*created), base)));
  response.headers.set("Location", fmt::format("{}/Groups/{}", base, created->id));
  return response;
}

template <typename Change>
http::Response change_group(const ScimSite& site, http::Request& request, Change change) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such Group");
  bool found = true;
  auto changed = site.database.transaction([&](store::Connection& c) -> Result<auth::PersonGroup> {
    auth::GroupStore groups(c, site.clock);
    auto group = groups.find(caller->organisation.id, *id);
    if (!group) return group.error();
    if (!*group) {
      found = false;
      return fail(ErrorKind::not_found, "there is no such Group");
    }
    scim::GroupInput wanted{(*group)->display_name, {}};
    for (const auto& member : (*group)->members) wanted.members.insert(member.first);
    const std::set<std::int64_t> before = wanted.members;
    AGORA_TRY(change(wanted));
    AGORA_TRY(check_members(site, c, *caller, wanted.members));
    if (wanted.display_name != (*group)->display_name)
      AGORA_TRY(groups.rename(*id, wanted.display_name));
    if (wanted.members != before) AGORA_TRY(groups.set_members(*id, wanted.members));
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller->principal, "scim.group_update", "group", std::to_string(*id),
                                auth::AuditOutcome::success,
                                fmt::format("{} ({} members)", wanted.display_name,
                                            wanted.members.size()))));
    auto after = groups.find(caller->organisation.id, *id);
    if (!after) return after.error();
    if (!*after) return fail(ErrorKind::internal, "the group vanished");
    return std::move(**after);
  });
  if (!changed) {
    if (!found) return scim_error(404, "", "there is no such Group");
    return scim_error(changed.error());
  }
  return scim_json(200, json::serialize(scim::render_group(scim_group(*changed), base_url(site, request))));
}

http::Response replace_group(const ScimSite& site, http::Request& request) {
  auto input = scim::parse_group(request.body);
  if (!input) return scim_error(input.error(), "invalidSyntax");
  return change_group(site, request, [&](scim::GroupInput& wanted) -> Result<> {
    wanted = *input;
    return {};
  });
}

http::Response patch_group(const ScimSite& site, http::Request& request) {
  auto operations = scim::parse_patch(request.body);
  if (!operations) return scim_error(operations.error(), "invalidSyntax");
  return change_group(site, request, [&](scim::GroupInput& wanted) {
    return scim::apply_group_patch(*operations, wanted);
  });
}

http::Response delete_group(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const auto id = id_param(request);
  if (!id) return scim_error(404, "", "there is no such Group");
  auto done = site.database.transaction([&](store::Connection& c) -> Result<bool> {
    auto removed = auth::GroupStore(c, site.clock).remove(caller->organisation.id, *id);
    if (!removed) return removed.error();
    if (!*removed) return false;
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(caller->principal, "scim.group_delete", "group", std::to_string(*id))));
    return true;
  });
  if (!done) return scim_error(done.error());
  if (!*done) return scim_error(404, "", "there is no such Group");
  return http::Response::with(204, "text/plain", "");
}

// What a client may expect of this server (RFC 7643 section 5).
http::Response service_provider_config(const ScimSite& site, http::Request& request) {
  auto caller = caller_of(site, request);
  if (!caller) return scim_error(caller.error());
  const json::object off{{"supported", false}};
  json::object config{
      {"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
      {"patch", json::object{{"supported", true}}},
      {"bulk", json::object{{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", json::object{{"supported", true}, {"maxResults", scim::kMaxPage}}},
      {"changePassword", off},
      {"sort", off},
      {"etag", off},
      {"authenticationSchemes",
       json::array{json::object{{"type", "oauthbearertoken"},
                                {"name", "Agora API token"},
                                {"description", "An API token with the scim scope, created by an "
                                                "organisation admin on their account page"}}}}};
  return scim_json(200, json::serialize(config));
}

}  // namespace

void add_scim_routes(http::Router& router, const ScimSite& site) {
  const std::string action(auth::kScimProvision);
  auto route = [&site](http::Response (*handler)(const ScimSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  const http::RouteOptions options{.action = action, .body_limit = 1024 * 1024};
  router.add("GET", "/scim/v2/ServiceProviderConfig", route(service_provider_config), options);
  router.add("GET", "/scim/v2/Users", route(list_users), options);
  router.add("POST", "/scim/v2/Users", route(create_user), options);
  router.add("GET", "/scim/v2/Users/{id}", route(get_user), options);
  router.add("PUT", "/scim/v2/Users/{id}", route(replace_user), options);
  router.add("PATCH", "/scim/v2/Users/{id}", route(patch_user), options);
  router.add("DELETE", "/scim/v2/Users/{id}", route(delete_user), options);
  router.add("GET", "/scim/v2/Groups", route(list_groups), options);
  router.add("POST", "/scim/v2/Groups", route(create_group), options);
  router.add("GET", "/scim/v2/Groups/{id}", route(get_group), options);
  router.add("PUT", "/scim/v2/Groups/{id}", route(replace_group), options);
  router.add("PATCH", "/scim/v2/Groups/{id}", route(patch_group), options);
  router.add("DELETE", "/scim/v2/Groups/{id}", route(delete_group), options);
}

}  // namespace agora::app
