#include "auth/oidc.hpp"

#include "auth/directory_store.hpp"
#include "auth/policy.hpp"
#include "base/base64.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <cmath>
#include <mutex>

namespace agora::auth {

namespace {

namespace json = boost::json;

constexpr std::string_view kScope = "openid email profile";

Error bad_input(std::string message) {
  return fail(ErrorKind::invalid_input, std::move(message));
}
Error refused(std::string message) {
  return fail(ErrorKind::permission_denied, std::move(message));
}
Error unreachable(std::string message) {
  return fail(ErrorKind::unavailable, std::move(message));
}

// --- libcurl ------------------------------------------------------------------------------------

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// Collects a response body, giving up (and so failing the transfer) past `limit` bytes.
struct BodySink {
  std::string body;
  std::size_t limit = 0;
  bool too_large = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body.size() + bytes > sink->limit) {
    sink->too_large = true;
    return 0;
  }
  sink->body.append(data, bytes);
  return bytes;
}

void initialise_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The URL without its query, for messages and logs (a query may carry a code).
std::string describe_url(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

Result<HttpResponse> perform(const CurlOptions& options, std::string_view url,
                             const std::string* form, const std::string* authorization) {
  initialise_curl();
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return fail(ErrorKind::internal, "libcurl could not start a transfer");
  CURL* c = curl.get();
  const std::string target(url);
  BodySink sink{.body = {}, .limit = options.max_response_bytes};
  std::unique_ptr<curl_slist, SlistFree> headers;
  const auto add_header = [&headers](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add_header("Accept: application/json");
  if (authorization != nullptr) add_header("Authorization: " + *authorization);

  curl_easy_setopt(c, CURLOPT_URL, target.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options.max_response_bytes));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "Agora-OIDC/1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  if (form != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form->size()));
  }

  const CURLcode code = curl_easy_perform(c);
  if (sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return unreachable(fmt::format("{} answered with more than {} bytes", describe_url(url),
                                   options.max_response_bytes));
  }
  if (code != CURLE_OK) {
    return unreachable(
        fmt::format("could not reach {}: {}", describe_url(url), curl_easy_strerror(code)));
  }
  HttpResponse response;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  const char* content_type = nullptr;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) response.content_type = content_type;
  response.body = std::move(sink.body);
  return response;
}

// application/x-www-form-urlencoded, as RFC 6749 appendix B applies it to client credentials.
std::string form_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '*') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

// --- claims -------------------------------------------------------------------------------------

// A NumericDate claim as whole seconds since the epoch, or nullopt when absent; an error when
// present but not a finite number.
Result<std::optional<std::int64_t>> numeric_date(const json::object& claims,
                                                 std::string_view name) {
  const json::value* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX / 2)) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get_uint64()));
  }
  if (value->is_double() && std::isfinite(value->get_double()) &&
      std::fabs(value->get_double()) < 1e15) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(std::floor(value->get_double())));
  }
  return refused(fmt::format("the ID token's \"{}\" is not a time", name));
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string string_claim(const json::object& claims, std::string_view name) {
  const json::value* value = claims.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

bool is_loopback_host(const boost::urls::url_view& url) {
  if (url.host_type() == boost::urls::host_type::ipv4) {
    return is_loopback_address(url.host_address());
  }
  if (url.host_type() == boost::urls::host_type::ipv6) {
    return is_loopback_address(url.host_address());
  }
  return url.host_type() == boost::urls::host_type::name && url.encoded_host() == "localhost";
}

}  // namespace

// --- CurlHttpClient -----------------------------------------------------------------------------

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(options) {
  initialise_curl();
}

Result<HttpResponse> CurlHttpClient::get(std::string_view url) {
  return perform(options_, url, nullptr, nullptr);
}

