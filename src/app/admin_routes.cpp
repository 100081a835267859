#include "app/admin_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/request_principal.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>

namespace agora::app {

namespace {

namespace json = boost::json;

std::string text(const AdminSite& site, const http::Request& request, std::string_view key) {
  return site.links.templates.message(http::choose_language(request), key);
}

// The admin's organisation, after asking the policy (the route gate only said "signed in").
Result<auth::Organisation> own_organisation(const AdminSite& site, const auth::Principal& principal) {
  const auth::Resource resource{"organisation", std::to_string(principal.organisation_id)};
  if (!site.policy.check(principal, auth::kOrganisationManage, resource))
    return fail(ErrorKind::permission_denied, "only your organisation's admins may do this");
  auto organisation = site.links.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.links.clock).find_organisation(principal.organisation_id);
  });
  if (!organisation) return organisation.error();
  if (!*organisation) return fail(ErrorKind::not_found, "your organisation no longer exists");
  return std::move(**organisation);
}

http::Response people_page(const AdminSite& site, http::Request& request,
                           std::vector<http::ErrorSummaryItem> errors = {},
                           std::string_view notice = {}, std::string_view invite_email = {},
                           std::string_view invite_name = {}) {
  const auth::Principal principal = auth::principal_of(request);
  auto organisation = own_organisation(site, principal);
  if (!organisation) throw ErrorException(organisation.error());
  auto people = site.links.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.links.clock).list_people(organisation->id);
  });
  if (!people) throw ErrorException(people.error());
  json::array rows;
  for (const auth::Person& p : *people) {
    if (p.status == auth::PersonStatus::erased) continue;
    rows.push_back(json::object{{"id", p.id},
                                {"name", p.display_name},
                                {"email", p.email},
                                {"is_admin", p.is_admin},
                                {"is_me", p.id == principal.person_id},
                                {"suspended", p.status == auth::PersonStatus::suspended},
                                {"two_factor_on", !p.totp_secret.empty()}});
  }
  std::string email_error;
  for (const auto& e : errors) email_error = e.message;
  json::object data{{"organisation", organisation->name},
                    {"require_two_factor", organisation->require_two_factor},
                    {"people", std::move(rows)},
                    {"notice", notice},
                    {"invite_email", invite_email},
                    {"invite_name", invite_name},
                    {"email_error", email_error},
                    {"domains", fmt::format("{}", fmt::join(organisation->email_domains, ", "))}};
  http::PageContext context =
      page_context(site.links.templates, request, text(site, request, "admin.people.title"), true);
  context.errors = std::move(errors);
  auto response = http::Response::html(site.links.templates.render_page("admin_people", data, context),
                                       context.errors.empty() ? 200 : 400);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response show_people(const AdminSite& site, http::Request& request) {
  return people_page(site, request);
}

http::Response invite(const AdminSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto organisation = own_organisation(site, principal);
  if (!organisation) throw ErrorException(organisation.error());
  const std::string email = auth::normalise_email(request.form_field("email").value_or(""));
  auto refuse = [&](std::string_view key) {
    return people_page(site, request, {{text(site, request, key), "invite-email"}}, {}, email);
  };
  if (!auth::check_email(email)) return refuse("admin.people.invite_email_invalid");
  const std::string domain = email.substr(email.find('@') + 1);
  if (std::find(organisation->email_domains.begin(), organisation->email_domains.end(), domain) ==
      organisation->email_domains.end()) {
    return refuse("admin.people.invite_other_domain");
  }
  auto existing = site.links.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.links.clock).find_person_by_email(email);
  });
  if (!existing) throw ErrorException(existing.error());
  if (*existing) return refuse("admin.people.invite_exists");
  auto sent = send_invitation(site.links, request,
                              Invitation{.email = email,
                                         .organisation_id = organisation->id,
                                         .inviter_name = principal.display_name,
                                         .organisation_name = organisation->name});
  if (!sent) return refuse("admin.people.invite_not_sent");
  return people_page(site, request, {},
                     fmt::format(fmt::runtime(text(site, request, "admin.people.invite_sent")), email));
}

