#include "auth/oidc.hpp"

#include "auth/jwt_testing.hpp"
#include "base/base64.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace agora::auth {
namespace {

namespace json = boost::json;
using jwt::testing::jwks_of;
using jwt::testing::TestKey;

constexpr std::string_view kIssuer = "https://login.afonvalley.gov.uk";
constexpr std::string_view kClientId = "agora-afon";
constexpr std::string_view kSecret = "s3cret:with/odd chars";
constexpr std::string_view kRedirect = "https://agora.example/sign-in/sso/callback";

const TestKey& rsa_key() {
  static const TestKey key = TestKey::generate(true, "rsa-1");
  return key;
}
const TestKey& ec_key() {
  static const TestKey key = TestKey::generate(false, "ec-1");
  return key;
}

std::int64_t seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Claims a well-behaved provider would put in an ID token issued at `now`.
json::object good_claims(std::chrono::system_clock::time_point now, std::string_view nonce) {
  return json::object{{"iss", kIssuer},
                      {"sub", "248289761001"},
                      {"aud", kClientId},
                      {"exp", seconds_of(now) + 300},
                      {"iat", seconds_of(now)},
                      {"nonce", nonce},
                      {"email", "Sian.Pritchard@afonvalley.gov.uk"},
                      {"email_verified", true}};
}

json::object discovery_document(std::string_view issuer = kIssuer) {
  const std::string base(kIssuer);
  return json::object{{"issuer", issuer},
                      {"authorization_endpoint", base + "/authorize?tenant=afon"},
                      {"token_endpoint", base + "/token"},
                      {"jwks_uri", base + "/jwks"},
                      {"code_challenge_methods_supported", json::array{"plain", "S256"}}};
}

// A provider in memory: answers GETs from a table and the token endpoint with `id_token`, and
// records what it was asked.
class FakeProvider final : public HttpClient {
 public:
  Result<HttpResponse> get(std::string_view url) override {
    std::lock_guard lock(mutex_);
    ++gets_[std::string(url)];
    auto it = pages_.find(url);
    if (it == pages_.end()) return HttpResponse{404, "text/plain", "not found"};
    return it->second;
  }

  Result<HttpResponse> post_form(std::string_view url, std::string_view form, std::string_view user,
                                 std::string_view password) override {
    std::lock_guard lock(mutex_);
    posts_.push_back(
        {std::string(url), std::string(form), std::string(user), std::string(password)});
    return token_response_;
  }

  void set_page(std::string url, std::string body, long status = 200) {
    pages_[std::move(url)] = HttpResponse{status, "application/json", std::move(body)};
  }
  void set_id_token(const std::string& id_token) {
    token_response_ = HttpResponse{
        200, "application/json",
        json::serialize(json::object{
            {"access_token", "at"}, {"token_type", "Bearer"}, {"id_token", id_token}})};
  }
  void set_token_response(HttpResponse response) { token_response_ = std::move(response); }

  int gets(const std::string& url) const {
    auto it = gets_.find(url);
    return it == gets_.end() ? 0 : it->second;
  }

  struct Post {
    std::string url, form, user, password;
  };
  const std::vector<Post>& posts() const { return posts_; }

 private:
  std::mutex mutex_;
  std::map<std::string, HttpResponse, std::less<>> pages_;
  std::map<std::string, int, std::less<>> gets_;
  std::vector<Post> posts_;
  HttpResponse token_response_{500, "text/plain", "no token configured"};
};

class OidcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_.set_page(discovery_url(kIssuer), json::serialize(discovery_document()));
    provider_.set_page(std::string(kIssuer) + "/jwks", jwks_of({&rsa_key(), &ec_key()}));
  }

  OidcSettings settings() const {
    return OidcSettings{.organisation_id = 1,
                        .issuer = std::string(kIssuer),
                        .client_id = std::string(kClientId),
                        .client_secret = std::string(kSecret)};
  }

  Result<VerifiedIdentity> finish(std::string_view nonce = "nonce-1") {
    return client_.finish(settings(), kRedirect, "the-code", "the-verifier", nonce);
  }

  int jwks_fetches() const { return provider_.gets(std::string(kIssuer) + "/jwks"); }

  base::ManualClock clock_{
      std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
  FakeProvider provider_;
  OidcClient client_{provider_, clock_};
};

