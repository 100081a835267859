#pragma once
// Single sign-on with an organisation's own identity provider (issue 5): GET /sign-in/sso sends
// a person whose email domain belongs to an organisation with OIDC settings to that provider;
// GET /sign-in/sso/callback takes them back, checks what the provider says and starts a session.

#include "auth/audit_log.hpp"
#include "auth/oidc.hpp"
#include "auth/sessions.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/database.hpp"

#include <memory>
#include <string>

namespace agora::app {

/// What the SSO routes use; the references must outlive the router.
struct SsoSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  auth::SessionLimits limits;
  /// --public-url: the origin the provider sends people back to; empty: from each request.
  std::string public_url;
  auth::AuditLog& audit;
  /// Outbound HTTP to identity providers; null: libcurl with 5-second timeouts.
  std::shared_ptr<auth::HttpClient> http = nullptr;
};

/// The path the provider redirects back to; register it with the provider as
/// <public URL>/sign-in/sso/callback.
inline constexpr std::string_view kSsoCallbackPath = "/sign-in/sso/callback";

/// Adds GET /sign-in/sso and GET /sign-in/sso/callback (action auth::kAccountSignIn).
void add_sso_routes(http::Router& router, const SsoSite& site);

}  // namespace agora::app
