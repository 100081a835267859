#include "crdt/lib0.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename F>
Bytes encode(F&& write) {
  Encoder encoder;
  write(encoder);
  return encoder.take();
}

std::span<const std::uint8_t> span_of(const Bytes& bytes) {
  return bytes;
}

// Expected bytes below were printed by lib0 0.2.120 in node:
//   const e = encoding.createEncoder(); encoding.writeVarUint(e, n); encoding.toUint8Array(e)
// (and writeVarInt, writeVarString, writeFloat32/64, writeBigInt64, writeVarUint8Array alike).

struct VarUintCase {
  std::uint64_t value;
  Bytes bytes;
};

TEST(Lib0, VarUintMatchesLib0AtBoundaries) {
  const std::vector<VarUintCase> cases = {
      {0, {0x00}},
      {1, {0x01}},
      {127, {0x7f}},
      {128, {0x80, 0x01}},
      {16383, {0xff, 0x7f}},
      {16384, {0x80, 0x80, 0x01}},
      {std::uint64_t{1} << 32, {0x80, 0x80, 0x80, 0x80, 0x10}},
      {(std::uint64_t{1} << 53) - 1, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}},
      {std::uint64_t{1} << 53, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(encode([&](Encoder& e) { e.write_var_uint(c.value); }), c.bytes) << c.value;
    Decoder decoder(span_of(c.bytes));
    EXPECT_EQ(decoder.read_var_uint(), c.value);
    EXPECT_TRUE(decoder.done());
  }
}

TEST(Lib0, VarUintFullRangeRoundTrips) {
  // Beyond 2^53 lib0 loses precision, so these have no JavaScript reference: the encoding is
  // 7 bits per byte, so 2^64-1 takes nine 0xff bytes and a final 0x01.
  const Bytes max_bytes =
      encode([](Encoder& e) { e.write_var_uint(std::numeric_limits<std::uint64_t>::max()); });
  EXPECT_EQ(max_bytes, (Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  Decoder decoder(span_of(max_bytes));
  EXPECT_EQ(decoder.read_var_uint(), std::numeric_limits<std::uint64_t>::max());
}

TEST(Lib0, VarUintRefusesOverflowAndTruncation) {
  const Bytes too_big = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  Decoder d1(span_of(too_big));
  EXPECT_THROW(d1.read_var_uint(), DecodeError);
  const Bytes too_long = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  Decoder d2(span_of(too_long));
  EXPECT_THROW(d2.read_var_uint(), DecodeError);
  const Bytes truncated = {0x80, 0x80};
  Decoder d3(span_of(truncated));
  EXPECT_THROW(d3.read_var_uint(), DecodeError);
  Decoder empty;
  EXPECT_THROW(empty.read_var_uint(), DecodeError);
  EXPECT_THROW(empty.read_uint8(), DecodeError);
  // lib0 accepts redundant continuation bytes, so we do too.
  const Bytes padded = {0x81, 0x80, 0x00};
  Decoder d4(span_of(padded));
  EXPECT_EQ(d4.read_var_uint(), 1u);
}

struct VarIntCase {
  std::int64_t value;
  Bytes bytes;
};

TEST(Lib0, VarIntMatchesLib0) {
  const std::vector<VarIntCase> cases = {
      {0, {0x00}},
      {1, {0x01}},
      {-1, {0x41}},
      {63, {0x3f}},
      {64, {0x80, 0x01}},
      {-63, {0x7f}},
      {-64, {0xc0, 0x01}},
      {-65, {0xc1, 0x01}},
      {8191, {0xbf, 0x7f}},
      {8192, {0x80, 0x80, 0x01}},
      {2147483647, {0xbf, 0xff, 0xff, 0xff, 0x0f}},
      {-2147483648LL, {0xc0, 0x80, 0x80, 0x80, 0x10}},
      {9007199254740991LL, {0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f}},
      {-9007199254740991LL, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(encode([&](Encoder& e) { e.write_var_int(c.value); }), c.bytes) << c.value;
    Decoder decoder(span_of(c.bytes));
    bool negative_zero = true;
    EXPECT_EQ(decoder.read_var_int(&negative_zero), c.value);
    EXPECT_FALSE(negative_zero);
    EXPECT_TRUE(decoder.done());
  }
}

TEST(Lib0, VarIntNegativeZero) {
  // lib0 writeVarInt(e, -0) -> 0x40
  const Bytes bytes = encode([](Encoder& e) { e.write_var_int_negative_zero(); });
  EXPECT_EQ(bytes, Bytes{0x40});
  Decoder decoder(span_of(bytes));
  bool negative_zero = false;
  EXPECT_EQ(decoder.read_var_int(&negative_zero), 0);
  EXPECT_TRUE(negative_zero);
}

TEST(Lib0, VarIntExtremesRoundTripAndOverflowIsRefused) {
  for (const std::int64_t value :
       {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
        std::int64_t{-1} << 62}) {
    const Bytes bytes = encode([&](Encoder& e) { e.write_var_int(value); });
    Decoder decoder(span_of(bytes));
    EXPECT_EQ(decoder.read_var_int(), value);
    EXPECT_TRUE(decoder.done());
  }
  // +2^63 (positive sign, magnitude 2^63) does not fit int64.
  Bytes plus_two_to_63 =
      encode([](Encoder& e) { e.write_var_int(std::numeric_limits<std::int64_t>::min()); });
  plus_two_to_63[0] &= static_cast<std::uint8_t>(~0x40);
  Decoder d1(span_of(plus_two_to_63));
  EXPECT_THROW(d1.read_var_int(), DecodeError);
  const Bytes truncated = {0xc0};
  Decoder d2(span_of(truncated));
  EXPECT_THROW(d2.read_var_int(), DecodeError);
}

TEST(Lib0, StringsMatchLib0IncludingEmoji) {
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"", {0x00}},
      {"hello", {0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f}},
      {"h\xc3\xa9llo", {0x06, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f}},
      {"\xf0\x9f\x98\x80", {0x04, 0xf0, 0x9f, 0x98, 0x80}},
      {"a\xf0\x9f\x98\x80"
       "b\xe4\xb8\xad",
       {0x09, 0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62, 0xe4, 0xb8, 0xad}},
  };
  for (const auto& [text, bytes] : cases) {
    EXPECT_EQ(encode([&](Encoder& e) { e.write_var_string(text); }), bytes);
    Decoder decoder(span_of(bytes));
    const std::string_view read = decoder.read_var_string();
    EXPECT_EQ(read, text);
    // The view points into the input, not a copy.
    if (!text.empty()) {
      EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(read.data()), bytes.data() + 1);
    }
  }
}

