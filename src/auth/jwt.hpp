#pragma once
// Compact JWS (RFC 7515) and JWK (RFC 7517) as OpenID Connect ID tokens use them: parse a token,
// read an issuer's key set, and check a signature with OpenSSL 3. Only RS256 and ES256 are
// accepted; "none", the HMAC algorithms and everything else are refused, so a token can never
// choose a weaker check than the key it names was published for.

#include "base/result.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace agora::auth::jwt {

/// The longest compact token accepted, in bytes; ID tokens are a few kilobytes at most.
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;

/// URL-safe base64 without padding (RFC 7515 section 2).
std::string base64url_encode(std::span<const std::uint8_t> bytes);
/// `base64url_encode` of the bytes of `text`.
std::string base64url_encode(std::string_view text);
/// Decodes URL-safe base64 without padding, refusing padding, other alphabets and non-canonical
/// trailing bits; invalid_input naming `what` otherwise.
Result<std::string> base64url_decode(std::string_view text, std::string_view what);

/// The signature algorithms this module verifies.
enum class Algorithm { rs256, es256 };

/// "RS256" or "ES256".
std::string_view to_string(Algorithm algorithm) noexcept;
/// The algorithm called `name` exactly, or nullopt for anything else ("none", "HS256", "rs256").
std::optional<Algorithm> algorithm_from(std::string_view name) noexcept;

/// A compact JWS split into its parts; nothing in it is trusted until verify() says so.
struct Jws {
  boost::json::object header;
  boost::json::object payload;
  std::string alg;            // the header's "alg", as written
  std::string kid;            // the header's "kid", empty when absent
  std::string signing_input;  // "BASE64URL(header).BASE64URL(payload)", the bytes signed
  std::string signature;      // the decoded signature bytes
};

/// Splits `compact` into header, payload and signature and parses the two JSON objects.
/// invalid_input saying which part is wrong for anything but three base64url parts whose first
/// two are JSON objects, a token over kMaxTokenBytes, or a header without a string "alg".
Result<Jws> parse(std::string_view compact);

/// A public key from a JWK, held by OpenSSL. Copies share the key.
class PublicKey {
 public:
  PublicKey() = default;
  /// Takes ownership of `key` (may be null).
  explicit PublicKey(EVP_PKEY* key);

  /// The OpenSSL key, or null for an empty PublicKey.
  EVP_PKEY* get() const { return key_.get(); }
  explicit operator bool() const { return key_ != nullptr; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

/// One usable public key from a JWK Set.
struct Jwk {
  std::string kid;  // may be empty
  std::string kty;  // "RSA" or "EC"
  std::string crv;  // "P-256" for EC keys, empty for RSA
  std::string alg;  // the "alg" the key was published for, empty when unstated
  PublicKey key;
};

/// Builds a key from one JWK object: RSA from "n" and "e" (at least 2048 bits), EC P-256 from
/// "x" and "y" (a point on the curve). invalid_input naming the problem for any other key type,
/// curve, a private key, or malformed members.
Result<Jwk> parse_jwk(const boost::json::object& jwk);

/// The signature keys of a JWK Set document ({"keys": [...]}). Keys this module cannot use
/// (other types or curves, "use": "enc", malformed members) are left out rather than failing the
/// set, so an issuer may publish keys for others; invalid_input when `json` is not a JWK Set.
Result<std::vector<Jwk>> parse_jwks(std::string_view json);

/// The key in `keys` that `jws` says it was signed with: the one whose kid equals the header's,
/// or, when the header has no kid, the only key that fits its algorithm. Nullopt when none does
/// (the caller may refresh the key set once and ask again).
std::optional<Jwk> find_key(const std::vector<Jwk>& keys, const Jws& jws);

/// Ok when `jws` carries a valid signature by `key`. permission_denied when its algorithm is not
/// RS256 or ES256, does not fit the key's type and curve or the key's own "alg", or the signature
/// does not verify.
Result<> verify(const Jws& jws, const Jwk& key);

}  // namespace agora::auth::jwt
