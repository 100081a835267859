#include "auth/jwt.hpp"

#include "base/base64.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <boost/json.hpp>

#include <algorithm>

namespace agora::auth::jwt {

namespace {

namespace json = boost::json;

constexpr int kMinRsaBits = 2048;
// RSA moduli above this are refused: verifying with them costs the server a lot for nothing.
constexpr int kMaxRsaBits = 8192;
constexpr std::size_t kP256CoordinateBytes = 32;

struct BignumFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
struct ParamBuildFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

// Empties OpenSSL's per-thread error queue when it goes out of scope: a failed verification
// leaves entries there, and stale entries confuse the next TLS call made on the same thread.
struct ClearOpensslErrors {
  ~ClearOpensslErrors() { ERR_clear_error(); }
};

Error bad_input(std::string message) {
  return fail(ErrorKind::invalid_input, std::move(message));
}
Error refused(std::string message) {
  return fail(ErrorKind::permission_denied, std::move(message));
}

Result<json::object> parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return bad_input(fmt::format("the {} is not JSON: {}", what, ec.message()));
  if (!value.is_object()) return bad_input(fmt::format("the {} is not a JSON object", what));
  return std::move(value.get_object());
}

// The string member `name` of `object`: empty when absent, an error when not a string.
Result<std::string> string_member(const json::object& object, std::string_view name,
                                  std::string_view what) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::string();
  if (!value->is_string()) {
    return bad_input(fmt::format("the {} member \"{}\" is not a string", what, name));
  }
  return std::string(value->get_string());
}

// A base64url member holding a big-endian unsigned integer, without leading zero bytes beyond
// what its length needs.
Result<std::string> binary_member(const json::object& jwk, std::string_view name) {
  auto text = string_member(jwk, name, "key");
  if (!text) return text.error();
  if (text->empty()) return bad_input(fmt::format("the key has no \"{}\"", name));
  return base64url_decode(*text, fmt::format("the key's \"{}\"", name));
}

Bignum bignum_from(std::string_view bytes) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

// Builds a public key of `type` ("RSA", "EC") from OpenSSL parameters.
Result<PublicKey> key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  const ClearOpensslErrors clear_errors;
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder));
  if (!params) return fail(ErrorKind::internal, "OpenSSL could not build key parameters");
  PkeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!context || EVP_PKEY_fromdata_init(context.get()) <= 0) {
    return fail(ErrorKind::internal, fmt::format("OpenSSL cannot make {} keys", type));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return bad_input(fmt::format("the {} key's parameters are not a valid public key", type));
  }
  PublicKey key(raw);
  // fromdata accepts any point; a point off the curve must not reach a verification.
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) {
    return bad_input(fmt::format("the {} key fails OpenSSL's public key check", type));
  }
  return key;
}

Result<PublicKey> rsa_key(const json::object& jwk) {
  auto n = binary_member(jwk, "n");
  if (!n) return n.error();
  auto e = binary_member(jwk, "e");
  if (!e) return e.error();
  const std::size_t first = n->find_first_not_of('\0');
  const std::size_t modulus_bytes = first == std::string::npos ? 0 : n->size() - first;
  Bignum modulus = bignum_from(*n);
  Bignum exponent = bignum_from(*e);
  if (!modulus || !exponent) return fail(ErrorKind::internal, "OpenSSL is out of memory");
  const int bits = BN_num_bits(modulus.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits || modulus_bytes * 8 > kMaxRsaBits) {
    return bad_input(fmt::format("the RSA key has {} bits; between {} and {} are accepted", bits,
                                 kMinRsaBits, kMaxRsaBits));
  }
  if (!BN_is_odd(exponent.get()) || BN_is_one(exponent.get()) || BN_num_bits(exponent.get()) > 64) {
    return bad_input("the RSA key's exponent is not a usable public exponent");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> builder(OSSL_PARAM_BLD_new());
  if (!builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get())) {
    return fail(ErrorKind::internal, "OpenSSL could not build RSA parameters");
  }
  return key_from_params("RSA", builder.get());
}

