#include "app/account_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/qr_code.hpp"
#include "auth/request_principal.hpp"
#include "auth/sign_in.hpp"
#include "auth/totp.hpp"
#include "auth/two_factor_store.hpp"
#include "base/logging.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>

namespace agora::app {

namespace {

namespace json = boost::json;
using auth::SignInOutcome;

constexpr std::string_view kHomeAfterSignIn = "/spaces";

auth::Requester requester_of(const http::Request& request) {
  return auth::Requester{request.remote_address,
                         std::string(request.headers.get("User-Agent").substr(0, 300))};
}

std::string message(const AccountSite& site, const http::Request& request, std::string_view key) {
  return site.templates.message(http::choose_language(request), key);
}

http::Response page(const AccountSite& site, const http::Request& request, std::string_view name,
                    std::string_view title_key, json::object data,
                    std::vector<http::ErrorSummaryItem> errors = {}, int status = 200) {
  http::PageContext context = page_context(site.templates, request, message(site, request, title_key));
  context.errors = std::move(errors);
  if (!context.errors.empty() && status == 200) status = 400;
  auto response = http::Response::html(site.templates.render_page(name, data, context), status);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response with_session_cookie(http::Response response, std::string_view token) {
  response.headers.add("Set-Cookie", auth::session_cookie(token));
  return response;
}

std::string minutes_text(std::chrono::seconds wait) {
  return std::to_string(std::max<std::int64_t>(1, (wait.count() + 59) / 60));
}

// --- sign in ------------------------------------------------------------------------------------

http::Response sign_in_form(const AccountSite& site, const http::Request& request,
                            std::string_view email, std::string_view return_to,
                            std::vector<http::ErrorSummaryItem> errors, int status = 200) {
  json::object data{{"email", email},
                    {"return_to", local_path_or(return_to, kHomeAfterSignIn)},
                    {"email_error", ""},
                    {"password_error", ""}};
  for (const auto& error : errors) {
    data[error.field_id == "email" ? "email_error" : "password_error"] = error.message;
  }
  return page(site, request, "sign_in", "account.sign_in.title", std::move(data), std::move(errors),
              status);
}

http::Response show_sign_in(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  const std::string return_to = request.query_param("return_to").value_or("");
  if (principal.signed_in()) return see_other(local_path_or(return_to, kHomeAfterSignIn));
  return sign_in_form(site, request, "", return_to, {});
}

http::Response submit_sign_in(const AccountSite& site, http::Request& request) {
  const std::string email = request.form_field("email").value_or("");
  const std::string password = request.form_field("password").value_or("");
  const std::string return_to = request.form_field("return_to").value_or("");
  std::vector<http::ErrorSummaryItem> errors;
  if (email.empty()) errors.push_back({message(site, request, "account.sign_in.email_missing"), "email"});
  if (password.empty())
    errors.push_back({message(site, request, "account.sign_in.password_missing"), "password"});
  if (!errors.empty()) return sign_in_form(site, request, email, return_to, std::move(errors));

  auth::SignIn sign_in(site.database, site.clock, site.limits, site.audit);
  const auto previous = request.cookie(auth::kSessionCookie);
  auto outcome = sign_in.with_password(email, password, requester_of(request),
                                       previous ? std::optional<std::string_view>(*previous)
                                                : std::nullopt);
  if (!outcome) throw ErrorException(outcome.error());
  switch (outcome->kind) {
    case SignInOutcome::Kind::refused:
      return sign_in_form(site, request, email, return_to,
                          {{message(site, request, "account.sign_in.refused"), "email"}});
    case SignInOutcome::Kind::rate_limited: {
      auto response = sign_in_form(
          site, request, email, return_to,
          {{fmt::format(fmt::runtime(message(site, request, "account.sign_in.rate_limited")),
                        minutes_text(outcome->retry_after)),
            "email"}},
          429);
      response.headers.set("Retry-After", std::to_string(outcome->retry_after.count()));
      return response;
    }
    case SignInOutcome::Kind::suspended:
      return sign_in_form(site, request, email, return_to,
                          {{message(site, request, "account.sign_in.suspended"), "email"}}, 403);
    case SignInOutcome::Kind::signed_in:
      break;
  }
  const std::string next = local_path_or(return_to, kHomeAfterSignIn);
  std::string location = next;
  if (outcome->session.session.stage == auth::SessionStage::second_factor) {
    location = "/sign-in/two-factor?return_to=" + http::percent_encode(next);
  } else if (outcome->session.session.stage == auth::SessionStage::two_factor_setup) {
    location = "/account/two-factor";
  }
  return with_session_cookie(see_other(location), outcome->session.token);
}

// --- second factor ------------------------------------------------------------------------------

http::Response second_factor_form(const AccountSite& site, const http::Request& request,
                                  std::string_view return_to,
                                  std::vector<http::ErrorSummaryItem> errors, int status = 200) {
  json::object data{{"return_to", local_path_or(return_to, kHomeAfterSignIn)},
                    {"code_error", errors.empty() ? std::string() : errors.front().message}};
  return page(site, request, "sign_in_two_factor", "account.two_factor.title", std::move(data),
              std::move(errors), status);
}

http::Response show_second_factor(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (!principal.sign_in_pending) return see_other("/sign-in");
  if (principal.must_set_up_two_factor) return see_other("/account/two-factor");
  return second_factor_form(site, request, request.query_param("return_to").value_or(""), {});
}

http::Response submit_second_factor(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (!principal.sign_in_pending) return see_other("/sign-in");
  const std::string return_to = request.form_field("return_to").value_or("");
  const std::string code = request.form_field("code").value_or("");
  if (code.empty()) {
    return second_factor_form(site, request, return_to,
                              {{message(site, request, "account.two_factor.code_missing"), "code"}});
  }
  auth::SignIn sign_in(site.database, site.clock, site.limits, site.audit);
  auto outcome = sign_in.with_second_factor(principal.session_id, principal.person_id, code,
                                            requester_of(request));
  if (!outcome) throw ErrorException(outcome.error());
  if (outcome->kind == SignInOutcome::Kind::rate_limited) {
    auto response = second_factor_form(
        site, request, return_to,
        {{fmt::format(fmt::runtime(message(site, request, "account.sign_in.rate_limited")),
                      minutes_text(outcome->retry_after)),
          "code"}},
        429);
    response.headers.set("Retry-After", std::to_string(outcome->retry_after.count()));
    return response;
  }
  if (outcome->kind != SignInOutcome::Kind::signed_in) {
    return second_factor_form(site, request, return_to,
                              {{message(site, request, "account.two_factor.code_wrong"), "code"}});
  }
  return with_session_cookie(see_other(local_path_or(return_to, kHomeAfterSignIn)),
                             outcome->session.token);
}

// --- setting up TOTP ----------------------------------------------------------------------------

// Who may set up TOTP: a signed-in person, or one whose organisation requires it and who has just
// given their password. Never someone who still owes their second factor: setting up a new
// authenticator must not be a way around the one they have.
bool may_set_up_two_factor(const auth::Principal& principal) {
  return principal.signed_in() || (principal.sign_in_pending && principal.must_set_up_two_factor);
}

Result<auth::Person> person_of(const AccountSite& site, std::int64_t person_id) {
  return site.database.with_connection([&](store::Connection& c) -> Result<auth::Person> {
    auto person = auth::DirectoryStore(c, site.clock).find_person(person_id);
    if (!person) return person.error();
    if (!*person) return fail(ErrorKind::not_found, "the account no longer exists");
    return std::move(**person);
  });
}

http::Response two_factor_setup_form(const AccountSite& site, const http::Request& request,
                                     const auth::Person& person, std::string secret_base32,
                                     std::vector<http::ErrorSummaryItem> errors) {
  const auto secret = auth::from_base32(secret_base32);
  const std::string uri = auth::otpauth_uri(secret ? *secret : std::string(), person.email);
  auto qr = auth::qr_code_svg(uri, message(site, request, "account.two_factor_setup.qr_title"));
  json::object data{
      {"secret", secret_base32},
      {"qr_html", qr ? *qr : std::string()},
      {"already_on", !person.totp_secret.empty()},
      {"code_error", errors.empty() ? std::string() : errors.front().message}};
  return page(site, request, "two_factor_setup", "account.two_factor_setup.title", std::move(data),
              std::move(errors));
}

http::Response show_two_factor_setup(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (!may_set_up_two_factor(principal)) return see_other("/sign-in");
  auto person = person_of(site, principal.person_id);
  if (!person) throw ErrorException(person.error());
  return two_factor_setup_form(site, request, *person, auth::to_base32(auth::new_totp_secret(), false),
                               {});
}

http::Response submit_two_factor_setup(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (!may_set_up_two_factor(principal)) return see_other("/sign-in");
  auto person = person_of(site, principal.person_id);
  if (!person) throw ErrorException(person.error());
  const std::string secret_text = request.form_field("secret").value_or("");
  const auto secret = auth::from_base32(secret_text);
  if (!secret || secret->size() < 16) {
    return two_factor_setup_form(site, request, *person,
                                 auth::to_base32(auth::new_totp_secret(), false),
                                 {{message(site, request, "account.two_factor_setup.expired"), "code"}});
  }
  auth::SignIn sign_in(site.database, site.clock, site.limits, site.audit);
  auto setup = sign_in.set_up_two_factor(principal.session_id, principal.person_id, *secret,
                                         request.form_field("code").value_or(""),
                                         request.form_field("current_code").value_or(""),
                                         requester_of(request));
  if (!setup) throw ErrorException(setup.error());
  if (!*setup) {
    return two_factor_setup_form(site, request, *person, secret_text,
                                 {{message(site, request, "account.two_factor.code_wrong"), "code"}});
  }
  json::array codes;
  for (const std::string& code : (*setup)->recovery_codes) codes.emplace_back(code);
  auto response = page(site, request, "recovery_codes", "account.recovery_codes.title",
                       json::object{{"codes", std::move(codes)}});
  return with_session_cookie(std::move(response), (*setup)->session.token);
}

// --- signing out and the account page ------------------------------------------------------------

http::Response sign_out(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (principal.session_id != 0) {
    auto ended = site.database.with_connection([&](store::Connection& c) {
      return auth::SessionStore(c, site.clock, site.limits)
          .end(principal.person_id, principal.session_id);
    });
    if (!ended) throw ErrorException(ended.error());
    auto logged = site.audit.append(
        auth::AuditEvent::by(principal, "auth.sign_out", "session",
                             std::to_string(principal.session_id)));
    if (!logged) throw ErrorException(logged.error());
  }
  http::Response response = see_other("/");
  response.headers.add("Set-Cookie", auth::expired_session_cookie());
  return response;
}

std::string when_text(std::chrono::system_clock::time_point t) {
  // Europe/London display comes with the localisation issue; UTC is unambiguous meanwhile.
  return fmt::format("{:%Y-%m-%d %H:%M} UTC",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

http::Response account_page(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  struct Facts {
    auth::Person person;
    std::string organisation;
    std::vector<auth::Session> sessions;
    std::int64_t recovery_codes_left = 0;
  };
  auto facts = site.database.with_connection([&](store::Connection& c) -> Result<Facts> {
    Facts f;
    auth::DirectoryStore directory(c, site.clock);
    auto person = directory.find_person(principal.person_id);
    if (!person) return person.error();
    if (!*person) return fail(ErrorKind::not_found, "the account no longer exists");
    f.person = std::move(**person);
    auto organisation = directory.find_organisation(f.person.organisation_id);
    if (!organisation) return organisation.error();
    if (*organisation) f.organisation = (*organisation)->name;
    auto sessions = auth::SessionStore(c, site.clock, site.limits).list(principal.person_id);
    if (!sessions) return sessions.error();
    f.sessions = std::move(*sessions);
    auto left = auth::TwoFactorStore(c, site.clock).unused_recovery_codes(principal.person_id);
    if (!left) return left.error();
    f.recovery_codes_left = *left;
    return f;
  });
  if (!facts) throw ErrorException(facts.error());
  json::array sessions;
  for (const auth::Session& s : facts->sessions) {
    sessions.push_back(json::object{{"id", s.id},
                                    {"current", s.id == principal.session_id},
                                    {"started", when_text(s.created_at)},
                                    {"last_seen", when_text(s.last_seen_at)},
                                    {"ip", s.ip},
                                    {"user_agent", s.user_agent},
                                    {"method", s.method}});
  }
  json::object data{{"name", facts->person.display_name},
                    {"email", facts->person.email},
                    {"organisation", facts->organisation},
                    {"is_admin", facts->person.is_admin},
                    {"two_factor_on", !facts->person.totp_secret.empty()},
                    {"recovery_codes_left", facts->recovery_codes_left},
                    {"sessions", std::move(sessions)},
                    {"has_other_sessions", facts->sessions.size() > 1}};
  return page(site, request, "account", "account.page.title", std::move(data));
}

http::Response end_session(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  std::int64_t session_id = 0;
  const std::string_view id = request.param("id");
  if (std::from_chars(id.data(), id.data() + id.size(), session_id).ec != std::errc{})
    return error_page(site.templates, request, 404, "there is no such session");
  auto ended = site.database.with_connection([&](store::Connection& c) {
    return auth::SessionStore(c, site.clock, site.limits).end(principal.person_id, session_id);
  });
  if (!ended) throw ErrorException(ended.error());
  if (!*ended) return error_page(site.templates, request, 404, "there is no such session");
  auto logged = site.audit.append(
      auth::AuditEvent::by(principal, "auth.session_end", "session", std::to_string(session_id)));
  if (!logged) throw ErrorException(logged.error());
  if (session_id == principal.session_id) {
    http::Response response = see_other("/");
    response.headers.add("Set-Cookie", auth::expired_session_cookie());
    return response;
  }
  return see_other("/account");
}

http::Response end_other_sessions(const AccountSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto ended = site.database.with_connection([&](store::Connection& c) -> Result<std::int64_t> {
    auth::SessionStore sessions(c, site.clock, site.limits);
    auto all = sessions.list(principal.person_id);
    if (!all) return all.error();
    std::int64_t count = 0;
    for (const auth::Session& s : *all) {
      if (s.id == principal.session_id) continue;
      auto one = sessions.end(principal.person_id, s.id);
      if (!one) return one.error();
      count += *one ? 1 : 0;
    }
    return count;
  });
  if (!ended) throw ErrorException(ended.error());
  auto logged = site.audit.append(auth::AuditEvent::by(
      principal, "auth.sessions_end_others", "person", std::to_string(principal.person_id),
      auth::AuditOutcome::success, fmt::format("{} sessions ended", *ended)));
  if (!logged) throw ErrorException(logged.error());
  return see_other("/account");
}

}  // namespace

void add_account_routes(http::Router& router, const AccountSite& site) {
  const std::string sign_in(auth::kAccountSignIn);
  const std::string manage(auth::kAccountManage);
  auto route = [&site](http::Response (*handler)(const AccountSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  router.add("GET", "/sign-in", route(show_sign_in), {.action = sign_in});
  router.add("POST", "/sign-in", route(submit_sign_in), {.action = sign_in});
  router.add("GET", "/sign-in/two-factor", route(show_second_factor), {.action = sign_in});
  router.add("POST", "/sign-in/two-factor", route(submit_second_factor), {.action = sign_in});
  // Reached half-way through signing in when the organisation requires 2FA, so it is gated by
  // its handler (may_set_up_two_factor) rather than by kAccountManage.
  router.add("GET", "/account/two-factor", route(show_two_factor_setup), {.action = sign_in});
  router.add("POST", "/account/two-factor", route(submit_two_factor_setup), {.action = sign_in});
  router.add("POST", "/sign-out", route(sign_out), {.action = sign_in});
  router.add("GET", "/account", route(account_page), {.action = manage});
  router.add("POST", "/account/sessions/{id}/end", route(end_session), {.action = manage});
  router.add("POST", "/account/sessions/end-others", route(end_other_sessions), {.action = manage});
}

}  // namespace agora::app
