#pragma once
// Second factor by authenticator app: time-based one-time passwords (RFC 6238, HMAC-SHA1, 30 s
// steps, 6 digits, as every common app expects) and their secrets in RFC 4648 base32, the form
// otpauth:// URIs and people typing by hand use.

#include "base/random.hpp"
#include "base/result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::auth {

/// Length of a TOTP secret in bytes: 160 bits, the HMAC-SHA1 block RFC 4226 recommends.
inline constexpr std::size_t kTotpSecretBytes = 20;
/// Length of one time step.
inline constexpr std::chrono::seconds kTotpStep{30};
/// Digits in a code.
inline constexpr int kTotpDigits = 6;

/// `bytes` in the RFC 4648 base32 alphabet (A-Z, 2-7), with '=' padding when `pad`.
std::string to_base32(std::string_view bytes, bool pad = true);
/// Decodes base32 in either case, with or without padding; invalid_input naming the bad
/// character or length otherwise.
Result<std::string> from_base32(std::string_view text);

/// A new secret of kTotpSecretBytes random bytes from `random` (the system's, from libsodium,
/// unless a test passes its own). Stored as is in people.totp_secret.
std::string new_totp_secret(base::Random& random = base::system_random());

/// The URI an authenticator app reads from a QR code:
/// "otpauth://totp/Agora:EMAIL?secret=BASE32&issuer=Agora", the email percent-encoded.
std::string otpauth_uri(std::string_view secret, std::string_view account_email);

/// The time step `now` falls in: whole kTotpStep periods since the Unix epoch.
std::int64_t totp_step(std::chrono::system_clock::time_point now);

/// The code for `step` (RFC 6238 section 4 over RFC 4226 section 5.3) with `digits` digits
/// (6 to 8), zero-padded.
std::string totp_code(std::string_view secret, std::int64_t step, int digits = kTotpDigits);

/// The step whose code `code` is, when it is the code of the step of `now` or of one step either
/// side (clocks drift) and that step is later than `last_used_step`, so each code works once;
/// nullopt otherwise, and for anything but exactly kTotpDigits ASCII digits. The caller stores
/// the step returned as the person's new last used step. Compares in constant time.
std::optional<std::int64_t> verify_totp(std::string_view secret, std::string_view code,
                                        std::chrono::system_clock::time_point now,
                                        std::int64_t last_used_step);

}  // namespace agora::auth
