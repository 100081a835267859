#include "app/site_routes.hpp"

#include "app/pages.hpp"
#include "auth/request_principal.hpp"

#include <boost/json.hpp>

namespace agora::app {
namespace {

// Deny by default: a route runs only when auth::Policy allows its action for this principal.
// Someone not signed in who opens a page that needs it is sent to sign in and brought back.
http::Middleware authorize(const auth::Policy& policy, const http::Templates& templates) {
  return [&policy, &templates](http::Request& request, const http::Next& next) {
    if (request.action.empty()) return next(request);  // no route matched: the 404/405 page
    const auth::Principal principal = auth::principal_of(request);
    const auth::Decision decision = policy.check(principal, request.action, auth::Resource{});
    if (decision) return next(request);
    const bool page_visit = (request.method == "GET" || request.method == "HEAD") &&
                            !request.prefers_json() &&
                            request.headers.get("Upgrade").empty();
    // Only where signing in would help: not, say, /metrics from afar.
    if (!principal.signed_in() && page_visit && decision.reason == auth::kSignInFirst) {
      http::Response response = http::Response::html("", 303);
      response.headers.set("Location",
                           principal.sign_in_pending
                               ? std::string(principal.must_set_up_two_factor
                                                 ? "/account/two-factor"
                                                 : "/sign-in/two-factor")
                               : "/sign-in?return_to=" + http::percent_encode(request.target));
      return response;
    }
    return error_page(templates, request, 403,
                      principal.signed_in() ? "you do not have permission to do this"
                                            : "sign in first");
  };
}

// `?lang=cy` switches language and remembers it in a cookie for the pages that follow.
http::Response remember_language(http::Request& request, const http::Next& next) {
  http::Response response = next(request);
  auto asked = request.query_param("lang");
  if (asked && http::choose_language(request) == *asked)
    response.headers.add("Set-Cookie", "lang=" + *asked + "; Path=/; Max-Age=31536000; SameSite=Lax");
  return response;
}

}  // namespace

http::Response error_page(const http::Templates& templates, const http::Request& request,
                          int status, std::string_view message) {
  if (request.prefers_json()) {
    boost::json::object error{{"status", status},
                              {"message", message},
                              {"request_id", request.request_id}};
    return http::Response::json(boost::json::serialize(boost::json::object{{"error", error}}), status);
  }
  http::PageContext context = page_context(templates, request, "");
  context.request_id = request.request_id;
  return http::Response::html(templates.render_error(status, context), status);
}

void add_site_routes(http::Router& router, const Site& site) {
  router.use(authorize(site.policy, site.templates));
  router.use(remember_language);

  // The home page is the same for every anonymous reader of one language, so it is rendered once
  // per language at start and served from memory on the I/O thread.
  std::map<std::string, std::string, std::less<>> home_pages;
  for (std::string_view language : http::kLanguages) {
    http::PageContext context;
    context.language = std::string(language);
    context.title = site.templates.message(language, "home.title");
    home_pages.emplace(language, site.templates.render_page("home", boost::json::object{}, context));
  }
  router.add("GET", "/",
             [pages = std::move(home_pages)](http::Request& request) {
               return http::Response::html(pages.find(http::choose_language(request))->second);
             },
             {.action = std::string(auth::kSiteView), .blocking = false});

  router.add("GET", "/static/{path...}",
             [&site](http::Request& request) {
               return site.static_files.serve(request, request.param("path"));
             },
             {.action = std::string(auth::kSiteView), .blocking = false});

  router.add("GET", "/healthz",
             [&site](http::Request&) {
               auto ping = site.database.ping();
               boost::json::object body{{"status", ping ? "ok" : "unavailable"},
                                        {"database", ping ? "ok" : ping.error().message}};
               auto response = http::Response::json(boost::json::serialize(body), ping ? 200 : 503);
               response.headers.set("Cache-Control", "no-store");
               return response;
             },
             {.action = std::string(auth::kHealthRead)});

  router.add("GET", "/metrics",
             [&site](http::Request&) {
               return http::Response::with(200, "text/plain; version=0.0.4; charset=utf-8",
                                           site.metrics.render());
             },
             {.action = std::string(auth::kMetricsRead), .blocking = false});
}

}  // namespace agora::app
