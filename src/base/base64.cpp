#include "base/base64.hpp"

#include <fmt/format.h>

#include <array>

namespace agora::base {

namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const std::uint8_t> bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    std::uint32_t v = bytes[i] << 16;
    if (two) v |= bytes[i + 1] << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (two) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(two ? 1 : 2, '=');
  }
  return out;
}

Result<std::vector<std::uint8_t>> decode(std::string_view text, std::string_view alphabet,
                                         bool padded, std::string_view what) {
  std::array<int, 256> value;
  value.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) value[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);

  std::size_t padding = 0;
  if (padded) {
    if (text.size() % 4 != 0) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("{} is not valid base64 (its length is not a multiple of 4)", what));
    }
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  } else if (text.size() % 4 == 1) {
    return fail(ErrorKind::invalid_input, fmt::format("{} is not valid base64 (cut short)", what));
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text.substr(0, text.size() - padding)) {
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("{} is not valid base64 (unexpected '{}')", what,
                              c == '\0' ? std::string("\\0") : std::string(1, c)));
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::string to_base64(std::span<const std::uint8_t> bytes) { return encode(bytes, kStandard, true); }

std::string to_base64url(std::span<const std::uint8_t> bytes) {
  return encode(bytes, kUrlSafe, false);
}

Result<std::vector<std::uint8_t>> from_base64(std::string_view text, std::string_view what) {
  return decode(text, kStandard, true, what);
}

Result<std::vector<std::uint8_t>> from_base64url(std::string_view text, std::string_view what) {
  return decode(text, kUrlSafe, false, what);
}

}  // namespace agora::base
