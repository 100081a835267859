#include "app/sso_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/oidc_store.hpp"
#include "auth/policy.hpp"
#include "auth/request_principal.hpp"
#include "auth/sign_in_middleware.hpp"
#include "base/logging.hpp"
#include "base/random.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace agora::app {

namespace {

namespace log = base::log;

// What the routes share: the site and one OIDC client, whose caches outlive single requests.
struct SsoService {
  explicit SsoService(const SsoSite& s)
      : site(s),
        http(s.http ? s.http : std::make_shared<auth::CurlHttpClient>()),
        oidc(*http, s.clock) {}

  SsoSite site;
  std::shared_ptr<auth::HttpClient> http;
  auth::OidcClient oidc;
};

// The page that says what went wrong and what to do: `key` names a section of
// templates/messages/<language>/sso.json with a title and a body.
http::Response problem_page(const SsoSite& site, const http::Request& request, int status,
                            std::string_view key) {
  const std::string language(http::choose_language(request));
  const std::string title = site.templates.message(language, fmt::format("sso.{}.title", key));
  const std::string body = site.templates.message(language, fmt::format("sso.{}.body", key));
  http::Response response;
  if (request.prefers_json()) {
    response = error_page(site.templates, request, status, title);
  } else {
    boost::json::object data{{"heading", title}, {"body", body}};
    response = http::Response::html(
        site.templates.render_page("sso_error", data, page_context(site.templates, request, title)),
        status);
  }
  response.headers.set("Cache-Control", "no-store");
  return response;
}

// The address the provider sends the person back to. It must be the same when the flow starts
// and when the code is exchanged, and both requests reach the same site.
std::string callback_url(const SsoSite& site, const http::Request& request) {
  return auth::expected_origin(request, site.public_url) + std::string(kSsoCallbackPath);
}

void audit_refusal(const SsoSite& site, const http::Request& request,
                   std::optional<std::int64_t> organisation_id,
                   std::optional<std::int64_t> person_id, std::string detail) {
  auth::AuditEvent event =
      auth::AuditEvent::by(auth::principal_of(request), "auth.sign_in", "organisation",
                           organisation_id ? std::to_string(*organisation_id) : std::string(),
                           auth::AuditOutcome::denied, "single sign-on: " + std::move(detail));
  event.person_id = person_id;
  event.organisation_id = organisation_id;
  if (auto recorded = site.audit.append(event); !recorded) {
    log::error("sso.audit_failed",
               {{"request_id", request.request_id}, {"error", recorded.error().message}});
  }
}

// --- GET /sign-in/sso ---------------------------------------------------------------------------

struct Destination {
  auth::OidcSettings settings;
  std::string_view problem;  // a key of sso.json when the person cannot use SSO
};

http::Response start(SsoService& service, http::Request& request) {
  const SsoSite& site = service.site;
  const std::string email = auth::normalise_email(request.query_param("email").value_or(""));
  if (email.empty() || !auth::check_email(email)) {
    return problem_page(site, request, 400, "email_missing");
  }
  const std::string domain = email.substr(email.find('@') + 1);

  auto destination =
      site.database.with_connection([&](store::Connection& c) -> Result<Destination> {
        auto organisation = auth::DirectoryStore(c, site.clock).find_organisation_by_domain(domain);
        if (!organisation) return organisation.error();
        if (!*organisation) return Destination{{}, "unknown_domain"};
        auto settings = auth::OidcStore(c, site.clock).settings((*organisation)->id);
        if (!settings) return settings.error();
        if (!settings->enabled()) return Destination{*settings, "not_sso"};
        return Destination{*settings, {}};
      });
  if (!destination) {
    log::error("sso.start_failed",
               {{"request_id", request.request_id}, {"error", destination.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not look up your organisation; try again in a moment");
  }
  if (!destination->problem.empty()) return problem_page(site, request, 400, destination->problem);

  base::Random& random = base::system_random();
  auth::OidcLogin login{
      .state = auth::new_oidc_secret(random),
      .organisation_id = destination->settings.organisation_id,
      .nonce = auth::new_oidc_secret(random),
      .code_verifier = auth::new_oidc_secret(random),
      .return_to = local_path_or(request.query_param("return_to").value_or(""), "/")};
  auto url =
      service.oidc.start(destination->settings,
                         auth::AuthorizationRequest{.client_id = destination->settings.client_id,
                                                    .redirect_uri = callback_url(site, request),
                                                    .state = login.state,
                                                    .nonce = login.nonce,
                                                    .code_verifier = login.code_verifier,
                                                    .login_hint = email});
  if (!url) {
    log::warn("sso.discovery_failed", {{"request_id", request.request_id},
                                       {"organisation_id", login.organisation_id},
                                       {"issuer", destination->settings.issuer},
                                       {"error", url.error().message}});
    return problem_page(site, request, 502, "unavailable");
  }
  auto saved = site.database.transaction(
      [&](store::Connection& c) { return auth::OidcStore(c, site.clock).save_login(login); });
  if (!saved) {
    log::error("sso.start_failed",
               {{"request_id", request.request_id}, {"error", saved.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not start signing you in; try again in a moment");
  }
  http::Response response = see_other(*url);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

// --- GET /sign-in/sso/callback ------------------------------------------------------------------

// The person the provider vouched for, if they may sign in to this organisation.
struct Member {
  std::optional<auth::Person> person;
  std::string status;
};

http::Response callback(SsoService& service, http::Request& request) {
  const SsoSite& site = service.site;
  const std::string state = request.query_param("state").value_or("");
  if (state.empty()) return problem_page(site, request, 400, "expired");

  // Taken (and so spent) before anything else: whatever happens next, this state is used up.
  auto taken = site.database.transaction(
      [&](store::Connection& c) { return auth::OidcStore(c, site.clock).take_login(state); });
  if (!taken) {
    log::error("sso.callback_failed",
               {{"request_id", request.request_id}, {"error", taken.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not finish signing you in; try again in a moment");
  }
  if (!*taken) {
    log::warn("sso.state_refused", {{"request_id", request.request_id},
                                    {"detail", "unknown, expired or already used state"}});
    return problem_page(site, request, 400, "expired");
  }
  const auth::OidcLogin login = std::move(**taken);

  if (auto error = request.query_param("error")) {
    const std::string description = request.query_param("error_description").value_or("");
    log::warn("sso.provider_refused", {{"request_id", request.request_id},
                                       {"organisation_id", login.organisation_id},
                                       {"error", error->substr(0, 100)},
                                       {"description", description.substr(0, 300)}});
    audit_refusal(site, request, login.organisation_id, std::nullopt,
                  "the provider answered " + error->substr(0, 100));
    const bool person_said_no = *error == "access_denied" || *error == "login_required" ||
                                *error == "consent_required" || *error == "interaction_required";
    return problem_page(site, request, 403, person_said_no ? "cancelled" : "provider_error");
  }
  const std::string code = request.query_param("code").value_or("");
  if (code.empty()) return problem_page(site, request, 400, "provider_error");

  auto settings = site.database.with_connection([&](store::Connection& c) {
    return auth::OidcStore(c, site.clock).settings(login.organisation_id);
  });
  if (!settings && settings.error().kind != ErrorKind::not_found) {
    log::error("sso.callback_failed",
               {{"request_id", request.request_id}, {"error", settings.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not finish signing you in; try again in a moment");
  }
  if (!settings || !settings->enabled()) return problem_page(site, request, 400, "not_sso");

  auto identity = service.oidc.finish(*settings, callback_url(site, request), code,
                                      login.code_verifier, login.nonce);
  if (!identity) {
    const Error& error = identity.error();
    log::warn("sso.token_refused", {{"request_id", request.request_id},
                                    {"organisation_id", login.organisation_id},
                                    {"issuer", settings->issuer},
                                    {"kind", to_string(error.kind)},
                                    {"error", error.message}});
    audit_refusal(site, request, login.organisation_id, std::nullopt, error.message);
    if (error.kind == ErrorKind::unavailable)
      return problem_page(site, request, 502, "unavailable");
    if (error.message == auth::kEmailNotVerified) {
      return problem_page(site, request, 403, "email_not_verified");
    }
    return problem_page(site, request, 403, "not_confirmed");
  }

  auto member = site.database.with_connection([&](store::Connection& c) -> Result<Member> {
    Member m;
    auto person = auth::DirectoryStore(c, site.clock).find_person_by_email(identity->email);
    if (!person) return person.error();
    m.person = std::move(*person);
    if (m.person) {
      auto status = auth::OidcStore(c, site.clock).person_status(m.person->id);
      if (!status) return status.error();
      m.status = status->value_or("");
    }
    return m;
  });
  if (!member) {
    log::error("sso.callback_failed",
               {{"request_id", request.request_id}, {"error", member.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not finish signing you in; try again in a moment");
  }
  // A provider speaks for its own organisation only: someone it vouches for whose Agora account
  // belongs elsewhere is refused, as if they had no account.
  if (!member->person || member->person->organisation_id != login.organisation_id) {
    log::warn("sso.no_account", {{"request_id", request.request_id},
                                 {"organisation_id", login.organisation_id},
                                 {"other_organisation", member->person.has_value()}});
    audit_refusal(site, request, login.organisation_id, std::nullopt,
                  "no account in this organisation for the address the provider gave");
    return problem_page(site, request, 403, "no_account");
  }
  const auth::Person& person = *member->person;
  if (member->status != "active") {
    audit_refusal(site, request, login.organisation_id, person.id,
                  "the account is " + member->status);
    return problem_page(site, request, 403, "suspended");
  }

  const auth::Principal asking = auth::principal_of(request);
  auto session =
      site.database.transaction([&](store::Connection& c) -> Result<auth::IssuedSession> {
        auth::SessionStore sessions(c, site.clock, site.limits);
        // Whoever was signed in on this browser is signed out: one browser, one session.
        if (asking.signed_in() && asking.session_id != 0) {
          AGORA_TRY(sessions.end(asking.person_id, asking.session_id));
        }
        auto issued = sessions.start(person.id, auth::SessionStage::active, "sso",
                                     request.remote_address, request.headers.get("User-Agent"));
        if (!issued) return issued.error();
        auth::AuditEvent event = auth::AuditEvent::by(
            asking, "auth.sign_in", "session", std::to_string(issued->session.id),
            auth::AuditOutcome::success, "single sign-on");
        event.person_id = person.id;
        event.organisation_id = person.organisation_id;
        AGORA_TRY(site.audit.append_in(c, event));
        return issued;
      });
  if (!session) {
    log::error("sso.session_failed",
               {{"request_id", request.request_id}, {"error", session.error().message}});
    return error_page(site.templates, request, 503,
                      "the server could not finish signing you in; try again in a moment");
  }
  log::info("sso.signed_in", {{"request_id", request.request_id},
                              {"person_id", person.id},
                              {"organisation_id", person.organisation_id}});
  http::Response response = see_other(local_path_or(login.return_to, "/"));
  response.headers.add("Set-Cookie", auth::session_cookie(session->token));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

}  // namespace

void add_sso_routes(http::Router& router, const SsoSite& site) {
  auto service = std::make_shared<SsoService>(site);
  const std::string action(auth::kAccountSignIn);
  router.add("GET", "/sign-in/sso",
             [service](http::Request& request) { return start(*service, request); },
             {.action = action});
  router.add("GET", std::string(kSsoCallbackPath),
             [service](http::Request& request) { return callback(*service, request); },
             {.action = action});
}

}  // namespace agora::app
