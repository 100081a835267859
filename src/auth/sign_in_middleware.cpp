#include "auth/sign_in_middleware.hpp"

#include "auth/api_tokens.hpp"
#include "auth/directory_store.hpp"
#include "auth/policy.hpp"
#include "base/base64.hpp"
#include "base/logging.hpp"
#include "base/thread_role.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <any>
#include <cctype>

namespace agora::auth {

namespace {

bool is_unsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string bearer_of(const http::Request& request) {
  std::string_view header = request.headers.get("Authorization");
  if (!starts_with_ignoring_case(header, "Bearer ")) return {};
  header.remove_prefix(7);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return std::string(header);
}

std::string csrf_token_for(std::string_view key, std::string_view binding) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(binding.data()),
                                binding.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return base::to_base64url({mac, sizeof mac});
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Refuses the request: JSON for API clients; for browsers the site's error page for the status,
// reached through the one place that maps errors to statuses (http::Server).
http::Response refuse(const http::Request& request, int status, std::string message) {
  if (request.prefers_json() || !request.headers.get("Authorization").empty()) {
    boost::json::object error{{"status", status},
                              {"message", message},
                              {"request_id", request.request_id}};
    return http::Response::json(boost::json::serialize(boost::json::object{{"error", error}}),
                                status);
  }
  throw ErrorException(Error::make(
      status == 503 ? ErrorKind::unavailable : ErrorKind::permission_denied, std::move(message)));
}

// What the middleware found out about the requester.
struct Identity {
  Principal principal;
  bool from_session_cookie = false;
  bool new_csrf_cookie = false;
  std::string csrf_cookie_value;
};

Result<> identify_by_api_token(const SignInMiddlewareConfig& config, std::string_view secret,
                               Identity& identity, bool& token_refused) {
  return config.database.with_connection([&](store::Connection& c) -> Result<> {
    auto token = ApiTokenStore(c, config.clock).find(secret);
    if (!token) return token.error();
    if (!*token) {
      token_refused = true;
      return {};
    }
    auto person = DirectoryStore(c, config.clock).find_person((*token)->person_id);
    if (!person) return person.error();
    if (!*person || (*person)->status != PersonStatus::active) {
      token_refused = true;
      return {};
    }
    Principal& p = identity.principal;
    p.kind = Principal::Kind::person;
    p.person_id = (*person)->id;
    p.organisation_id = (*person)->organisation_id;
    p.organisation_admin = (*person)->is_admin;
    p.api_token = true;
    p.api_scopes = (*token)->scopes;
    return {};
  });
}

Result<> identify_by_session(const SignInMiddlewareConfig& config, std::string_view token,
                             Identity& identity) {
  return config.database.with_connection([&](store::Connection& c) -> Result<> {
    auto session = SessionStore(c, config.clock, config.limits).find(token);
    if (!session) return session.error();
    if (!*session) return {};
    auto person = DirectoryStore(c, config.clock).find_person((*session)->person_id);
    if (!person) return person.error();
    if (!*person || (*person)->status != PersonStatus::active) return {};
    Principal& p = identity.principal;
    p.person_id = (*person)->id;
    p.organisation_id = (*person)->organisation_id;
    p.session_id = (*session)->id;
    p.display_name = (*person)->display_name;
    identity.from_session_cookie = true;
    if ((*session)->stage == SessionStage::active) {
      p.kind = Principal::Kind::person;
      p.organisation_admin = (*person)->is_admin;
    } else {
      p.sign_in_pending = true;
      p.must_set_up_two_factor = (*session)->stage == SessionStage::two_factor_setup;
    }
    p.csrf_token = csrf_token_for(config.csrf_key, fmt::format("session:{}", token));
    return {};
  });
}

}  // namespace

std::string expected_origin(const http::Request& request, std::string_view public_url) {
  if (!public_url.empty()) return std::string(public_url);
  return fmt::format("{}://{}", request.secure ? "https" : "http", request.headers.get("Host"));
}

http::Middleware sign_in_middleware(const SignInMiddlewareConfig& config) {
  return [&config](http::Request& request, const http::Next& next) -> http::Response {
    Identity identity;
    identity.principal = Principal::anonymous(request.remote_address);
    identity.principal.user_agent = std::string(request.headers.get("User-Agent").substr(0, 300));

    const bool unsafe = is_unsafe(request.method);
    const bool upgrade = starts_with_ignoring_case(request.headers.get("Upgrade"), "websocket");
    const std::string_view origin = request.headers.get("Origin");
    const bool cross_site = !origin.empty() && origin != expected_origin(request, config.public_url);
    if (unsafe && cross_site) {
      return refuse(request, 403,
                    fmt::format("this request came from another site ({}); Agora only accepts "
                                "forms sent from its own pages",
                                origin));
    }

    const std::string bearer = bearer_of(request);
    const auto session_token = request.cookie(kSessionCookie);
    // Database work only where blocking is allowed; pages served from memory stay anonymous.
    const bool may_block = !base::on_io_thread();
    if (may_block && bearer.starts_with(kApiTokenPrefix)) {
      bool token_refused = false;
      if (auto found = identify_by_api_token(config, bearer, identity, token_refused); !found)
        return refuse(request, 503, found.error().message);
      if (token_refused) {
        return refuse(request, 401,
                      "the API token is not valid, has expired or was revoked; ask for a new one");
      }
    } else if (may_block && session_token && !(upgrade && cross_site)) {
      if (auto found = identify_by_session(config, *session_token, identity); !found)
        return refuse(request, 503, found.error().message);
    }

    // Before sign-in, forms are bound to a random cookie instead of the session.
    if (identity.principal.csrf_token.empty()) {
      if (auto cookie = request.cookie(kCsrfCookie); cookie && cookie->size() >= 32 &&
                                                     cookie->size() <= 64) {
        identity.csrf_cookie_value = *cookie;
      } else {
        identity.csrf_cookie_value = new_secret_token();
        identity.new_csrf_cookie = true;
      }
      identity.principal.csrf_token =
          csrf_token_for(config.csrf_key, fmt::format("visitor:{}", identity.csrf_cookie_value));
    }

    const bool form_post = request.form_field("csrf_token").has_value() ||
                           starts_with_ignoring_case(request.headers.get("Content-Type"),
                                                     "application/x-www-form-urlencoded") ||
                           starts_with_ignoring_case(request.headers.get("Content-Type"),
                                                     "multipart/form-data");
    // A request that carries an Authorization header cannot have been forged by another site
    // (a browser adds no such header across sites without a CORS preflight, which Agora never
    // grants), so only cookie-only requests and form posts need the token.
    const bool has_authorization = !request.headers.get("Authorization").empty();
    if (unsafe && !identity.principal.api_token && !has_authorization &&
        (identity.from_session_cookie || form_post)) {
      std::string sent = request.form_field("csrf_token").value_or("");
      if (sent.empty()) sent = std::string(request.headers.get("X-CSRF-Token"));
      if (sent.empty() || !same_secret(sent, identity.principal.csrf_token)) {
        return refuse(request, 403,
                      "this form has expired or did not come from Agora; go back, reload the "
                      "page and try again");
      }
    }

    const bool signed_in = identity.principal.signed_in() || identity.principal.sign_in_pending;
    request.principal = std::move(identity.principal);
    http::Response response = next(request);
    if (identity.new_csrf_cookie &&
        response.headers.get("Content-Type").starts_with("text/html")) {
      response.headers.add("Set-Cookie",
                           fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Lax", kCsrfCookie,
                                       identity.csrf_cookie_value));
    }
    // Pages made for one person must not be kept by shared caches or the back button.
    if (signed_in && !response.headers.contains("Cache-Control")) {
      response.headers.set("Cache-Control", "no-store");
    }
    return response;
  };
}

}  // namespace agora::auth
