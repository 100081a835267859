#pragma once
// OpenID Connect sign-in for organisations with their own identity provider (DESIGN.md
// "Security model": OIDC SSO): the authorization code flow with PKCE (S256), state and nonce,
// discovery, and ID tokens checked against the issuer's published keys. Outbound HTTP goes
// through an HttpClient so tests can stand in for the provider.

#include "auth/jwt.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

// --- outbound HTTP ------------------------------------------------------------------------------

/// What an HTTP exchange returned.
struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string body;
};

/// Outbound HTTP as OIDC needs it. Implementations are thread-safe. Transport failures
/// (unreachable, timed out, too large) are ErrorKind::unavailable; any HTTP status is a response.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// GET `url`, asking for JSON.
  virtual Result<HttpResponse> get(std::string_view url) = 0;
  /// POST the application/x-www-form-urlencoded `form` to `url` with HTTP Basic credentials
  /// `user`:`password` (each form-encoded first, as RFC 6749 section 2.3.1 asks).
  virtual Result<HttpResponse> post_form(std::string_view url, std::string_view form,
                                         std::string_view user, std::string_view password) = 0;
};

/// Limits for CurlHttpClient.
struct CurlOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange, connecting included
  std::size_t max_response_bytes = 1024 * 1024;
};

/// HttpClient through libcurl: http and https only, no redirects followed, certificates checked
/// against the system's trust store.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  Result<HttpResponse> get(std::string_view url) override;
  Result<HttpResponse> post_form(std::string_view url, std::string_view form, std::string_view user,
                                 std::string_view password) override;

 private:
  CurlOptions options_;
};

// --- the pieces of the flow ---------------------------------------------------------------------

/// An organisation's identity provider, as `agora org sso` stored it. SSO is off when the issuer
/// is empty.
struct OidcSettings {
  std::int64_t organisation_id = 0;
  std::string issuer;  // e.g. "https://login.afonvalley.gov.uk"; compared exactly
  std::string client_id;
  std::string client_secret;

  bool enabled() const { return !issuer.empty(); }
};

/// What discovery (/.well-known/openid-configuration) told us about a provider.
struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
};

/// How far the clocks of Agora and an identity provider may disagree.
inline constexpr std::chrono::seconds kClockSkew{120};
/// How long discovery documents and key sets are reused before being fetched again.
inline constexpr std::chrono::minutes kProviderCacheLifetime{10};

/// Ok when `url` is an absolute https URL without a fragment or credentials, or an http URL whose
/// host is a loopback address or "localhost" (providers run by tests and developers).
/// invalid_input naming `what` otherwise.
Result<> check_provider_url(std::string_view url, std::string_view what);

/// The URL of `issuer`'s discovery document (OpenID Connect Discovery section 4).
std::string discovery_url(std::string_view issuer);

/// Reads a discovery document: its "issuer" must equal `expected_issuer` exactly, and every
/// endpoint must pass check_provider_url. invalid_input naming the problem otherwise.
Result<ProviderMetadata> parse_discovery(std::string_view json, std::string_view expected_issuer);

/// A new random value for state, nonce or PKCE verifier: 32 bytes from `random`, base64url
/// (43 characters, within RFC 7636's verifier alphabet and length).
std::string new_oidc_secret(base::Random& random);

/// The PKCE S256 code challenge of `verifier`: BASE64URL(SHA-256(verifier)) (RFC 7636 4.2).
std::string code_challenge_s256(std::string_view verifier);

/// What goes into an authorization request.
struct AuthorizationRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string state;
  std::string nonce;
  std::string code_verifier;  // sent as its S256 challenge, never itself
  std::string login_hint;     // the email the person typed; empty to leave out
};

/// The provider's authorization URL for `request`: response_type=code, scope "openid email
/// profile", code_challenge_method=S256, keeping any query the endpoint already has.
std::string authorization_url(const ProviderMetadata& provider,
                              const AuthorizationRequest& request);

/// The "id_token" of a successful token response. permission_denied naming the provider's
/// "error" when it refused, unavailable for a body that is not a token response.
Result<std::string> parse_token_response(const HttpResponse& response);

/// What the ID token must say.
struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::chrono::system_clock::time_point now;
};

/// Who the provider says signed in.
struct VerifiedIdentity {
  std::string subject;  // "sub"
  std::string email;    // normalised (auth::normalise_email)
};

/// The message of the error check_id_token_claims returns when the provider says the email
/// address is not verified, so a page can tell the person what to ask for.
inline constexpr std::string_view kEmailNotVerified =
    "the provider says the email address is not verified";

/// Checks a verified ID token's claims: "iss" equals the issuer; "aud" is or contains the client
/// id, and when it names several, "azp" is the client id; "exp", "iat" and "nbf" hold within
/// kClockSkew; "nonce" equals; "sub" is present; "email" is present and "email_verified" is not
/// false. permission_denied naming the first claim that fails.
Result<VerifiedIdentity> check_id_token_claims(const boost::json::object& claims,
                                               const IdTokenExpectations& expected);

// --- the client ---------------------------------------------------------------------------------

/// Runs the flow against any provider, caching discovery and keys per issuer for
/// kProviderCacheLifetime. Thread-safe.
class OidcClient {
 public:
  /// `http` and `clock` must outlive the client.
  OidcClient(HttpClient& http, const base::Clock& clock);

  /// The provider's metadata, from the cache or fetched now. unavailable when it cannot be
  /// fetched; invalid_input when the document is wrong (another issuer, an http endpoint).
  Result<ProviderMetadata> discover(std::string_view issuer);

  /// The URL to send the person to for signing in at `settings`' provider.
  Result<std::string> start(const OidcSettings& settings, const AuthorizationRequest& request);

  /// Exchanges `code` at the token endpoint (client_secret_basic, with the PKCE verifier),
  /// verifies the ID token's signature (refreshing the key set once when its key is unknown) and
  /// checks its claims against `settings` and `nonce`. unavailable when the provider cannot be
  /// reached; permission_denied when the provider or the token says no.
  Result<VerifiedIdentity> finish(const OidcSettings& settings, std::string_view redirect_uri,
                                  std::string_view code, std::string_view code_verifier,
                                  std::string_view nonce);

 private:
  struct CachedProvider {
    ProviderMetadata metadata;
    std::chrono::steady_clock::time_point discovered_at;
    std::vector<jwt::Jwk> keys;
    std::chrono::steady_clock::time_point keys_fetched_at;
    bool has_keys = false;
  };

  // The provider's signing keys, fetched when the cache has none, they are stale, or `refresh`.
  Result<std::vector<jwt::Jwk>> keys(const ProviderMetadata& provider, bool refresh);

  HttpClient& http_;
  const base::Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, CachedProvider, std::less<>> cache_;
};

}  // namespace agora::auth
