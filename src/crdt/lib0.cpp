#include "crdt/lib0.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace agora::crdt {

namespace {

[[noreturn, gnu::cold, gnu::noinline]] void throw_at(std::size_t position, const char* what) {
  throw DecodeError(std::string(what) + " at byte " + std::to_string(position));
}

// Writes lib0's varInt from its parts, so magnitudes up to 2^63 (INT64_MIN) and "-0" share one
// path.
void write_signed(Encoder& encoder, bool negative, std::uint64_t magnitude) {
  encoder.write_uint8(static_cast<std::uint8_t>((magnitude > 0x3f ? 0x80 : 0) |
                                                (negative ? 0x40 : 0) | (magnitude & 0x3f)));
  magnitude >>= 6;
  while (magnitude > 0) {
    encoder.write_uint8(
        static_cast<std::uint8_t>((magnitude > 0x7f ? 0x80 : 0) | (magnitude & 0x7f)));
    magnitude >>= 7;
  }
}

}  // namespace

void Encoder::write_var_int(std::int64_t value) {
  const bool negative = value < 0;
  // Negating in unsigned arithmetic keeps INT64_MIN defined.
  const std::uint64_t magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(value)
                                           : static_cast<std::uint64_t>(value);
  write_signed(*this, negative, magnitude);
}

void Encoder::write_var_int_negative_zero() {
  write_signed(*this, true, 0);
}

void Encoder::grow(std::size_t count) {
  buffer_.resize(std::max({buffer_.size() * 2, size_ + count, std::size_t{64}}));
}

void Encoder::write_var_string(std::string_view utf8) {
  write_var_uint(utf8.size());
  write_bytes({reinterpret_cast<const std::uint8_t*>(utf8.data()), utf8.size()});
}

void Encoder::write_var_string(std::u16string_view utf16) {
  const std::size_t length = utf8_length(utf16);
  write_var_uint(length);
  if (buffer_.size() - size_ < length) grow(length);
  write_utf8(utf16, buffer_.data() + size_);
  size_ += length;
}

void Encoder::write_var_bytes(std::span<const std::uint8_t> bytes) {
  write_var_uint(bytes.size());
  write_bytes(bytes);
}

void Encoder::write_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (buffer_.size() - size_ < bytes.size()) grow(bytes.size());
  std::memcpy(buffer_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void Encoder::write_float32(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  for (int shift = 24; shift >= 0; shift -= 8) write_uint8(static_cast<std::uint8_t>(bits >> shift));
}

void Encoder::write_float64(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) write_uint8(static_cast<std::uint8_t>(bits >> shift));
}

void Encoder::write_big_int64(std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) write_uint8(static_cast<std::uint8_t>(bits >> shift));
}

void Decoder::throw_truncated() const {
  throw_at(position_, "unexpected end of data");
}

// The loops below work on local copies of the position and data pointer: the input is
// unsigned char, which may alias the decoder's own members, so the compiler would otherwise
// reload and store position_ around every byte.

std::uint64_t Decoder::read_var_uint_slow() {
  const std::size_t start = position_;
  const std::uint8_t* const p = bytes_.data() + start;
  if constexpr (std::endian::native == std::endian::little) {
    if (bytes_.size() - start >= 8) {
      // Up to eight bytes at once (client ids take five): find the last byte by its clear
      // high bit, then gather the 7-bit groups.
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      const std::uint64_t ends = ~word & 0x8080808080808080ULL;
      if (ends != 0) {
        const int bytes = std::countr_zero(ends) / 8 + 1;
        if (bytes < 8) word &= (std::uint64_t{1} << (8 * bytes)) - 1;
        const std::uint64_t value =
            (word & 0x7f) | ((word >> 1) & (std::uint64_t{0x7f} << 7)) |
            ((word >> 2) & (std::uint64_t{0x7f} << 14)) | ((word >> 3) & (std::uint64_t{0x7f} << 21)) |
            ((word >> 4) & (std::uint64_t{0x7f} << 28)) | ((word >> 5) & (std::uint64_t{0x7f} << 35)) |
            ((word >> 6) & (std::uint64_t{0x7f} << 42)) | ((word >> 7) & (std::uint64_t{0x7f} << 49));
        position_ = start + static_cast<std::size_t>(bytes);
        return value;
      }
    }
  }
  // At most ten bytes, and no more than are left; bounds are checked once, not per byte.
  const std::size_t limit = std::min<std::size_t>(bytes_.size() - start, 10);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < limit; ++i) {
    const std::uint8_t byte = p[i];
    // The tenth byte holds bit 63 only; anything more does not fit 64 bits.
    if (i == 9 && byte > 1) throw_at(start, "varUint exceeds 64 bits");
    value |= (std::uint64_t{byte} & 0x7f) << (7 * i);
    if (byte < 0x80) {
      position_ = start + i + 1;
      return value;
    }
  }
  throw_at(start, "truncated varUint");
}