TEST(OidcUrlTest, ProviderUrlsMustBeHttpsExceptOnLoopback) {
  EXPECT_TRUE(check_provider_url("https://login.example.org", "issuer"));
  EXPECT_TRUE(check_provider_url("https://login.example.org/tenant/v2.0", "issuer"));
  EXPECT_TRUE(check_provider_url("http://127.0.0.1:9000", "issuer"));
  EXPECT_TRUE(check_provider_url("http://127.5.6.7/x", "issuer"));
  EXPECT_TRUE(check_provider_url("http://[::1]:9000", "issuer"));
  EXPECT_TRUE(check_provider_url("http://localhost:9000", "issuer"));

  EXPECT_FALSE(check_provider_url("http://login.example.org", "issuer"));
  EXPECT_FALSE(check_provider_url("http://localhost.example.org", "issuer"));
  EXPECT_FALSE(check_provider_url("http://128.0.0.1", "issuer"));
  EXPECT_FALSE(check_provider_url("ftp://login.example.org", "issuer"));
  EXPECT_FALSE(check_provider_url("https://user:pw@login.example.org", "issuer"));
  EXPECT_FALSE(check_provider_url("/relative/path", "issuer"));
  EXPECT_FALSE(check_provider_url("", "issuer"));
  EXPECT_EQ(discovery_url("https://a.example/t/"),
            "https://a.example/t/.well-known/openid-configuration");
}

TEST(OidcUrlTest, DiscoveryIssuerMustMatchExactly) {
  auto good = parse_discovery(json::serialize(discovery_document()), kIssuer);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->token_endpoint, std::string(kIssuer) + "/token");

  EXPECT_FALSE(parse_discovery(json::serialize(discovery_document()), std::string(kIssuer) + "/"));
  EXPECT_FALSE(
      parse_discovery(json::serialize(discovery_document("https://evil.example")), kIssuer));
  EXPECT_FALSE(parse_discovery("[]", kIssuer));

  json::object plain_token = discovery_document();
  plain_token["token_endpoint"] = "http://login.afonvalley.gov.uk/token";
  EXPECT_FALSE(parse_discovery(json::serialize(plain_token), kIssuer));

  json::object no_s256 = discovery_document();
  no_s256["code_challenge_methods_supported"] = json::array{"plain"};
  EXPECT_FALSE(parse_discovery(json::serialize(no_s256), kIssuer));
}

TEST(OidcUrlTest, PkceChallengeIsS256OfTheVerifier) {
  // RFC 7636 appendix B.
  EXPECT_EQ(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  base::SeededRandom random(7);
  const std::string a = new_oidc_secret(random);
  const std::string b = new_oidc_secret(random);
  EXPECT_EQ(a.size(), 43u);  // within RFC 7636's 43..128
  EXPECT_NE(a, b);
}

TEST(OidcUrlTest, AuthorizationUrlCarriesTheFlowParameters) {
  auto provider = parse_discovery(json::serialize(discovery_document()), kIssuer);
  ASSERT_TRUE(provider);
  const std::string text = authorization_url(
      *provider,
      AuthorizationRequest{.client_id = std::string(kClientId),
                           .redirect_uri = std::string(kRedirect),
                           .state = "st&ate",
                           .nonce = "no nce",
                           .code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                           .login_hint = "sian@afonvalley.gov.uk"});
  boost::urls::url_view url(text);
  EXPECT_EQ(url.path(), "/authorize");
  std::map<std::string, std::string> params;
  for (const auto& param : url.params()) params[param.key] = param.value;
  EXPECT_EQ(params["tenant"], "afon");  // the endpoint's own query survives
  EXPECT_EQ(params["response_type"], "code");
  EXPECT_EQ(params["client_id"], kClientId);
  EXPECT_EQ(params["redirect_uri"], kRedirect);
  EXPECT_EQ(params["state"], "st&ate");
  EXPECT_EQ(params["nonce"], "no nce");
  EXPECT_EQ(params["code_challenge"], "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(params["code_challenge_method"], "S256");
  EXPECT_EQ(params["login_hint"], "sian@afonvalley.gov.uk");
  EXPECT_NE(params["scope"].find("openid"), std::string::npos);
  EXPECT_NE(params["scope"].find("email"), std::string::npos);
  EXPECT_EQ(text.find("dBjftJeZ4CVP"), std::string::npos) << "the verifier itself must stay here";
}

TEST(OidcClaimsTest, AcceptsAGoodTokenAndNormalisesTheEmail) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const IdTokenExpectations expected{std::string(kIssuer), std::string(kClientId), "n1", now};
  auto identity = check_id_token_claims(good_claims(now, "n1"), expected);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->subject, "248289761001");
  EXPECT_EQ(identity->email, "sian.pritchard@afonvalley.gov.uk");
}

