#pragma once
// Base64 (RFC 4648 section 4) and its URL-safe form without padding (section 5), for bytes that
// travel as text: Yjs states on the command line, signed tokens in URLs.

#include "base/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::base {

/// Standard base64 with '=' padding.
std::string to_base64(std::span<const std::uint8_t> bytes);
/// URL-safe base64 ('-' and '_'), no padding.
std::string to_base64url(std::span<const std::uint8_t> bytes);

/// Decodes standard base64 (padding required). invalid_input naming `what` and the bad character
/// or length otherwise.
Result<std::vector<std::uint8_t>> from_base64(std::string_view text, std::string_view what);
/// Decodes URL-safe base64 without padding; invalid_input naming `what` otherwise.
Result<std::vector<std::uint8_t>> from_base64url(std::string_view text, std::string_view what);

}  // namespace agora::base