Result<PublicKey> p256_key(const json::object& jwk) {
  auto x = binary_member(jwk, "x");
  if (!x) return x.error();
  auto y = binary_member(jwk, "y");
  if (!y) return y.error();
  // RFC 7518 section 6.2.1.2: each coordinate is exactly the curve's size, leading zeros kept.
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return bad_input("the P-256 key's \"x\" and \"y\" must be 32 bytes each");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed form
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                       0) ||
      !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return fail(ErrorKind::internal, "OpenSSL could not build EC parameters");
  }
  return key_from_params("EC", builder.get());
}

// The DER ECDSA-Sig-Value for a JWS ES256 signature, which is r and s as 32 bytes each.
Result<std::string> es256_signature_der(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) {
    return refused(fmt::format("the ES256 signature is {} bytes; it must be 64", raw.size()));
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> signature(ECDSA_SIG_new());
  Bignum r = bignum_from(raw.substr(0, kP256CoordinateBytes));
  Bignum s = bignum_from(raw.substr(kP256CoordinateBytes));
  if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    return fail(ErrorKind::internal, "OpenSSL could not hold the ECDSA signature");
  }
  (void)r.release();  // ECDSA_SIG_set0 took them
  (void)s.release();
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  if (length <= 0) return fail(ErrorKind::internal, "OpenSSL could not encode the signature");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool key_fits(const Jwk& key, Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::rs256:
      return key.kty == "RSA";
    case Algorithm::es256:
      return key.kty == "EC" && key.crv == "P-256";
  }
  return false;
}

}  // namespace

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  return base::to_base64url(bytes);
}

std::string base64url_encode(std::string_view text) {
  return base::to_base64url(
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<std::string> base64url_decode(std::string_view text, std::string_view what) {
  auto bytes = base::from_base64url(text, what);
  if (!bytes) return bytes.error();
  // The same bytes have one encoding only; a token altered in its unused bits is not the token
  // that was signed, even if it decodes alike.
  if (base::to_base64url(*bytes) != text) {
    return bad_input(fmt::format("{} is not canonical base64url", what));
  }
  return std::string(bytes->begin(), bytes->end());
}

std::string_view to_string(Algorithm algorithm) noexcept {
  switch (algorithm) {
    case Algorithm::rs256:
      return "RS256";
    case Algorithm::es256:
      return "ES256";
  }
  return "?";
}

std::optional<Algorithm> algorithm_from(std::string_view name) noexcept {
  if (name == "RS256") return Algorithm::rs256;
  if (name == "ES256") return Algorithm::es256;
  return std::nullopt;
}

Result<Jws> parse(std::string_view compact) {
  if (compact.empty()) return bad_input("the token is empty");
  if (compact.size() > kMaxTokenBytes) {
    return bad_input(
        fmt::format("the token is {} bytes; the limit is {}", compact.size(), kMaxTokenBytes));
  }
  const std::size_t first_dot = compact.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : compact.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      compact.find('.', second_dot + 1) != std::string_view::npos) {
    return bad_input("the token is not three base64url parts separated by dots");
  }
  const std::string_view header_part = compact.substr(0, first_dot);
  const std::string_view payload_part = compact.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = compact.substr(second_dot + 1);

  auto header_text = base64url_decode(header_part, "the token's header");
  if (!header_text) return header_text.error();
  auto payload_text = base64url_decode(payload_part, "the token's payload");
  if (!payload_text) return payload_text.error();
  auto signature = base64url_decode(signature_part, "the token's signature");
  if (!signature) return signature.error();

  Jws jws;
  auto header = parse_object(*header_text, "token's header");
  if (!header) return header.error();
  jws.header = std::move(*header);
  auto payload = parse_object(*payload_text, "token's payload");
  if (!payload) return payload.error();
  jws.payload = std::move(*payload);

  const json::value* alg = jws.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return bad_input("the token's header has no \"alg\"");
  jws.alg = std::string(alg->get_string());
  auto kid = string_member(jws.header, "kid", "token header's");
  if (!kid) return kid.error();
  jws.kid = std::move(*kid);
  // A token whose header asks for a critical extension we do not implement must be rejected
  // (RFC 7515 section 4.1.11).
  if (jws.header.contains("crit")) return bad_input("the token's header has \"crit\" extensions");
  jws.signing_input = std::string(compact.substr(0, second_dot));
  jws.signature = std::move(*signature);
  return jws;
}

PublicKey::PublicKey(EVP_PKEY* key) : key_(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); }) {}