TEST(OidcClaimsTest, RefusesEachBrokenClaim) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const std::int64_t t = seconds_of(now);
  const IdTokenExpectations expected{std::string(kIssuer), std::string(kClientId), "n1", now};
  struct Case {
    const char* name;
    std::function<void(json::object&)> change;
  };
  const std::vector<Case> cases = {
      {"other issuer", [](json::object& c) { c["iss"] = "https://evil.example"; }},
      {"issuer with slash", [](json::object& c) { c["iss"] = std::string(kIssuer) + "/"; }},
      {"no issuer", [](json::object& c) { c.erase("iss"); }},
      {"other audience", [](json::object& c) { c["aud"] = "someone-else"; }},
      {"no audience", [](json::object& c) { c.erase("aud"); }},
      {"audiences without azp",
       [](json::object& c) {
         c["aud"] = json::array{kClientId, "other"};
       }},
      {"azp of another client",
       [](json::object& c) {
         c["aud"] = json::array{kClientId, "other"};
         c["azp"] = "other";
       }},
      {"expired beyond the skew", [t](json::object& c) { c["exp"] = t - 121; }},
      {"no expiry", [](json::object& c) { c.erase("exp"); }},
      {"expiry as text", [t](json::object& c) { c["exp"] = std::to_string(t + 300); }},
      {"issued in the future", [t](json::object& c) { c["iat"] = t + 121; }},
      {"no issue time", [](json::object& c) { c.erase("iat"); }},
      {"not valid yet", [t](json::object& c) { c["nbf"] = t + 121; }},
      {"other nonce", [](json::object& c) { c["nonce"] = "n2"; }},
      {"no nonce", [](json::object& c) { c.erase("nonce"); }},
      {"no subject", [](json::object& c) { c.erase("sub"); }},
      {"no email", [](json::object& c) { c.erase("email"); }},
      {"email not verified", [](json::object& c) { c["email_verified"] = false; }},
      {"email not verified as text", [](json::object& c) { c["email_verified"] = "false"; }},
  };
  for (const Case& test : cases) {
    json::object claims = good_claims(now, "n1");
    test.change(claims);
    auto identity = check_id_token_claims(claims, expected);
    ASSERT_FALSE(identity) << test.name;
    EXPECT_EQ(identity.error().kind, ErrorKind::permission_denied) << test.name;
  }
}

TEST(OidcClaimsTest, AllowsTwoMinutesOfSkewAndSeveralAudiencesWithAzp) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const std::int64_t t = seconds_of(now);
  const IdTokenExpectations expected{std::string(kIssuer), std::string(kClientId), "n1", now};
  json::object claims = good_claims(now, "n1");
  claims["exp"] = t - 119;
  claims["iat"] = t + 119;
  claims["nbf"] = t + 119;
  claims["aud"] = json::array{"other", kClientId};
  claims["azp"] = kClientId;
  claims.erase("email_verified");  // absent is not false
  auto identity = check_id_token_claims(claims, expected);
  EXPECT_TRUE(identity) << identity.error().message;
}

TEST(OidcClaimsTest, TokenResponsesSayWhyTheyFailed) {
  auto refused =
      parse_token_response(HttpResponse{400, "application/json", R"({"error":"invalid_grant"})"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::permission_denied);
  EXPECT_NE(refused.error().message.find("invalid_grant"), std::string::npos);

  auto broken = parse_token_response(HttpResponse{502, "text/html", "<h1>Bad gateway</h1>"});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, ErrorKind::unavailable);

  EXPECT_FALSE(
      parse_token_response(HttpResponse{200, "application/json", R"({"access_token":"a"})"}));
  auto good =
      parse_token_response(HttpResponse{200, "application/json", R"({"id_token":"x.y.z"})"});
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, "x.y.z");
}

TEST_F(OidcTest, FinishesWithRs256AndEs256Tokens) {
  for (const TestKey* key : {&rsa_key(), &ec_key()}) {
    provider_.set_id_token(key->sign(good_claims(clock_.now(), "nonce-1")));
    auto identity = finish();
    ASSERT_TRUE(identity) << key->kid() << ": " << identity.error().message;
    EXPECT_EQ(identity->email, "sian.pritchard@afonvalley.gov.uk");
  }
  // The token request: client_secret_basic and the PKCE verifier.
  ASSERT_FALSE(provider_.posts().empty());
  const FakeProvider::Post& post = provider_.posts().back();
  EXPECT_EQ(post.url, std::string(kIssuer) + "/token");
  EXPECT_EQ(post.user, kClientId);
  EXPECT_EQ(post.password, kSecret);
  std::map<std::string, std::string> form;
  const std::string posted_text = "x:?" + post.form;
  const boost::urls::url_view posted(posted_text);
  for (const auto& param : posted.params()) form[param.key] = param.value;
  EXPECT_EQ(form["grant_type"], "authorization_code");
  EXPECT_EQ(form["code"], "the-code");
  EXPECT_EQ(form["code_verifier"], "the-verifier");
  EXPECT_EQ(form["redirect_uri"], kRedirect);
  // Discovery and keys were fetched once for both sign-ins.
  EXPECT_EQ(provider_.gets(discovery_url(kIssuer)), 1);
  EXPECT_EQ(jwks_fetches(), 1);
}