Result<HttpResponse> CurlHttpClient::post_form(std::string_view url, std::string_view form,
                                               std::string_view user, std::string_view password) {
  const std::string credentials = form_encode(user) + ":" + form_encode(password);
  const std::string header =
      "Basic " +
      base::to_base64(
          std::span(reinterpret_cast<const std::uint8_t*>(credentials.data()), credentials.size()));
  const std::string body(form);
  return perform(options_, url, &body, &header);
}

// --- the pieces ---------------------------------------------------------------------------------

Result<> check_provider_url(std::string_view text, std::string_view what) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return bad_input(fmt::format("the {} \"{}\" is not an absolute URL", what, text));
  const boost::urls::url_view& url = *parsed;
  if (url.has_userinfo()) return bad_input(fmt::format("the {} must not hold credentials", what));
  if (url.encoded_host().empty()) return bad_input(fmt::format("the {} has no host", what));
  if (url.scheme_id() == boost::urls::scheme::https) return {};
  if (url.scheme_id() == boost::urls::scheme::http && is_loopback_host(url)) return {};
  return bad_input(fmt::format(
      "the {} \"{}\" must use https (http is allowed only for loopback addresses)", what, text));
}

std::string discovery_url(std::string_view issuer) {
  std::string base(issuer);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

Result<ProviderMetadata> parse_discovery(std::string_view text, std::string_view expected_issuer) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return bad_input("the discovery document is not a JSON object");
  const json::object& document = value.get_object();
  ProviderMetadata metadata;
  metadata.issuer = string_claim(document, "issuer");
  metadata.authorization_endpoint = string_claim(document, "authorization_endpoint");
  metadata.token_endpoint = string_claim(document, "token_endpoint");
  metadata.jwks_uri = string_claim(document, "jwks_uri");
  // OpenID Connect Discovery section 4.3: exactly the issuer we asked, or someone else's.
  if (metadata.issuer != expected_issuer) {
    return bad_input(fmt::format("the discovery document names the issuer \"{}\", not \"{}\"",
                                 metadata.issuer, expected_issuer));
  }
  AGORA_TRY(check_provider_url(metadata.authorization_endpoint, "authorization_endpoint"));
  AGORA_TRY(check_provider_url(metadata.token_endpoint, "token_endpoint"));
  AGORA_TRY(check_provider_url(metadata.jwks_uri, "jwks_uri"));
  if (const json::value* methods = document.if_contains("code_challenge_methods_supported");
      methods != nullptr && methods->is_array()) {
    bool s256 = false;
    for (const json::value& method : methods->get_array()) {
      s256 = s256 || (method.is_string() && method.get_string() == "S256");
    }
    if (!s256) return bad_input("the provider does not support PKCE with S256");
  }
  return metadata;
}

std::string new_oidc_secret(base::Random& random) {
  return jwt::base64url_encode(random.bytes(32));
}

std::string code_challenge_s256(std::string_view verifier) {
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr);
  return jwt::base64url_encode(std::span<const std::uint8_t>(digest, length));
}

std::string authorization_url(const ProviderMetadata& provider,
                              const AuthorizationRequest& request) {
  boost::urls::url url(provider.authorization_endpoint);
  auto params = url.params();
  params.append({"response_type", "code"});
  params.append({"client_id", request.client_id});
  params.append({"redirect_uri", request.redirect_uri});
  params.append({"scope", kScope});
  params.append({"state", request.state});
  params.append({"nonce", request.nonce});
  params.append({"code_challenge", code_challenge_s256(request.code_verifier)});
  params.append({"code_challenge_method", "S256"});
  if (!request.login_hint.empty()) params.append({"login_hint", request.login_hint});
  return std::string(url.buffer());
}