Result<Jwk> parse_jwk(const json::object& object) {
  Jwk jwk;
  auto kty = string_member(object, "kty", "key");
  if (!kty) return kty.error();
  auto kid = string_member(object, "kid", "key");
  if (!kid) return kid.error();
  auto alg = string_member(object, "alg", "key");
  if (!alg) return alg.error();
  auto crv = string_member(object, "crv", "key");
  if (!crv) return crv.error();
  jwk.kty = std::move(*kty);
  jwk.kid = std::move(*kid);
  jwk.alg = std::move(*alg);

  if (object.contains("d") || object.contains("p") || object.contains("k")) {
    return bad_input("the key holds private or secret material; publish only public keys");
  }
  if (jwk.kty == "RSA") {
    auto key = rsa_key(object);
    if (!key) return key.error();
    jwk.key = std::move(*key);
  } else if (jwk.kty == "EC") {
    if (*crv != "P-256") {
      return bad_input(fmt::format("the EC key is on curve \"{}\"; only P-256 is accepted", *crv));
    }
    jwk.crv = std::move(*crv);
    auto key = p256_key(object);
    if (!key) return key.error();
    jwk.key = std::move(*key);
  } else {
    return bad_input(fmt::format("the key type \"{}\" is not RSA or EC", jwk.kty));
  }
  return jwk;
}

Result<std::vector<Jwk>> parse_jwks(std::string_view text) {
  auto set = parse_object(text, "key set");
  if (!set) return set.error();
  const json::value* keys = set->if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return bad_input("the key set has no \"keys\" array");
  std::vector<Jwk> out;
  for (const json::value& entry : keys->get_array()) {
    if (!entry.is_object()) continue;
    const json::value* use = entry.get_object().if_contains("use");
    if (use != nullptr && !(use->is_string() && use->get_string() == "sig")) continue;
    auto jwk = parse_jwk(entry.get_object());
    if (jwk) out.push_back(std::move(*jwk));
  }
  return out;
}

std::optional<Jwk> find_key(const std::vector<Jwk>& keys, const Jws& jws) {
  if (!jws.kid.empty()) {
    for (const Jwk& key : keys) {
      if (key.kid == jws.kid) return key;
    }
    return std::nullopt;
  }
  const auto algorithm = algorithm_from(jws.alg);
  if (!algorithm) return std::nullopt;
  std::optional<Jwk> only;
  for (const Jwk& key : keys) {
    if (!key_fits(key, *algorithm) || (!key.alg.empty() && key.alg != jws.alg)) continue;
    if (only) return std::nullopt;  // several could be meant: refuse to guess
    only = key;
  }
  return only;
}

Result<> verify(const Jws& jws, const Jwk& key) {
  const auto algorithm = algorithm_from(jws.alg);
  if (!algorithm) {
    return refused(
        fmt::format("the token is signed with \"{}\"; only RS256 and ES256 are accepted", jws.alg));
  }
  if (!key_fits(key, *algorithm)) {
    return refused(
        fmt::format("the token says {} but key \"{}\" is a {} key", jws.alg, key.kid, key.kty));
  }
  if (!key.alg.empty() && key.alg != jws.alg) {
    return refused(fmt::format("key \"{}\" is for {}, not {}", key.kid, key.alg, jws.alg));
  }
  if (!key.key) return fail(ErrorKind::internal, "the key is empty");
  const ClearOpensslErrors clear_errors;

  std::string signature = jws.signature;
  if (*algorithm == Algorithm::es256) {
    auto der = es256_signature_der(jws.signature);
    if (!der) return der.error();
    signature = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  if (!context) return fail(ErrorKind::internal, "OpenSSL is out of memory");
  EVP_PKEY_CTX* key_context = nullptr;
  if (EVP_DigestVerifyInit_ex(context.get(), &key_context, "SHA256", nullptr, nullptr,
                              key.key.get(), nullptr) != 1) {
    return fail(ErrorKind::internal, "OpenSSL could not start verifying");
  }
  if (*algorithm == Algorithm::rs256 &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return fail(ErrorKind::internal, "OpenSSL could not select PKCS #1 v1.5 padding");
  }
  const int verified = EVP_DigestVerify(
      context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(jws.signing_input.data()), jws.signing_input.size());
  if (verified != 1) return refused("the token's signature does not verify");
  return {};
}

}  // namespace agora::auth::jwt
