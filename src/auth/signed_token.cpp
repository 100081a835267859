#include "auth/signed_token.hpp"

#include "base/base64.hpp"
#include "base/clock.hpp"
#include "base/random.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>
#include <vector>

namespace agora::auth {

namespace {

constexpr std::string_view kVersion = "agora1";
constexpr std::size_t kKeyBytes = 32;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string mac_of(std::string_view key, std::string_view payload) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// Splits `text` at '|' into exactly `count` fields.
bool split_fields(std::string_view text, std::string_view* fields, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t bar = text.find('|');
    if (i + 1 == count) {
      if (bar != std::string_view::npos) return false;
      fields[i] = text;
      return true;
    }
    if (bar == std::string_view::npos) return false;
    fields[i] = text.substr(0, bar);
    text.remove_prefix(bar + 1);
  }
  return false;
}

Error denied(std::string message) { return Error{ErrorKind::permission_denied, std::move(message)}; }

}  // namespace

TokenSigner::TokenSigner(std::string key) : key_(std::move(key)) {
  if (sodium_init() < 0) std::abort();
}

std::string TokenSigner::sign(const TokenClaims& claims) const {
  const std::string payload =
      fmt::format("{}|{}|{}|{}|{}", kVersion, claims.purpose, claims.person_id,
                  claims.resource_id, base::to_unix_millis(claims.expires_at) / 1000);
  return base::to_base64url(as_bytes(payload)) + "." +
         base::to_base64url(as_bytes(mac_of(key_, payload)));
}

Result<TokenClaims> TokenSigner::verify(std::string_view token, std::string_view purpose,
                                        std::chrono::system_clock::time_point now) const {
  if (token.empty()) return denied("no token was given");
  if (token.size() > 1024) return denied("the token is too long to be one of ours");
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return denied("the token is malformed");
  auto payload = base::from_base64url(token.substr(0, dot), "the token");
  auto mac = base::from_base64url(token.substr(dot + 1), "the token's signature");
  if (!payload || !mac) return denied("the token is malformed");
  const std::string_view payload_text(reinterpret_cast<const char*>(payload->data()), payload->size());
  const std::string expected = mac_of(key_, payload_text);
  if (mac->size() != expected.size() ||
      sodium_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    return denied("the token's signature is not valid (was it made for another server?)");
  }
  std::string_view fields[5];
  std::int64_t person_id = 0, expires = 0;
  if (!split_fields(payload_text, fields, 5) || fields[0] != kVersion ||
      !parse_int(fields[2], person_id) || !parse_int(fields[4], expires)) {
    return denied("the token is malformed");
  }
  if (fields[1] != purpose) {
    return denied(fmt::format("the token is for {}, not {}", fields[1], purpose));
  }
  TokenClaims claims{std::string(fields[1]), person_id, std::string(fields[3]),
                     base::from_unix_millis(expires * 1000)};
  if (claims.expires_at <= now) return denied("the token has expired; ask for a new one");
  return claims;
}

Result<std::string> load_or_create_server_key(store::Connection& connection, std::string_view name) {
  const std::string fresh = base::system_random().bytes(kKeyBytes);
  // Two processes may race to create it; the first INSERT wins and both read the winner.
  AGORA_TRY(connection.execute(
      "INSERT INTO server_keys (name, secret) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
      {std::string(name), store::Bytes{fresh}}));
  auto rows = connection.query("SELECT secret FROM server_keys WHERE name = ?", {std::string(name)});
  if (!rows) return rows.error();
  if (rows->empty()) return fail(ErrorKind::corrupt, fmt::format("server key {} vanished", name));
  const std::string& key = rows->front().text(0);
  if (key.size() < kKeyBytes) {
    return fail(ErrorKind::corrupt, fmt::format("server key {} is {} bytes; it must be at least {}",
                                                name, key.size(), kKeyBytes));
  }
  return Result<std::string>(boost::system::in_place_value, key);
}

}  // namespace agora::auth
