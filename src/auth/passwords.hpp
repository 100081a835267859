#pragma once
// Password hashing with argon2id (libsodium), in the standard PHC string form
// "$argon2id$v=19$m=65536,t=3,p=1$salt$hash", so the cost travels with each hash.

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agora::auth {

/// argon2id cost: RFC 9106's second recommended setting (t=3, 64 MiB), about 0.1-0.2 s per hash
/// on one core of a small server. Raising either makes needs_rehash() true for older hashes.
inline constexpr std::uint64_t kPasswordOpsLimit = 3;
inline constexpr std::size_t kPasswordMemLimit = 64 * 1024 * 1024;
/// Longest password accepted, in bytes: hashing cost does not depend on length, but a limit stops
/// megabyte "passwords" from being shipped to the server.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

/// Hashes `password` with a fresh random salt. Fails with invalid_input for an empty or overlong
/// password and unavailable when the memory for hashing cannot be had.
Result<std::string> hash_password(std::string_view password);

/// True when `password` matches `hash` (a string from hash_password). Constant-time in the
/// password; false for a malformed or empty hash.
bool verify_password(std::string_view hash, std::string_view password);

/// True when `hash` was made with other settings than today's (or is not an argon2id hash), so
/// the password should be hashed again the next time the person signs in.
bool needs_rehash(std::string_view hash);

}  // namespace agora::auth
