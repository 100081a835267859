#include "app/api_token_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/api_tokens.hpp"
#include "auth/request_principal.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>

namespace agora::app {

namespace {

namespace json = boost::json;

constexpr int kLongestLifetimeDays = 365;
constexpr int kDefaultLifetimeDays = 90;

std::string message(const ApiTokenSite& site, const http::Request& request, std::string_view key) {
  return site.templates.message(http::choose_language(request), key);
}

std::string when_text(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%d %H:%M} UTC", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

http::Response render(const ApiTokenSite& site, const http::Request& request, std::string_view name,
                      json::object data, std::vector<http::ErrorSummaryItem> errors = {}) {
  http::PageContext context =
      page_context(site.templates, request, message(site, request, "api_tokens.title"));
  context.breadcrumbs = {{message(site, request, "api_tokens.account"), "/account"},
                         {context.title, ""}};
  context.errors = std::move(errors);
  const int status = context.errors.empty() ? 200 : 400;
  auto response = http::Response::html(site.templates.render_page(name, data, context), status);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

struct FormState {
  std::string name;
  std::string days = std::to_string(kDefaultLifetimeDays);
  bool scim = false;
  std::string name_error;
  std::string days_error;
};

http::Response tokens_page(const ApiTokenSite& site, const http::Request& request,
                           const FormState& form = {},
                           std::vector<http::ErrorSummaryItem> errors = {}) {
  const auth::Principal principal = auth::principal_of(request);
  auto tokens = site.database.with_connection([&](store::Connection& c) {
    return auth::ApiTokenStore(c, site.clock).list(principal.person_id);
  });
  if (!tokens) throw ErrorException(tokens.error());
  const auto now = site.clock.now();
  json::array rows;
  for (const auth::ApiToken& token : *tokens) {
    rows.push_back(json::object{
        {"id", token.id},
        {"name", token.name},
        {"scopes", fmt::format("{}", fmt::join(token.scopes, ", "))},
        {"created", when_text(token.created_at)},
        {"expires", when_text(token.expires_at)},
        {"expired", token.expires_at <= now},
        {"last_used", token.last_used_at ? when_text(*token.last_used_at) : std::string()}});
  }
  json::object data{{"tokens", std::move(rows)},
                    {"has_tokens", !tokens->empty()},
                    {"is_admin", principal.organisation_admin},
                    {"form_name", form.name},
                    {"form_days", form.days},
                    {"form_scim", form.scim},
                    {"name_error", form.name_error},
                    {"days_error", form.days_error},
                    {"longest_days", kLongestLifetimeDays}};
  return render(site, request, "api_tokens", std::move(data), std::move(errors));
}

http::Response show_tokens(const ApiTokenSite& site, http::Request& request) {
  return tokens_page(site, request);
}

http::Response create_token(const ApiTokenSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  FormState form;
  form.name = request.form_field("name").value_or("");
  form.days = request.form_field("days").value_or("");
  form.scim = request.form_field("scope_scim").value_or("") == "scim";
  std::vector<http::ErrorSummaryItem> errors;
  if (form.name.find_first_not_of(" \t") == std::string::npos || form.name.size() > 100) {
    form.name_error = message(site, request, "api_tokens.name_invalid");
    errors.push_back({form.name_error, "token-name"});
  }
  int days = 0;
  const auto [end, ec] = std::from_chars(form.days.data(), form.days.data() + form.days.size(), days);
  if (ec != std::errc{} || end != form.days.data() + form.days.size() || days < 1 ||
      days > kLongestLifetimeDays) {
    form.days_error = message(site, request, "api_tokens.days_invalid");
    errors.push_back({form.days_error, "token-days"});
  }
  std::vector<std::string> scopes;
  // The scim scope is offered to admins only; a hand-made form from anyone else is refused,
  // rather than minting a token the policy would refuse anyway.
  if (form.scim) {
    if (!principal.organisation_admin) {
      return error_page(site.templates, request, 403,
                        "only organisation admins may create tokens with the scim scope");
    }
    scopes.emplace_back(auth::kScopeScim);
  } else {
    errors.push_back({message(site, request, "api_tokens.scope_missing"), "scope-scim"});
  }
  if (!errors.empty()) return tokens_page(site, request, form, std::move(errors));

  auto secret = site.database.transaction([&](store::Connection& c) -> Result<std::string> {
    auto created = auth::ApiTokenStore(c, site.clock)
                       .create(principal.person_id, form.name, scopes,
                               std::chrono::hours(24) * days);
    if (!created) return created.error();
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(principal, "account.api_token_create", "person",
                                std::to_string(principal.person_id), auth::AuditOutcome::success,
                                fmt::format("\"{}\", scopes {}, {} days", form.name,
                                            fmt::join(scopes, " "), days))));
    return created;
  });
  if (!secret) {
    if (secret.error().kind == ErrorKind::invalid_input) {
      form.name_error = secret.error().message;
      return tokens_page(site, request, form, {{form.name_error, "token-name"}});
    }
    throw ErrorException(secret.error());
  }
  // The secret appears on this one page and nowhere else: it is stored only as a hash.
  return render(site, request, "api_token_created",
                json::object{{"secret", *secret}, {"name", form.name}});
}

http::Response revoke_token(const ApiTokenSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  std::int64_t id = 0;
  const std::string_view text = request.param("id");
  if (std::from_chars(text.data(), text.data() + text.size(), id).ec != std::errc{})
    return error_page(site.templates, request, 404, "there is no such API token");
  auto revoked = site.database.transaction([&](store::Connection& c) -> Result<bool> {
    auto done = auth::ApiTokenStore(c, site.clock).revoke(principal.person_id, id);
    if (!done) return done.error();
    if (!*done) return false;
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(principal, "account.api_token_revoke", "api_token",
                                std::to_string(id))));
    return true;
  });
  if (!revoked) throw ErrorException(revoked.error());
  if (!*revoked) return error_page(site.templates, request, 404, "there is no such API token");
  return see_other("/account/api-tokens");
}

}  // namespace

void add_api_token_routes(http::Router& router, const ApiTokenSite& site) {
  const std::string manage(auth::kAccountManage);
  auto route = [&site](http::Response (*handler)(const ApiTokenSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  router.add("GET", "/account/api-tokens", route(show_tokens), {.action = manage});
  router.add("POST", "/account/api-tokens", route(create_token), {.action = manage});
  router.add("POST", "/account/api-tokens/{id}/revoke", route(revoke_token), {.action = manage});
}

}  // namespace agora::app