TEST(Lib0, InvalidUtf8IsRefusedLikeFatalTextDecoder) {
  // Each of these makes `new TextDecoder('utf-8', {fatal: true})` throw in node.
  const std::vector<Bytes> invalid = {
      {0xc0, 0x80}, {0xed, 0xa0, 0x80}, {0xf4, 0x90, 0x80, 0x80}, {0xe2, 0x82}, {0xff}, {0x80}};
  for (const Bytes& body : invalid) {
    const Bytes bytes = encode([&](Encoder& e) { e.write_var_bytes(body); });
    Decoder decoder(span_of(bytes));
    EXPECT_THROW(decoder.read_var_string(), DecodeError);
  }
  // A BOM decodes fine with ignoreBOM: true and is kept.
  const Bytes bom = {0x03, 0xef, 0xbb, 0xbf};
  Decoder decoder(span_of(bom));
  EXPECT_EQ(decoder.read_var_string(), "\xef\xbb\xbf");
  // Long ASCII runs around a bad byte exercise the word-at-a-time path.
  std::string long_text(40, 'a');
  long_text[33] = static_cast<char>(0xff);
  EXPECT_FALSE(is_valid_utf8(long_text));
  long_text[33] = 'b';
  EXPECT_TRUE(is_valid_utf8(long_text));
}