// One change to one person of the admin's organisation, audited; `change` does the work.
template <typename Change>
http::Response change_person(const AdminSite& site, http::Request& request, std::string_view action,
                             Change change) {
  const auth::Principal principal = auth::principal_of(request);
  auto organisation = own_organisation(site, principal);
  if (!organisation) throw ErrorException(organisation.error());
  std::int64_t person_id = 0;
  const std::string_view id = request.param("id");
  if (std::from_chars(id.data(), id.data() + id.size(), person_id).ec != std::errc{})
    return error_page(site.links.templates, request, 404, "there is no such person");
  auto done = site.links.database.transaction([&](store::Connection& c) -> Result<bool> {
    auth::DirectoryStore directory(c, site.links.clock);
    auto person = directory.find_person(person_id);
    if (!person) return person.error();
    // Someone in another organisation is, to this admin, someone who does not exist.
    if (!*person || (*person)->organisation_id != organisation->id) return false;
    if ((*person)->id == principal.person_id && action != "admin.sessions_end")
      return fail(ErrorKind::conflict, "ask another admin to change your own account");
    AGORA_TRY(change(c, directory, **person));
    auto event = auth::AuditEvent::by(principal, std::string(action), "person",
                                      std::to_string(person_id));
    AGORA_TRY(site.links.audit.append_in(c, event));
    return true;
  });
  if (!done) {
    if (done.error().kind == ErrorKind::conflict)
      return people_page(site, request, {{text(site, request, "admin.people.not_yourself"), "people"}});
    throw ErrorException(done.error());
  }
  if (!*done) return error_page(site.links.templates, request, 404, "there is no such person");
  return see_other("/admin/people");
}

http::Response suspend(const AdminSite& site, http::Request& request) {
  return change_person(site, request, "admin.person_suspend",
                       [&](store::Connection& c, auth::DirectoryStore& d, const auth::Person& p) -> Result<> {
                         AGORA_TRY(d.set_status(p.id, auth::PersonStatus::suspended));
                         AGORA_TRY(auth::SessionStore(c, site.links.clock, site.limits).end_all(p.id));
                         return {};
                       });
}

http::Response reactivate(const AdminSite& site, http::Request& request) {
  return change_person(site, request, "admin.person_reactivate",
                       [](store::Connection&, auth::DirectoryStore& d, const auth::Person& p) {
                         return d.set_status(p.id, auth::PersonStatus::active);
                       });
}

http::Response make_admin(const AdminSite& site, http::Request& request) {
  return change_person(site, request, "admin.person_make_admin",
                       [&](store::Connection& c, auth::DirectoryStore& d, const auth::Person& p) -> Result<> {
                         AGORA_TRY(d.set_admin(p.id, true));
                         // A change of privilege: their sessions start again.
                         AGORA_TRY(auth::SessionStore(c, site.links.clock, site.limits).end_all(p.id));
                         return {};
                       });
}

http::Response remove_admin(const AdminSite& site, http::Request& request) {
  return change_person(site, request, "admin.person_remove_admin",
                       [&](store::Connection& c, auth::DirectoryStore& d, const auth::Person& p) -> Result<> {
                         AGORA_TRY(d.set_admin(p.id, false));
                         AGORA_TRY(auth::SessionStore(c, site.links.clock, site.limits).end_all(p.id));
                         return {};
                       });
}

http::Response end_sessions(const AdminSite& site, http::Request& request) {
  return change_person(site, request, "admin.sessions_end",
                       [&](store::Connection& c, auth::DirectoryStore&, const auth::Person& p) -> Result<> {
                         AGORA_TRY(auth::SessionStore(c, site.links.clock, site.limits).end_all(p.id));
                         return {};
                       });
}

http::Response set_two_factor_rule(const AdminSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto organisation = own_organisation(site, principal);
  if (!organisation) throw ErrorException(organisation.error());
  const bool required = request.form_field("require_two_factor").value_or("") == "yes";
  auto done = site.links.database.transaction([&](store::Connection& c) -> Result<> {
    AGORA_TRY(auth::DirectoryStore(c, site.links.clock).set_require_two_factor(organisation->id, required));
    auto logged = site.links.audit.append_in(
        c, auth::AuditEvent::by(principal, "admin.require_two_factor", "organisation",
                                std::to_string(organisation->id), auth::AuditOutcome::success,
                                required ? "on" : "off"));
    if (!logged) return logged.error();
    return {};
  });
  if (!done) throw ErrorException(done.error());
  return see_other("/admin/people");
}

}  // namespace

void add_admin_routes(http::Router& router, const AdminSite& site) {
  const std::string action(auth::kOrganisationManage);
  auto route = [&site](http::Response (*handler)(const AdminSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  router.add("GET", "/admin/people", route(show_people), {.action = action});
  router.add("POST", "/admin/people/invite", route(invite), {.action = action});
  router.add("POST", "/admin/people/{id}/suspend", route(suspend), {.action = action});
  router.add("POST", "/admin/people/{id}/reactivate", route(reactivate), {.action = action});
  router.add("POST", "/admin/people/{id}/make-admin", route(make_admin), {.action = action});
  router.add("POST", "/admin/people/{id}/remove-admin", route(remove_admin), {.action = action});
  router.add("POST", "/admin/people/{id}/end-sessions", route(end_sessions), {.action = action});
  router.add("POST", "/admin/two-factor", route(set_two_factor_rule), {.action = action});
}

}  // namespace agora::app