TEST_F(OidcTest, CachesKeysForTenMinutes) {
  provider_.set_id_token(rsa_key().sign(good_claims(clock_.now(), "nonce-1")));
  ASSERT_TRUE(finish());
  clock_.advance(std::chrono::minutes(9));
  provider_.set_id_token(rsa_key().sign(good_claims(clock_.now(), "nonce-1")));
  ASSERT_TRUE(finish());
  EXPECT_EQ(jwks_fetches(), 1);
  clock_.advance(std::chrono::minutes(2));
  provider_.set_id_token(rsa_key().sign(good_claims(clock_.now(), "nonce-1")));
  ASSERT_TRUE(finish());
  EXPECT_EQ(jwks_fetches(), 2);
}

TEST_F(OidcTest, RefreshesKeysOnceForAnUnknownKid) {
  provider_.set_id_token(rsa_key().sign(good_claims(clock_.now(), "nonce-1")));
  ASSERT_TRUE(finish());
  ASSERT_EQ(jwks_fetches(), 1);

  // The provider rotates to a new key: the first token signed with it makes us look again.
  const TestKey rotated = TestKey::generate(false, "ec-2");
  provider_.set_page(std::string(kIssuer) + "/jwks", jwks_of({&rotated}));
  provider_.set_id_token(rotated.sign(good_claims(clock_.now(), "nonce-1")));
  auto identity = finish();
  EXPECT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(jwks_fetches(), 2);

  // A kid the provider does not publish even after looking again is refused, after one look.
  const TestKey stranger = TestKey::generate(false, "stranger");
  provider_.set_id_token(stranger.sign(good_claims(clock_.now(), "nonce-1")));
  auto refused = finish();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::permission_denied);
  EXPECT_EQ(jwks_fetches(), 3);
}

TEST_F(OidcTest, RefusesForgedAndMisdirectedTokens) {
  const auto claims = good_claims(clock_.now(), "nonce-1");
  // Signed by a stranger's key under the provider's kid.
  const TestKey impostor = TestKey::generate(true, rsa_key().kid());
  provider_.set_id_token(impostor.sign(claims));
  EXPECT_FALSE(finish());

  // alg none with the provider's kid.
  provider_.set_id_token(jwt::base64url_encode(R"({"alg":"none","kid":"rsa-1"})") + "." +
                         jwt::base64url_encode(json::serialize(claims)) + ".");
  auto none = finish();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::permission_denied);

  // A good signature over a token for this sign-in, but a different nonce is expected.
  provider_.set_id_token(ec_key().sign(claims));
  EXPECT_FALSE(finish("nonce-2"));
  EXPECT_TRUE(finish("nonce-1"));
}

TEST_F(OidcTest, ReportsProviderTroubleAsUnavailable) {
  provider_.set_page(discovery_url(kIssuer), "{}", 503);
  auto discovered = client_.discover(kIssuer);
  ASSERT_FALSE(discovered);
  EXPECT_EQ(discovered.error().kind, ErrorKind::unavailable);

  provider_.set_page(discovery_url(kIssuer), json::serialize(discovery_document("https://other")));
  auto mismatched = client_.discover(kIssuer);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().kind, ErrorKind::invalid_input);

  EXPECT_FALSE(client_.discover("http://login.example.org"));  // not https, not loopback
}

TEST_F(OidcTest, StartBuildsTheUrlFromDiscovery) {
  auto url = client_.start(settings(), AuthorizationRequest{.client_id = std::string(kClientId),
                                                            .redirect_uri = std::string(kRedirect),
                                                            .state = "s",
                                                            .nonce = "n",
                                                            .code_verifier = "v"});
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_TRUE(url->starts_with(std::string(kIssuer) + "/authorize?tenant=afon&"));
}

}  // namespace
}  // namespace agora::auth
