#pragma once
// Recovery codes: ten single-use codes a person prints or saves when they set up TOTP, to sign in
// when their phone is lost. Each is 50 random bits written "xxxxx-xxxxx" in lower-case base32;
// only token_hash(normalised code) is stored, in recovery_codes.code_hash.

#include "base/random.hpp"
#include "store/database.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace agora::auth {

/// How many codes a person gets at a time.
inline constexpr std::size_t kRecoveryCodeCount = 10;

/// kRecoveryCodeCount distinct new codes, "xxxxx-xxxxx" each, from `random`.
std::vector<std::string> new_recovery_codes(base::Random& random = base::system_random());

/// A code as typed ("ABCDE FGHIJ", "abcde-fghij ") in its canonical form: spaces, tabs and hyphens
/// removed, letters in lower case. Anything else is kept, so a wrong code stays wrong.
std::string normalise_recovery_code(std::string_view input);

/// What is stored for, and looked up by, a code as typed: token_hash(normalise_recovery_code()).
store::Bytes recovery_code_hash(std::string_view input);

}  // namespace agora::auth
