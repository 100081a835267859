#include "auth/recovery_codes.hpp"

#include "auth/sessions.hpp"

#include <algorithm>

namespace agora::auth {

namespace {

constexpr std::string_view kLowerBase32 = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kHalfLength = 5;  // characters each side of the hyphen; 10 x 5 bits = 50

}  // namespace

std::vector<std::string> new_recovery_codes(base::Random& random) {
  std::vector<std::string> codes;
  while (codes.size() < kRecoveryCodeCount) {
    std::string code;
    for (std::size_t i = 0; i < 2 * kHalfLength; ++i) {
      if (i == kHalfLength) code += '-';
      code += kLowerBase32[random.uniform(kLowerBase32.size())];
    }
    // Two equal codes in 50 bits is all but impossible, but a set of ten must hold ten.
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  }
  return codes;
}

std::string normalise_recovery_code(std::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (const char c : input) {
    if (c == ' ' || c == '\t' || c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

store::Bytes recovery_code_hash(std::string_view input) {
  return token_hash(normalise_recovery_code(input));
}

}  // namespace agora::auth
