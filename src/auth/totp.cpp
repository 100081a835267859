#include "auth/totp.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <span>
#include <stdexcept>

namespace agora::auth {

namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The value of base32 character `c` in either case, or -1.
int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Percent-encodes everything but RFC 3986 unreserved characters and '@', which a path segment
// may hold and which people expect to see in the account name.
std::string percent_encode_label(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '@';
    if (keep) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

}  // namespace

std::string to_base32(std::string_view bytes, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 4) / 5 * 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 31];
  if (pad) {
    while (out.size() % 8 != 0) out += '=';
  }
  return out;
}

Result<std::string> from_base32(std::string_view text) {
  while (text.ends_with('=')) text.remove_suffix(1);
  // Only lengths that whole bytes produce: 0, 2, 4, 5 or 7 characters past the last full block.
  const std::size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return fail(
        ErrorKind::invalid_input,
        fmt::format("base32 text of {} characters is not a whole number of bytes", text.size()));
  }
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int value = base32_value(text[i]);
    if (value < 0) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("'{}' at position {} is not a base32 character", text[i], i + 1));
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

std::string new_totp_secret(base::Random& random) {
  return random.bytes(kTotpSecretBytes);
}

std::string otpauth_uri(std::string_view secret, std::string_view account_email) {
  return fmt::format("otpauth://totp/Agora:{}?secret={}&issuer=Agora",
                     percent_encode_label(account_email), to_base32(secret, false));
}

std::int64_t totp_step(std::chrono::system_clock::time_point now) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // Floor division, so a time before the epoch (a broken clock) is no step's neighbour by accident.
  const std::int64_t step = kTotpStep.count();
  return seconds >= 0 ? seconds / step : -((-seconds + step - 1) / step);
}

std::string totp_code(std::string_view secret, std::int64_t step, int digits) {
  if (digits < 6 || digits > 8) throw std::invalid_argument("TOTP codes have 6 to 8 digits");
  std::array<unsigned char, 8> counter{};
  auto value = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value & 0xFF);
    value >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(),
           counter.size(), mac.data(), &mac_length) == nullptr ||
      mac_length != 20) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  // RFC 4226 section 5.3, dynamic truncation.
  const unsigned offset = mac[19] & 0x0F;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return fmt::format("{:0{}}", binary % modulus, digits);
}

std::optional<std::int64_t> verify_totp(std::string_view secret, std::string_view code,
                                        std::chrono::system_clock::time_point now,
                                        std::int64_t last_used_step) {
  if (code.size() != static_cast<std::size_t>(kTotpDigits)) return std::nullopt;
  for (const char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::int64_t current = totp_step(now);
  std::optional<std::int64_t> accepted;
  // Every candidate is computed and compared, so the time taken says nothing about which matched.
  for (std::int64_t step = current - 1; step <= current + 1; ++step) {
    const std::string expected = totp_code(secret, step, kTotpDigits);
    const bool matches = CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0;
    if (matches && step > last_used_step) accepted = step;
  }
  return accepted;
}

}  // namespace agora::auth
