#pragma once
// The routes every Agora site has whatever modules are on: the home page, static assets, the
// health check and metrics; plus the middleware that applies auth::Policy to every route.

#include "auth/policy.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the site routes read; everything must outlive the router.
struct Site {
  const http::Templates& templates;
  const http::StaticFiles& static_files;
  store::Database& database;
  http::Metrics& metrics;
  const auth::Policy& policy;
};

/// Adds the authorization and language middleware and the site's own routes to `router`.
void add_site_routes(http::Router& router, const Site& site);

/// The error page for `status`: JSON when the client prefers it, else the HTML page in the
/// reader's language. `message` says what was wrong in the server's words (shown in JSON).
http::Response error_page(const http::Templates& templates, const http::Request& request,
                          int status, std::string_view message);

}  // namespace agora::app