Result<std::string> parse_token_response(const HttpResponse& response) {
  boost::system::error_code ec;
  json::value value = json::parse(response.body, ec);
  const json::object* body = (!ec && value.is_object()) ? &value.get_object() : nullptr;
  if (response.status != 200) {
    const std::string error = body != nullptr ? string_claim(*body, "error") : std::string();
    if (response.status >= 400 && response.status < 500 && !error.empty()) {
      const std::string description = string_claim(*body, "error_description");
      return refused(fmt::format("the token endpoint refused the code: {}{}{}", error,
                                 description.empty() ? "" : ": ", description.substr(0, 200)));
    }
    return unreachable(fmt::format("the token endpoint answered HTTP {}", response.status));
  }
  if (body == nullptr) return unreachable("the token endpoint's answer is not a JSON object");
  const std::string id_token = string_claim(*body, "id_token");
  if (id_token.empty()) return refused("the token endpoint sent no ID token");
  return id_token;
}

Result<VerifiedIdentity> check_id_token_claims(const json::object& claims,
                                               const IdTokenExpectations& expected) {
  if (const json::value* iss = claims.if_contains("iss");
      iss == nullptr || !iss->is_string() || iss->get_string() != expected.issuer) {
    return refused(fmt::format("the ID token was issued by \"{}\", not \"{}\"",
                               string_claim(claims, "iss"), expected.issuer));
  }

  const json::value* aud = claims.if_contains("aud");
  bool for_us = false;
  std::size_t audiences = 0;
  if (aud != nullptr && aud->is_string()) {
    audiences = 1;
    for_us = aud->get_string() == expected.client_id;
  } else if (aud != nullptr && aud->is_array()) {
    for (const json::value& entry : aud->get_array()) {
      ++audiences;
      for_us = for_us || (entry.is_string() && entry.get_string() == expected.client_id);
    }
  }
  if (!for_us) return refused("the ID token is not meant for this client (\"aud\")");
  const json::value* azp = claims.if_contains("azp");
  if (audiences > 1 && azp == nullptr) {
    return refused("the ID token names several audiences but no authorized party (\"azp\")");
  }
  if (azp != nullptr && !(azp->is_string() && azp->get_string() == expected.client_id)) {
    return refused("the ID token was issued to another client (\"azp\")");
  }

  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(expected.now.time_since_epoch()).count();
  const std::int64_t skew = kClockSkew.count();
  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return refused("the ID token has no expiry (\"exp\")");
  if (now >= **exp + skew) return refused("the ID token has expired (\"exp\")");
  auto iat = numeric_date(claims, "iat");
  if (!iat) return iat.error();
  if (!*iat) return refused("the ID token has no issue time (\"iat\")");
  if (**iat > now + skew) return refused("the ID token was issued in the future (\"iat\")");
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && **nbf > now + skew) return refused("the ID token is not valid yet (\"nbf\")");

  const json::value* nonce = claims.if_contains("nonce");
  if (nonce == nullptr || !nonce->is_string() || expected.nonce.empty() ||
      !equal_in_constant_time(nonce->get_string(), expected.nonce)) {
    return refused("the ID token's nonce does not match this sign-in (\"nonce\")");
  }

  VerifiedIdentity identity;
  identity.subject = string_claim(claims, "sub");
  if (identity.subject.empty()) return refused("the ID token names no subject (\"sub\")");
  identity.email = normalise_email(string_claim(claims, "email"));
  if (identity.email.empty()) {
    return refused("the ID token carries no email address; ask for the \"email\" scope");
  }
  if (const json::value* verified = claims.if_contains("email_verified"); verified != nullptr) {
    const bool is_false = (verified->is_bool() && !verified->get_bool()) ||
                          (verified->is_string() && verified->get_string() == "false");
    if (is_false) return refused(std::string(kEmailNotVerified));
  }
  return identity;
}

// --- OidcClient ---------------------------------------------------------------------------------

OidcClient::OidcClient(HttpClient& http, const base::Clock& clock) : http_(http), clock_(clock) {}

