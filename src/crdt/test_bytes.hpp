#pragma once
// Byte helpers shared by the crdt tests: their expected updates are hex text printed by Yjs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt::test_bytes {

using Bytes = std::vector<std::uint8_t>;

/// "0a1b..." -> bytes.
inline Bytes from_hex(std::string_view hex) {
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

/// Bytes -> lower-case hex, so a failing comparison prints something one can diff.
inline std::string to_hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace agora::crdt::test_bytes
