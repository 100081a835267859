#pragma once
// What a new password must be (NCSC and NIST SP 800-63B advice): long enough, not one everybody
// tries first, not the person's own email or name. No rules about symbols or digits, which make
// passwords harder to remember and no harder to guess.

#include "base/result.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace agora::auth {

/// Fewest characters (Unicode code points) in a new password.
inline constexpr std::size_t kMinPasswordCharacters = 10;

/// Why a new password is refused, in the order they are checked.
enum class PasswordProblem {
  not_utf8,     // the bytes are not valid UTF-8
  too_long,     // more than kMaxPasswordBytes bytes
  too_short,    // fewer than kMinPasswordCharacters characters
  is_personal,  // the email address, its part before the @, or the display name
  too_common,   // one of the 10,000 most common passwords
};

/// The key of the problem's message in templates/messages/<language>/password_rules.json,
/// e.g. "password_rules.too_short".
std::string_view message_key(PasswordProblem problem) noexcept;

/// The first problem with `password` as a new password for the person with `email` and
/// `display_name`, or nullopt when it is fine. Comparisons ignore case.
std::optional<PasswordProblem> find_password_problem(std::string_view password,
                                                     std::string_view email,
                                                     std::string_view display_name);

/// As find_password_problem, but as invalid_input with an English message a person can act on,
/// e.g. "Your password must be at least 10 characters long; this one has 8".
Result<> check_new_password(std::string_view password, std::string_view email,
                            std::string_view display_name);

/// True when `password`, ignoring case, is in src/auth/data/common-passwords.txt (built into the binary).
bool is_common_password(std::string_view password);

}  // namespace agora::auth
