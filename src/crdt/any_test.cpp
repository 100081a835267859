#include "crdt/any.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encode_any(const Any& value) {
  Encoder encoder;
  write_any(encoder, value);
  return encoder.take();
}

Any decode_any(const Bytes& bytes) {
  Decoder decoder(bytes);
  Any value = read_any(decoder);
  EXPECT_TRUE(decoder.done());
  return value;
}

bool is_negative_zero(const Any& value) {
  const double* d = std::get_if<double>(&value.value);
  return d != nullptr && *d == 0 && std::signbit(*d);
}

struct AnyCase {
  const char* name;
  Any value;
  Bytes bytes;
};

// Bytes printed by lib0 0.2.120 in node: encoding.writeAny(e, value); encoding.toUint8Array(e).
std::vector<AnyCase> any_cases() {
  return {
      {"undefined", Any{}, {0x7f}},
      {"null", Any{nullptr}, {0x7e}},
      {"true", Any{true}, {0x78}},
      {"false", Any{false}, {0x79}},
      {"0", Any{0.0}, {0x7d, 0x00}},
      {"-0", Any{-0.0}, {0x7d, 0x40}},
      {"1", Any{1.0}, {0x7d, 0x01}},
      {"-1", Any{-1.0}, {0x7d, 0x41}},
      {"0x7fffffff", Any{2147483647.0}, {0x7d, 0xbf, 0xff, 0xff, 0xff, 0x0f}},
      {"-0x7fffffff", Any{-2147483647.0}, {0x7d, 0xff, 0xff, 0xff, 0xff, 0x0f}},
      // Beyond 31 bits lib0 stops using varInt even for integers.
      {"-0x80000000", Any{-2147483648.0}, {0x7c, 0xcf, 0x00, 0x00, 0x00}},
      {"2^31", Any{2147483648.0}, {0x7c, 0x4f, 0x00, 0x00, 0x00}},
      {"2^31+1", Any{2147483649.0}, {0x7b, 0x41, 0xe0, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00}},
      {"0.5", Any{0.5}, {0x7c, 0x3f, 0x00, 0x00, 0x00}},
      {"0.1", Any{0.1}, {0x7b, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}},
      {"1e300", Any{1e300}, {0x7b, 0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c}},
      {"NaN",
       Any{std::numeric_limits<double>::quiet_NaN()},
       {0x7b, 0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {"Infinity", Any{std::numeric_limits<double>::infinity()}, {0x7c, 0x7f, 0x80, 0x00, 0x00}},
      {"-Infinity", Any{-std::numeric_limits<double>::infinity()}, {0x7c, 0xff, 0x80, 0x00, 0x00}},
      {"5e-324", Any{5e-324}, {0x7b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}},
      {"2^-149 (float32 denormal)", Any{std::ldexp(1.0, -149)}, {0x7c, 0x00, 0x00, 0x00, 0x01}},
      {"123n", Any{Any::BigInt{123}}, {0x7a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b}},
      {"-5n", Any{Any::BigInt{-5}}, {0x7a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb}},
      {"'a😀'", Any{std::string("a\xf0\x9f\x98\x80")}, {0x77, 0x05, 0x61, 0xf0, 0x9f, 0x98, 0x80}},
      {"Uint8Array[0,1,255]", Any{Any::Bytes{0, 1, 255}}, {0x74, 0x03, 0x00, 0x01, 0xff}},
      // { a: [1, 'x', null, { b: true }], c: new Uint8Array([7]), d: 2.5 }
      {"nested",
       Any{Any::Object{
           {"a", Any{Any::Array{Any{1.0}, Any{std::string("x")}, Any{nullptr},
                                Any{Any::Object{{"b", Any{true}}}}}}},
           {"c", Any{Any::Bytes{7}}},
           {"d", Any{2.5}},
       }},
       {0x76, 0x03, 0x01, 0x61, 0x75, 0x04, 0x7d, 0x01, 0x77, 0x01, 0x78, 0x7e, 0x76, 0x01, 0x01,
        0x62, 0x78, 0x01, 0x63, 0x74, 0x01, 0x07, 0x01, 0x64, 0x7c, 0x40, 0x20, 0x00, 0x00}},
      // [[], {}]
      {"empty containers",
       Any{Any::Array{Any{Any::Array{}}, Any{Any::Object{}}}},
       {0x75, 0x02, 0x75, 0x00, 0x76, 0x00}},
  };
}

TEST(Any, WriteMatchesLib0ForEveryType) {
  for (const auto& c : any_cases()) {
    EXPECT_EQ(encode_any(c.value), c.bytes) << c.name;
  }
}

TEST(Any, ReadGivesBackTheValue) {
  for (const auto& c : any_cases()) {
    const Any read = decode_any(c.bytes);
    if (std::string_view(c.name) == "NaN") {
      ASSERT_TRUE(std::holds_alternative<double>(read.value));
      EXPECT_TRUE(std::isnan(std::get<double>(read.value)));
      continue;
    }
    EXPECT_EQ(read, c.value) << c.name;
    // Re-encoding is byte-identical, which is what Yjs compatibility rests on.
    EXPECT_EQ(encode_any(read), c.bytes) << c.name;
  }
  EXPECT_TRUE(is_negative_zero(decode_any({0x7d, 0x40})));
}

TEST(Any, ReadObjectsOrderKeysLikeJavaScript) {
  // Written with lib0 by hand: keys b,1,a,0,b(again),__proto__,10,01,4294967295,4294967294 with
  // values 1..10. lib0's readAny gives Object.keys
  // ["0","1","10","4294967294","b","a","01","4294967295"] (values 4,2,7,10,5,3,8,9), and
  // writeAny of that object gives `expected`.
  const Bytes input = {0x76, 0x0a, 0x01, 0x62, 0x7d, 0x01, 0x01, 0x31, 0x7d, 0x02, 0x01, 0x61,
                       0x7d, 0x03, 0x01, 0x30, 0x7d, 0x04, 0x01, 0x62, 0x7d, 0x05, 0x09, 0x5f,
                       0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f, 0x7d, 0x06, 0x02, 0x31,
                       0x30, 0x7d, 0x07, 0x02, 0x30, 0x31, 0x7d, 0x08, 0x0a, 0x34, 0x32, 0x39,
                       0x34, 0x39, 0x36, 0x37, 0x32, 0x39, 0x35, 0x7d, 0x09, 0x0a, 0x34, 0x32,
                       0x39, 0x34, 0x39, 0x36, 0x37, 0x32, 0x39, 0x34, 0x7d, 0x0a};
  const Bytes expected = {0x76, 0x08, 0x01, 0x30, 0x7d, 0x04, 0x01, 0x31, 0x7d, 0x02, 0x02,
                          0x31, 0x30, 0x7d, 0x07, 0x0a, 0x34, 0x32, 0x39, 0x34, 0x39, 0x36,
                          0x37, 0x32, 0x39, 0x34, 0x7d, 0x0a, 0x01, 0x62, 0x7d, 0x05, 0x01,
                          0x61, 0x7d, 0x03, 0x02, 0x30, 0x31, 0x7d, 0x08, 0x0a, 0x34, 0x32,
                          0x39, 0x34, 0x39, 0x36, 0x37, 0x32, 0x39, 0x35, 0x7d, 0x09};
  const Any value = decode_any(input);
  EXPECT_EQ(encode_any(value), expected);
  EXPECT_EQ(to_json(value),
            R"({"0":4,"1":2,"10":7,"4294967294":10,"b":5,"a":3,"01":8,"4294967295":9})");
}

TEST(Any, DuplicateKeysInLargeObjectsKeepFirstPositionAndLastValue) {
  // Same rule as above on an object large enough to take the sorting path.
  Encoder encoder;
  encoder.write_uint8(118);
  encoder.write_var_uint(20);
  for (int i = 0; i < 20; ++i) {
    encoder.write_var_string("k" + std::to_string(i % 10));
    write_any(encoder, Any{static_cast<double>(i)});
  }
  Decoder decoder(encoder.bytes());
  const Any value = read_any(decoder);
  const auto& object = std::get<Any::Object>(value.value);
  ASSERT_EQ(object.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(object[static_cast<std::size_t>(i)].first, "k" + std::to_string(i));
    EXPECT_EQ(object[static_cast<std::size_t>(i)].second, Any{static_cast<double>(i + 10)});
  }
}

TEST(Any, MalformedInputThrows) {
  // Unknown tags (lib0 knows 116..127 only).
  for (const std::uint8_t tag : {0, 1, 115, 128, 255}) {
    Decoder decoder(std::span<const std::uint8_t>(&tag, 1));
    EXPECT_THROW(read_any(decoder), DecodeError) << int(tag);
  }
  // Every truncation of a valid nested value.
  Bytes nested;
  for (const auto& c : any_cases()) {
    if (std::string_view(c.name) == "nested") nested = c.bytes;
  }
  ASSERT_FALSE(nested.empty());
  for (std::size_t cut = 0; cut < nested.size(); ++cut) {
    Decoder decoder(std::span<const std::uint8_t>(nested.data(), cut));
    EXPECT_THROW(read_any(decoder), DecodeError) << cut;
  }
  // A huge declared array length is refused before any allocation for it.
  const Bytes huge = {0x75, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7e};
  Decoder decoder(huge);
  EXPECT_THROW(read_any(decoder), DecodeError);
  // Invalid UTF-8 in a string.
  const Bytes bad_string = {0x77, 0x01, 0xff};
  Decoder d2(bad_string);
  EXPECT_THROW(read_any(d2), DecodeError);
}

TEST(Any, NestingIsLimited) {
  auto nested_arrays = [](int depth) {
    Bytes bytes;
    for (int i = 0; i < depth - 1; ++i) {
      bytes.push_back(0x75);
      bytes.push_back(0x01);
    }
    bytes.push_back(0x75);
    bytes.push_back(0x00);
    return bytes;
  };
  const Bytes ok = nested_arrays(kMaxAnyDepth);
  Decoder d1(ok);
  EXPECT_NO_THROW(read_any(d1));
  const Bytes too_deep = nested_arrays(kMaxAnyDepth + 1);
  Decoder d2(too_deep);
  EXPECT_THROW(read_any(d2), DecodeError);
  // Far deeper than the stack would allow without the limit.
  const Bytes very_deep = nested_arrays(1'000'000);
  Decoder d3(very_deep);
  EXPECT_THROW(read_any(d3), DecodeError);

  const std::string json_ok = std::string(kMaxAnyDepth, '[') + std::string(kMaxAnyDepth, ']');
  EXPECT_NO_THROW(parse_json(json_ok));
  const std::string json_deep =
      std::string(kMaxAnyDepth + 1, '[') + std::string(kMaxAnyDepth + 1, ']');
  EXPECT_THROW(parse_json(json_deep), DecodeError);
}

TEST(Any, NumbersPrintLikeJavaScript) {
  // node: JSON.stringify(n) for each n.
  const std::vector<std::pair<double, const char*>> cases = {
      {1e21, "1e+21"},
      {1e-7, "1e-7"},
      {0.1, "0.1"},
      {123456789012.0, "123456789012"},
      {-0.0, "0"},
      {5e-324, "5e-324"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {1e-6, "0.000001"},
      {1.5e-6, "0.0000015"},
      {0.000123, "0.000123"},
      {123e-20, "1.23e-18"},
      {-1.5, "-1.5"},
      {9007199254740992.0, "9007199254740992"},
      {9007199254740994.0, "9007199254740994"},
      {4.35, "4.35"},
      {100.0, "100"},
      {1.0 / 3.0, "0.3333333333333333"},
      {-1e-7, "-1e-7"},
      {1.2e21, "1.2e+21"},
      {0.1 + 0.2, "0.30000000000000004"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"},
  };
  for (const auto& [number, text] : cases) {
    EXPECT_EQ(to_json(Any{number}), text) << text;
  }
}

TEST(Any, ToJsonMatchesJsonStringify) {
  // node: JSON.stringify([NaN, Infinity, -Infinity, undefined, null]) and
  // JSON.stringify({a: undefined, b: 1})
  EXPECT_EQ(to_json(Any{
                Any::Array{Any{std::nan("")}, Any{HUGE_VAL}, Any{-HUGE_VAL}, Any{}, Any{nullptr}}}),
            "[null,null,null,null,null]");
  EXPECT_EQ(to_json(Any{Any::Object{{"a", Any{}}, {"b", Any{1.0}}}}), R"({"b":1})");
  // node: JSON.stringify('q"b\\s/\b\f\n\r\t\u0001\u001f\u007f é😀')
  EXPECT_EQ(to_json(Any{std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f \xc3\xa9\xf0\x9f\x98\x80")}),
            "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f \xc3\xa9\xf0\x9f\x98\x80\"");
  // node: JSON.stringify(new Uint8Array([0, 1, 255]))
  EXPECT_EQ(to_json(Any{Any::Bytes{0, 1, 255}}), R"({"0":0,"1":1,"2":255})");
  // Not JSON.stringify (which throws on BigInt), but what the header promises.
  EXPECT_EQ(to_json(Any{Any::BigInt{-42}}), "-42");
  // ContentJSON stores JSON.stringify(undefined) as the text "undefined".
  EXPECT_EQ(to_json(Any{}), "undefined");
  EXPECT_EQ(parse_json("undefined"), Any{});
  EXPECT_EQ(to_json(Any{true}), "true");
  EXPECT_EQ(to_json(Any{nullptr}), "null");
}

struct JsonCase {
  const char* text;
  const char* stringified;
  Bytes any_bytes;
};

TEST(Any, ParseJsonMatchesJsonParse) {
  // node: for each text t, JSON.stringify(JSON.parse(t)) and writeAny(e, JSON.parse(t)).
  const std::vector<JsonCase> cases = {
      {R"({"b":1,"a":[true,false,null,"x"]})",
       R"({"b":1,"a":[true,false,null,"x"]})",
       {0x76, 0x02, 0x01, 0x62, 0x7d, 0x01, 0x01, 0x61, 0x75, 0x04, 0x78, 0x79, 0x7e, 0x77, 0x01,
        0x78}},
      {R"( { "x" : 1.0 , "y" : -0 , "z" : 1E2 } )",
       R"({"x":1,"y":0,"z":100})",
       {0x76, 0x03, 0x01, 0x78, 0x7d, 0x01, 0x01, 0x79, 0x7d, 0x40, 0x01, 0x7a, 0x7d, 0xa4, 0x01}},
      {"[1e21,1e-7,0.1,123456789012,5e-324,1e400,-1e400,1e-400,2.4e-324]",
       "[1e+21,1e-7,0.1,123456789012,5e-324,null,null,0,0]",
       {0x75, 0x09, 0x7b, 0x44, 0x4b, 0x1a, 0xe4, 0xd6, 0xe2, 0xef, 0x50, 0x7b, 0x3e,
        0x7a, 0xd7, 0xf2, 0x9a, 0xbc, 0xaf, 0x48, 0x7b, 0x3f, 0xb9, 0x99, 0x99, 0x99,
        0x99, 0x99, 0x9a, 0x7b, 0x42, 0x3c, 0xbe, 0x99, 0x1a, 0x14, 0x00, 0x00, 0x7b,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7c, 0x7f, 0x80, 0x00, 0x00,
        0x7c, 0xff, 0x80, 0x00, 0x00, 0x7d, 0x00, 0x7d, 0x00}},
      {R"("\ud83d\ude00 \u00e9\u4e2d\/\b\f\n\r\t\"\\")",
       "\"\xf0\x9f\x98\x80 \xc3\xa9\xe4\xb8\xad/\\b\\f\\n\\r\\t\\\"\\\\\"",
       {0x77, 0x12, 0xf0, 0x9f, 0x98, 0x80, 0x20, 0xc3, 0xa9, 0xe4,
        0xb8, 0xad, 0x2f, 0x08, 0x0c, 0x0a, 0x0d, 0x09, 0x22, 0x5c}},
      // Lone surrogates: JSON.stringify prints "\ud800x", which UTF-8 cannot hold; the bytes
      // Yjs writes for it (TextEncoder's U+FFFD) are what we keep, and print.
      {R"("\ud800x")", "\"\xef\xbf\xbdx\"", {0x77, 0x04, 0xef, 0xbf, 0xbd, 0x78}},
      {R"("\udc00\ud800")",
       "\"\xef\xbf\xbd\xef\xbf\xbd\"",
       {0x77, 0x06, 0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd}},
      {R"({"b":1,"2":2,"a":3,"1":4,"b":5})",
       R"({"1":4,"2":2,"b":5,"a":3})",
       {0x76, 0x04, 0x01, 0x31, 0x7d, 0x04, 0x01, 0x32, 0x7d, 0x02, 0x01, 0x62, 0x7d, 0x05, 0x01,
        0x61, 0x7d, 0x03}},
      {R"({"__proto__":1})",
       R"({"__proto__":1})",
       {0x76, 0x01, 0x09, 0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f, 0x7d, 0x01}},
      {"\"\xf0\x9f\x98\x80\xc3\xa9\"",
       "\"\xf0\x9f\x98\x80\xc3\xa9\"",
       {0x77, 0x06, 0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9}},
      {"[[[]],{}]", "[[[]],{}]", {0x75, 0x02, 0x75, 0x01, 0x75, 0x00, 0x76, 0x00}},
      {"123456789", "123456789", {0x7d, 0x95, 0xb4, 0xde, 0x75}},
      {"-2147483648", "-2147483648", {0x7c, 0xcf, 0x00, 0x00, 0x00}},
      {"2147483647", "2147483647", {0x7d, 0xbf, 0xff, 0xff, 0xff, 0x0f}},
      {"0.5", "0.5", {0x7c, 0x3f, 0x00, 0x00, 0x00}},
      {"3.4028234663852886e38", "3.4028234663852886e+38", {0x7c, 0x7f, 0x7f, 0xff, 0xff}},
  };
  for (const auto& c : cases) {
    const Any value = parse_json(c.text);
    EXPECT_EQ(to_json(value), c.stringified) << c.text;
    EXPECT_EQ(encode_any(value), c.any_bytes) << c.text;
  }
  EXPECT_TRUE(is_negative_zero(parse_json("-0")));
}

TEST(Any, ParseJsonRejectsWhatJsonParseRejects) {
  // Each of these makes JSON.parse throw in node.
  const std::vector<std::string> bad = {
      "",           " ",           "01",        "1.",         ".5",    "+1",        "-",
      "NaN",        "Infinity",    "[1,]",      "{\"a\":1,}", "{a:1}", "'x'",       "\"\t\"",
      "\"\\x\"",    "\"\\u12\"",   "tru",       "nul",        "[1 2]", "{\"a\" 1}", "1 2",
      "\"abc",      "[",           "{\"a\":1",  "1e",         "1e+",   "-01",       "undefined ",
      " undefined", "\"\\u00zz\"", "{\"a\":1}}"};
  for (const auto& text : bad) {
    EXPECT_THROW(parse_json(text), DecodeError) << text;
  }
  // Text that is not UTF-8 cannot come from a JavaScript string.
  EXPECT_THROW(parse_json("\"\xff\""), DecodeError);
}

}  // namespace
}  // namespace agora::crdt