// A plain code-point-by-code-point validator (RFC 3629) to compare the fast one against.
bool reference_valid_utf8(const Bytes& bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::uint8_t lead = bytes[i];
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > bytes.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (bytes[i + k] & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

TEST(Lib0, Utf8ValidationAgreesWithAReferenceOnRandomInput) {
  const unsigned seed = std::random_device{}();
  std::printf("Utf8ValidationAgreesWithAReferenceOnRandomInput seed=%u\n", seed);
  std::mt19937 rng(seed);
  // Byte values near the edges of the UTF-8 ranges, plus ASCII, so both outcomes are common.
  const std::vector<std::uint8_t> interesting = {'a',  'b',  0x00, 0x7f, 0x80, 0x8f, 0x90,
                                                 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                                                 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  int valid = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes(rng() % 24);
    for (auto& b : bytes)
      b = rng() % 3 == 0 ? static_cast<std::uint8_t>(rng())
                         : interesting[rng() % interesting.size()];
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ASSERT_EQ(is_valid_utf8(text), reference_valid_utf8(bytes))
        << "seed " << seed << " round " << round;
    valid += reference_valid_utf8(bytes);
  }
  EXPECT_GT(valid, 100);
}

TEST(Lib0, StringLongerThanInputIsRefused) {
  const Bytes bytes = {0x05, 'a', 'b'};
  Decoder decoder(span_of(bytes));
  EXPECT_THROW(decoder.read_var_string(), DecodeError);
  const Bytes huge = {0xff, 0xff, 0xff, 0xff, 0x0f, 'a'};
  Decoder d2(span_of(huge));
  EXPECT_THROW(d2.read_var_bytes(), DecodeError);
}

TEST(Lib0, FloatsAndBigIntsAreBigEndian) {
  EXPECT_EQ(encode([](Encoder& e) { e.write_float32(1.5f); }), (Bytes{0x3f, 0xc0, 0x00, 0x00}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_float32(-0.1f); }), (Bytes{0xbd, 0xcc, 0xcc, 0xcd}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_float32(std::numeric_limits<float>::max()); }),
            (Bytes{0x7f, 0x7f, 0xff, 0xff}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_float64(0.1); }),
            (Bytes{0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_float64(-2.5e-300); }),
            (Bytes{0x81, 0xba, 0xc9, 0xa7, 0xb3, 0xb7, 0x30, 0x2f}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_float64(INFINITY); }),
            (Bytes{0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_big_int64(-1); }), Bytes(8, 0xff));
  EXPECT_EQ(encode([](Encoder& e) { e.write_big_int64(1234567890123456789LL); }),
            (Bytes{0x11, 0x22, 0x10, 0xf4, 0x7d, 0xe9, 0x81, 0x15}));
  EXPECT_EQ(encode([](Encoder& e) { e.write_big_int64(std::numeric_limits<std::int64_t>::min()); }),
            (Bytes{0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));

  const Bytes all = encode([](Encoder& e) {
    e.write_float32(-0.1f);
    e.write_float64(-2.5e-300);
    e.write_big_int64(1234567890123456789LL);
  });
  Decoder decoder(span_of(all));
  EXPECT_EQ(decoder.read_float32(), -0.1f);
  EXPECT_EQ(decoder.read_float64(), -2.5e-300);
  EXPECT_EQ(decoder.read_big_int64(), 1234567890123456789LL);
  EXPECT_TRUE(decoder.done());
  EXPECT_THROW(decoder.read_float32(), DecodeError);
}

TEST(Lib0, BytesWithAndWithoutLength) {
  const Bytes payload = {1, 2, 255};
  const Bytes bytes = encode([&](Encoder& e) {
    e.write_var_bytes(payload);
    e.write_bytes(payload);
  });
  // lib0 writeVarUint8Array(e, Uint8Array[1,2,255]) -> 03 01 02 ff
  EXPECT_EQ(bytes, (Bytes{0x03, 0x01, 0x02, 0xff, 0x01, 0x02, 0xff}));
  Decoder decoder(span_of(bytes));
  const auto first = decoder.read_var_bytes();
  EXPECT_EQ(Bytes(first.begin(), first.end()), payload);
  const auto second = decoder.read_bytes(3);
  EXPECT_EQ(Bytes(second.begin(), second.end()), payload);
  EXPECT_EQ(decoder.remaining(), 0u);
  EXPECT_THROW(decoder.read_bytes(1), DecodeError);
}

TEST(Lib0, Utf16LengthMatchesJavaScriptStringLength) {
  // node: ['', 'abc', 'héllo', '😀', 'a😀b中', '\u{10FFFF}x'].map(s => s.length) -> [0,3,5,2,5,3]
  EXPECT_EQ(utf16_length(""), 0u);
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("h\xc3\xa9llo"), 5u);
  EXPECT_EQ(utf16_length("\xf0\x9f\x98\x80"), 2u);
  EXPECT_EQ(utf16_length("a\xf0\x9f\x98\x80"
                         "b\xe4\xb8\xad"),
            5u);
  EXPECT_EQ(utf16_length("\xf4\x8f\xbf\xbfx"), 3u);
}

TEST(Lib0, EncoderTakeLeavesItEmpty) {
  Encoder encoder;
  encoder.write_var_uint(300);
  EXPECT_EQ(encoder.size(), 2u);
  const Bytes bytes = encoder.take();
  EXPECT_EQ(bytes, (Bytes{0xac, 0x02}));
  EXPECT_EQ(encoder.size(), 0u);
}

}  // namespace
}  // namespace agora::crdt