std::int64_t Decoder::read_var_int_slow(bool* negative_zero) {
  const std::uint8_t* const data = bytes_.data();
  const std::size_t size = bytes_.size();
  const std::size_t start = position_;
  std::size_t position = start;
  if (position >= size) throw_truncated();
  std::uint8_t byte = data[position++];
  const bool negative = (byte & 0x40) != 0;
  std::uint64_t magnitude = byte & 0x3f;
  for (int shift = 6; (byte & 0x80) != 0; shift += 7) {
    if (position >= size) throw_at(start, "truncated varInt");
    byte = data[position++];
    const std::uint64_t payload = byte & 0x7f;
    // Bytes after the ninth continuation carry bits 62 and 63 only (magnitudes up to 2^63).
    if (shift == 62 && (payload > 3 || (byte & 0x80) != 0))
      throw_at(start, "varInt exceeds 64 bits");
    magnitude |= payload << shift;
  }
  constexpr std::uint64_t kTwoTo63 = std::uint64_t{1} << 63;
  if (magnitude > kTwoTo63 || (magnitude == kTwoTo63 && !negative)) {
    throw_at(start, "varInt exceeds 64 bits");
  }
  position_ = position;
  if (negative_zero != nullptr) *negative_zero = negative && magnitude == 0;
  return negative ? static_cast<std::int64_t>(std::uint64_t{0} - magnitude)
                  : static_cast<std::int64_t>(magnitude);
}

std::string_view Decoder::read_var_string() {
  const std::size_t start = position_;
  const std::uint64_t length = read_var_uint();
  if (length > remaining()) throw_at(start, "string longer than the remaining data");
  const std::string_view text(reinterpret_cast<const char*>(bytes_.data() + position_),
                              static_cast<std::size_t>(length));
  if (!is_valid_utf8(text)) throw_at(start, "string is not valid UTF-8");
  position_ += static_cast<std::size_t>(length);
  return text;
}

std::span<const std::uint8_t> Decoder::read_var_bytes() {
  const std::size_t start = position_;
  const std::uint64_t length = read_var_uint();
  if (length > remaining()) throw_at(start, "byte array longer than the remaining data");
  return read_bytes(static_cast<std::size_t>(length));
}

std::span<const std::uint8_t> Decoder::read_bytes(std::size_t count) {
  if (count > remaining()) throw_truncated();
  const auto result = bytes_.subspan(position_, count);
  position_ += count;
  return result;
}

float Decoder::read_float32() {
  const auto raw = read_bytes(4);
  std::uint32_t bits = 0;
  for (const std::uint8_t byte : raw) bits = (bits << 8) | byte;
  return std::bit_cast<float>(bits);
}

double Decoder::read_float64() {
  const auto raw = read_bytes(8);
  std::uint64_t bits = 0;
  for (const std::uint8_t byte : raw) bits = (bits << 8) | byte;
  return std::bit_cast<double>(bits);
}

std::int64_t Decoder::read_big_int64() {
  const auto raw = read_bytes(8);
  std::uint64_t bits = 0;
  for (const std::uint8_t byte : raw) bits = (bits << 8) | byte;
  return static_cast<std::int64_t>(bits);
}

std::size_t utf16_length(std::string_view utf8) {
  // Every code point starts with one non-continuation byte; those of four bytes (lead >= 0xF0)
  // are surrogate pairs in UTF-16.
  std::size_t units = 0;
  for (const char c : utf8) {
    const auto byte = static_cast<std::uint8_t>(c);
    units += (byte & 0xc0) != 0x80;
    units += byte >= 0xf0;
  }
  return units;
}

