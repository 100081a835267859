#pragma once
// lib0's binary encoding (lib0/encoding.js, lib0/decoding.js): the integers, strings and byte
// arrays every Yjs message is made of.

#include "crdt/error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {

/// Appends lib0-encoded values to a growing byte buffer.
class Encoder {
 public:
  /// Writes one raw byte.
  void write_uint8(std::uint8_t value) {
    if (size_ == buffer_.size()) grow(1);
    buffer_[size_++] = value;
  }
  /// Writes an unsigned integer, 7 bits per byte, low bits first (values up to 2^64-1).
  void write_var_uint(std::uint64_t value) {
    // Room for the longest varUint first, so the loop writes without checks.
    if (buffer_.size() - size_ < 10) grow(10);
    std::uint8_t* out = buffer_.data() + size_;
    while (value > 0x7f) {
      *out++ = static_cast<std::uint8_t>(0x80 | (value & 0x7f));
      value >>= 7;
    }
    *out++ = static_cast<std::uint8_t>(value);
    size_ = static_cast<std::size_t>(out - buffer_.data());
  }
  /// Writes a signed integer; the first byte carries the sign in bit 0x40.
  void write_var_int(std::int64_t value);
  /// Writes lib0's "-0" (a sign bit with magnitude 0), which JavaScript numbers can hold.
  void write_var_int_negative_zero();
  /// Writes a UTF-8 string as varUint(byte length) + bytes.
  void write_var_string(std::string_view utf8);
  /// Writes UTF-16 text as the varString of its UTF-8 form, converting straight into the
  /// buffer (lone surrogates become U+FFFD, as TextEncoder writes them).
  void write_var_string(std::u16string_view utf16);
  /// Writes varUint(length) + bytes.
  void write_var_bytes(std::span<const std::uint8_t> bytes);
  /// Writes bytes with no length prefix.
  void write_bytes(std::span<const std::uint8_t> bytes);
  /// Big-endian IEEE 754 values and a big-endian two's-complement 64-bit integer.
  void write_float32(float value);
  void write_float64(double value);
  void write_big_int64(std::int64_t value);

  /// Makes room for `count` more bytes without reallocating.
  void reserve(std::size_t count) {
    if (buffer_.size() - size_ < count) buffer_.resize(size_ + count);
  }
  /// The bytes written so far.
  std::span<const std::uint8_t> bytes() const { return {buffer_.data(), size_}; }
  std::size_t size() const { return size_; }
  /// Moves the bytes out, leaving the encoder empty.
  std::vector<std::uint8_t> take() {
    buffer_.resize(size_);
    size_ = 0;
    return std::move(buffer_);
  }

 private:
  /// Makes room for at least `count` more bytes.
  void grow(std::size_t count);

  // Sized ahead of what is written (size_ bytes are in use), so writes need no per-byte
  // capacity checks.
  std::vector<std::uint8_t> buffer_;
  std::size_t size_ = 0;
};

/// Reads lib0-encoded values from a byte span it does not own. Every read checks bounds and
/// throws DecodeError naming what was wrong (truncated, overlong integer, invalid UTF-8).
class Decoder {
 public:
  Decoder() = default;
  explicit Decoder(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool done() const { return position_ >= bytes_.size(); }
  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }

  std::uint8_t read_uint8() {
    if (position_ >= bytes_.size()) throw_truncated();
    return bytes_[position_++];
  }
  /// Reads a varUint; refuses more than 64 bits.
  std::uint64_t read_var_uint() {
    // Nearly all varUints in an update take one or two bytes; keep those cases inline.
    const std::size_t available = bytes_.size() - position_;
    if (available >= 2) {
      const std::uint8_t* p = bytes_.data() + position_;
      if (p[0] < 0x80) {
        position_ += 1;
        return p[0];
      }
      if (p[1] < 0x80) {
        position_ += 2;
        return (std::uint64_t{p[0]} & 0x7f) | (std::uint64_t{p[1]} << 7);
      }
    } else if (available == 1 && bytes_[position_] < 0x80) {
      return bytes_[position_++];
    }
    return read_var_uint_slow();
  }
  /// Reads a varInt; sets *negative_zero when the encoding was lib0's "-0".
  std::int64_t read_var_int(bool* negative_zero = nullptr) {
    // One- and two-byte varInts (|n| < 8192) dominate the v2 columns; keep them inline.
    const std::size_t available = bytes_.size() - position_;
    if (available >= 1) {
      const std::uint8_t* p = bytes_.data() + position_;
      std::int64_t magnitude = p[0] & 0x3f;
      if (p[0] < 0x80) {
        position_ += 1;
      } else if (available >= 2 && p[1] < 0x80) {
        magnitude |= std::int64_t{p[1]} << 6;
        position_ += 2;
      } else {
        return read_var_int_slow(negative_zero);
      }
      const bool negative = (p[0] & 0x40) != 0;
      if (negative_zero != nullptr) *negative_zero = negative && magnitude == 0;
      return negative ? -magnitude : magnitude;
    }
    return read_var_int_slow(negative_zero);
  }
  /// Reads varUint(length) + UTF-8 bytes, checking they are valid UTF-8; the view points into
  /// the decoder's input.
  std::string_view read_var_string();
  std::span<const std::uint8_t> read_var_bytes();
  std::span<const std::uint8_t> read_bytes(std::size_t count);
  float read_float32();
  double read_float64();
  std::int64_t read_big_int64();

 private:
  std::uint64_t read_var_uint_slow();
  std::int64_t read_var_int_slow(bool* negative_zero);
  [[noreturn]] void throw_truncated() const;

  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

/// The length of a UTF-8 string in UTF-16 code units (what JavaScript's String.length gives).
std::size_t utf16_length(std::string_view utf8);

/// The length in bytes of the UTF-8 form of UTF-16 text (lone surrogates count as U+FFFD).
std::size_t utf8_length(std::u16string_view utf16);
/// Writes the UTF-8 form of UTF-16 text at `out`, which has room for utf8_length(utf16) bytes;
/// returns the end of what it wrote.
std::uint8_t* write_utf8(std::u16string_view utf16, std::uint8_t* out);

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF),
/// the same test as the fatal TextDecoder lib0 reads strings with.
bool is_valid_utf8(std::string_view text);

}  // namespace agora::crdt