Result<ProviderMetadata> OidcClient::discover(std::string_view issuer) {
  const auto now = clock_.steady_now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(issuer);
        it != cache_.end() && now - it->second.discovered_at < kProviderCacheLifetime) {
      return it->second.metadata;
    }
  }
  AGORA_TRY(check_provider_url(issuer, "issuer"));
  // Fetched without the lock: a slow provider must not hold up sign-ins at the others.
  auto response = http_.get(discovery_url(issuer));
  if (!response) return response.error();
  if (response->status != 200) {
    return unreachable(fmt::format("{} answered HTTP {}", discovery_url(issuer), response->status));
  }
  auto metadata = parse_discovery(response->body, issuer);
  if (!metadata) return metadata.error();
  std::lock_guard lock(mutex_);
  CachedProvider& entry = cache_[std::string(issuer)];
  if (entry.metadata.jwks_uri != metadata->jwks_uri) entry.has_keys = false;
  entry.metadata = *metadata;
  entry.discovered_at = now;
  return metadata;
}

Result<std::string> OidcClient::start(const OidcSettings& settings,
                                      const AuthorizationRequest& request) {
  auto provider = discover(settings.issuer);
  if (!provider) return provider.error();
  return authorization_url(*provider, request);
}

Result<std::vector<jwt::Jwk>> OidcClient::keys(const ProviderMetadata& provider, bool refresh) {
  const auto now = clock_.steady_now();
  if (!refresh) {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(provider.issuer);
        it != cache_.end() && it->second.has_keys &&
        now - it->second.keys_fetched_at < kProviderCacheLifetime) {
      return it->second.keys;
    }
  }
  auto response = http_.get(provider.jwks_uri);
  if (!response) return response.error();
  if (response->status != 200) {
    return unreachable(fmt::format("{} answered HTTP {}", provider.jwks_uri, response->status));
  }
  auto keys = jwt::parse_jwks(response->body);
  if (!keys) return unreachable(fmt::format("{}: {}", provider.jwks_uri, keys.error().message));
  std::lock_guard lock(mutex_);
  CachedProvider& entry = cache_[provider.issuer];
  entry.keys = *keys;
  entry.keys_fetched_at = now;
  entry.has_keys = true;
  return keys;
}

Result<VerifiedIdentity> OidcClient::finish(const OidcSettings& settings,
                                            std::string_view redirect_uri, std::string_view code,
                                            std::string_view code_verifier,
                                            std::string_view nonce) {
  auto provider = discover(settings.issuer);
  if (!provider) return provider.error();

  boost::urls::url form;
  form.params().append({"grant_type", "authorization_code"});
  form.params().append({"code", code});
  form.params().append({"redirect_uri", redirect_uri});
  form.params().append({"code_verifier", code_verifier});
  auto response = http_.post_form(provider->token_endpoint, form.encoded_query(),
                                  settings.client_id, settings.client_secret);
  if (!response) return response.error();
  auto id_token = parse_token_response(*response);
  if (!id_token) return id_token.error();

  auto jws = jwt::parse(*id_token);
  if (!jws) return refused(fmt::format("the ID token is malformed: {}", jws.error().message));
  if (!jwt::algorithm_from(jws->alg)) {
    return refused(
        fmt::format("the ID token is signed with \"{}\"; only RS256 and ES256 are "
                    "accepted",
                    jws->alg));
  }
  auto cached = keys(*provider, false);
  if (!cached) return cached.error();
  auto key = jwt::find_key(*cached, *jws);
  if (!key) {
    // The provider may have rotated its keys since we fetched them: look once more.
    auto fresh = keys(*provider, true);
    if (!fresh) return fresh.error();
    key = jwt::find_key(*fresh, *jws);
  }
  if (!key) {
    return refused(
        fmt::format("the ID token's key \"{}\" is not in the provider's key set", jws->kid));
  }
  AGORA_TRY(jwt::verify(*jws, *key));
  return check_id_token_claims(jws->payload, IdTokenExpectations{.issuer = settings.issuer,
                                                                 .client_id = settings.client_id,
                                                                 .nonce = std::string(nonce),
                                                                 .now = clock_.now()});
}

}  // namespace agora::auth
