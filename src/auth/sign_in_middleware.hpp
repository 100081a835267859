#pragma once
// The middleware that establishes who is asking and refuses forged requests, before the
// authorization middleware asks auth::Policy (DESIGN.md "How data flows"):
// - identity: an `Authorization: Bearer agora_pat_...` API token, else the session cookie;
// - Origin: an unsafe request (POST, PUT, PATCH, DELETE) must come from the site itself, and a
//   WebSocket upgrade from another site is not given the session (cross-site hijacking);
// - CSRF: an unsafe request that relies on cookies, and every HTML form post, must carry the
//   requester's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
// The CSRF token is an HMAC of the session token (or, before sign-in, of a random cookie), so it
// changes when the session does and needs no storage.

#include "auth/sessions.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "store/database.hpp"

#include <string>

namespace agora::auth {

/// The cookie that binds an anonymous visitor's CSRF token (sign-in and other public forms).
inline constexpr std::string_view kCsrfCookie = "__Host-agora_csrf";

/// What the middleware needs; everything must outlive the router.
struct SignInMiddlewareConfig {
  store::Database& database;
  const base::Clock& clock;
  SessionLimits limits;
  /// The site's origin as browsers send it ("https://agora.example.gov.uk"); empty: derived
  /// from each request's Host header and scheme.
  std::string public_url;
  /// A server secret (load_or_create_server_key("csrf")) for the CSRF HMAC.
  std::string csrf_key;
};

/// The middleware described above. It touches the database only on worker threads; on an HTTP
/// I/O thread (routes that never block) the requester stays anonymous.
http::Middleware sign_in_middleware(const SignInMiddlewareConfig& config);

/// The origin browsers send for this site: config.public_url, or scheme://Host of `request`.
std::string expected_origin(const http::Request& request, std::string_view public_url);

}  // namespace agora::auth