namespace {

// Whether the four UTF-16 units at `units` are all ASCII.
bool ascii4(const char16_t* units, std::uint64_t& word) {
  std::memcpy(&word, units, 8);
  return (word & 0xff80ff80ff80ff80ULL) == 0;
}

}  // namespace

std::size_t utf8_length(std::u16string_view utf16) {
  std::size_t length = utf16.size();
  std::size_t i = 0;
  // ASCII adds nothing beyond the unit count; skip it four units at a time.
  std::uint64_t word;
  while (i + 4 <= utf16.size() && ascii4(utf16.data() + i, word)) i += 4;
  for (; i < utf16.size(); ++i) {
    const char16_t unit = utf16[i];
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      length += 1;
    } else if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < utf16.size() && utf16[i + 1] >= 0xDC00 &&
               utf16[i + 1] <= 0xDFFF) {
      length += 2;  // two units, four bytes
      ++i;
    } else {
      length += 2;  // three bytes, lone surrogates (U+FFFD) included
    }
  }
  return length;
}

std::uint8_t* write_utf8(std::u16string_view utf16, std::uint8_t* out) {
  for (std::size_t i = 0; i < utf16.size(); ++i) {
    if constexpr (std::endian::native == std::endian::little) {
      // ASCII four units at a time: keep the low byte of each.
      std::uint64_t word;
      while (i + 4 <= utf16.size() && ascii4(utf16.data() + i, word)) {
        const auto bytes = static_cast<std::uint32_t>((word & 0xff) | ((word >> 8) & 0xff00) |
                                                      ((word >> 16) & 0xff0000) |
                                                      ((word >> 24) & 0xff000000));
        std::memcpy(out, &bytes, 4);
        out += 4;
        i += 4;
      }
      if (i == utf16.size()) break;
    }
    std::uint32_t code = utf16[i];
    if (code < 0x80) {
      *out++ = static_cast<std::uint8_t>(code);
      continue;
    }
    if (code >= 0xD800 && code <= 0xDBFF && i + 1 < utf16.size() && utf16[i + 1] >= 0xDC00 &&
        utf16[i + 1] <= 0xDFFF) {
      code = 0x10000 + ((code - 0xD800) << 10) + (utf16[i + 1] - 0xDC00);
      ++i;
    } else if (code >= 0xD800 && code <= 0xDFFF) {
      code = 0xFFFD;  // a lone surrogate, as TextEncoder writes it
    }
    if (code < 0x800) {
      *out++ = static_cast<std::uint8_t>(0xC0 | (code >> 6));
      *out++ = static_cast<std::uint8_t>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      *out++ = static_cast<std::uint8_t>(0xE0 | (code >> 12));
      *out++ = static_cast<std::uint8_t>(0x80 | ((code >> 6) & 0x3F));
      *out++ = static_cast<std::uint8_t>(0x80 | (code & 0x3F));
    } else {
      *out++ = static_cast<std::uint8_t>(0xF0 | (code >> 18));
      *out++ = static_cast<std::uint8_t>(0x80 | ((code >> 12) & 0x3F));
      *out++ = static_cast<std::uint8_t>(0x80 | ((code >> 6) & 0x3F));
      *out++ = static_cast<std::uint8_t>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto* const end = p + text.size();
  // Short ASCII strings (keys, root names, words) are the common case.
  if (text.size() <= 16) {
    const auto* q = p;
    while (q < end && *q < 0x80) ++q;
    if (q == end) return true;
    p = q;
  }
  while (p < end) {
    // Skip ASCII eight bytes at a time: most text is mostly ASCII.
    if (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      const std::uint64_t high_bits = word & 0x8080808080808080ULL;
      if (high_bits == 0) {
        p += 8;
        continue;
      }
      if constexpr (std::endian::native == std::endian::little) {
        // Jump straight to the first non-ASCII byte.
        p += std::countr_zero(high_bits) / 8;
      }
    }
    const std::uint8_t lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    std::size_t length;
    std::uint8_t second_min = 0x80;
    std::uint8_t second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) second_min = 0xa0;  // overlong
      if (lead == 0xed) second_max = 0x9f;  // UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) second_min = 0x90;  // overlong
      if (lead == 0xf4) second_max = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    if (p[1] < second_min || p[1] > second_max) return false;
    for (std::size_t i = 2; i < length; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

}  // namespace agora::crdt
