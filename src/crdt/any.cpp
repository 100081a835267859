#include "crdt/any.hpp"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

namespace agora::crdt {

namespace {

enum AnyTag : std::uint8_t {
  kTagUndefined = 127,
  kTagNull = 126,
  kTagInteger = 125,
  kTagFloat32 = 124,
  kTagFloat64 = 123,
  kTagBigInt = 122,
  kTagFalse = 121,
  kTagTrue = 120,
  kTagString = 119,
  kTagObject = 118,
  kTagArray = 117,
  kTagBytes = 116,
};

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

// ---------------------------------------------------------------------------------------------
// JavaScript object key semantics.

// An "array index" key ("0", "17", up to 2^32-2 in canonical form) is ordered before all other
// keys, ascending, in every JavaScript object.
bool array_index_of(std::string_view key, std::uint32_t* index) {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  std::uint64_t value = 0;
  for (const char c : key) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 0xfffffffeULL) return false;
  *index = static_cast<std::uint32_t>(value);
  return true;
}

// Rearranges entries, collected in the order their keys were assigned, into the object a
// JavaScript engine would hold: a repeated key keeps its first position and its last value, and
// array-index keys come first in ascending order. Object.keys, JSON.stringify and lib0's
// writeAny all see that order, so keeping it makes re-encoding byte-identical with Yjs.
void normalize_like_js(Any::Object& entries) {
  const std::size_t n = entries.size();
  if (n == 0) return;
  bool has_index_key = false;
  std::uint32_t ignored = 0;
  for (const auto& entry : entries) {
    if (array_index_of(entry.first, &ignored)) {
      has_index_key = true;
      break;
    }
  }

  // Entry indices sorted by key, stable so equal keys stay in assignment order.
  std::vector<std::size_t> by_key;
  auto sort_by_key = [&] {
    by_key.resize(n);
    std::iota(by_key.begin(), by_key.end(), std::size_t{0});
    std::stable_sort(by_key.begin(), by_key.end(), [&](std::size_t a, std::size_t b) {
      return entries[a].first < entries[b].first;
    });
  };
  bool has_duplicate = false;
  if (n <= 8) {
    for (std::size_t i = 0; i < n && !has_duplicate; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if (entries[i].first == entries[j].first) {
          has_duplicate = true;
          break;
        }
      }
    }
  } else {
    sort_by_key();
    for (std::size_t i = 1; i < n; ++i) {
      if (entries[by_key[i - 1]].first == entries[by_key[i]].first) {
        has_duplicate = true;
        break;
      }
    }
  }
  if (!has_index_key && !has_duplicate) return;

  if (has_duplicate) {
    if (by_key.empty()) sort_by_key();
    std::vector<bool> keep(n, true);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && entries[by_key[j]].first == entries[by_key[i]].first) ++j;
      if (j - i > 1) {
        // by_key is stable, so by_key[i] is the first occurrence and by_key[j-1] the last.
        entries[by_key[i]].second = std::move(entries[by_key[j - 1]].second);
        for (std::size_t k = i + 1; k < j; ++k) keep[by_key[k]] = false;
      }
      i = j;
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep[i]) continue;
      if (out != i) entries[out] = std::move(entries[i]);
      ++out;
    }
    entries.resize(out);
  }

  if (has_index_key) {
    auto index_of = [](const std::string& key) {
      std::uint32_t index = 0;
      return array_index_of(key, &index) ? std::optional<std::uint32_t>(index) : std::nullopt;
    };
    std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
      const auto ia = index_of(a.first);
      const auto ib = index_of(b.first);
      if (ia && ib) return *ia < *ib;
      return ia.has_value() && !ib.has_value();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Binary `any`.

void write_number(Encoder& encoder, double number) {
  // lib0: an integer of at most 31 bits as varInt (-0 included, as lib0's "-0"), then float32
  // when the value survives the round trip, else float64.
  if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) <= 2147483647.0) {
    encoder.write_uint8(kTagInteger);
    if (number == 0 && std::signbit(number)) {
      encoder.write_var_int_negative_zero();
    } else {
      encoder.write_var_int(static_cast<std::int64_t>(number));
    }
    return;
  }
  if (std::isnan(number)) {
    // V8 writes the canonical quiet NaN whatever the payload.
    encoder.write_uint8(kTagFloat64);
    encoder.write_float64(std::numeric_limits<double>::quiet_NaN());
    return;
  }
  // The range check keeps the float conversion defined for values past FLT_MAX.
  if (std::isinf(number) ||
      (std::fabs(number) <= FLT_MAX && static_cast<double>(static_cast<float>(number)) == number)) {
    encoder.write_uint8(kTagFloat32);
    encoder.write_float32(static_cast<float>(number));
    return;
  }
  encoder.write_uint8(kTagFloat64);
  encoder.write_float64(number);
}

// Each element or entry takes at least one byte, so a declared count larger than what is left
// is refused before anything is allocated for it.
std::size_t checked_count(Decoder& decoder, std::size_t start) {
  const std::uint64_t count = decoder.read_var_uint();
  if (count > decoder.remaining()) {
    throw DecodeError("any at byte " + std::to_string(start) + " declares " +
                      std::to_string(count) + " elements but only " +
                      std::to_string(decoder.remaining()) + " bytes follow");
  }
  return static_cast<std::size_t>(count);
}

Any read_any_at_depth(Decoder& decoder, int depth) {
  const std::size_t start = decoder.position();
  const std::uint8_t tag = decoder.read_uint8();
  switch (tag) {
    case kTagUndefined:
      return Any{};
    case kTagNull:
      return Any{nullptr};
    case kTagInteger: {
      bool negative_zero = false;
      const std::int64_t value = decoder.read_var_int(&negative_zero);
      return Any{negative_zero ? -0.0 : static_cast<double>(value)};
    }
    case kTagFloat32:
      return Any{static_cast<double>(decoder.read_float32())};
    case kTagFloat64:
      return Any{decoder.read_float64()};
    case kTagBigInt:
      return Any{Any::BigInt{decoder.read_big_int64()}};
    case kTagFalse:
      return Any{false};
    case kTagTrue:
      return Any{true};
    case kTagString:
      return Any{std::string(decoder.read_var_string())};
    case kTagBytes: {
      const auto bytes = decoder.read_var_bytes();
      return Any{Any::Bytes(bytes.begin(), bytes.end())};
    }
    case kTagArray:
    case kTagObject:
      break;
    default:
      throw DecodeError("unknown any type " + std::to_string(tag) + " at byte " +
                        std::to_string(start));
  }
  if (depth >= kMaxAnyDepth) {
    throw DecodeError("any at byte " + std::to_string(start) + " nests deeper than " +
                      std::to_string(kMaxAnyDepth) + " levels");
  }
  const std::size_t count = checked_count(decoder, start);
  if (tag == kTagArray) {
    Any::Array array;
    array.reserve(count);
    for (std::size_t i = 0; i < count; ++i) array.push_back(read_any_at_depth(decoder, depth + 1));
    return Any{std::move(array)};
  }
  Any::Object object;
  object.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view key = decoder.read_var_string();
    Any value = read_any_at_depth(decoder, depth + 1);
    // lib0 assigns obj[key] = value, and assigning "__proto__" on a plain object goes to the
    // prototype setter instead of creating a key, so JavaScript readers lose it.
    if (key == "__proto__") continue;
    object.emplace_back(std::string(key), std::move(value));
  }
  normalize_like_js(object);
  return Any{std::move(object)};
}

// ---------------------------------------------------------------------------------------------
// JSON output.

// Number.prototype.toString(10): shortest round-trip digits, placed as ECMAScript's
// Number::toString places them.
void append_js_number(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";  // JSON.stringify prints NaN and ±Infinity as null
    return;
  }
  if (number == 0) {
    out += '0';  // -0 too
    return;
  }
  if (number < 0) {
    out += '-';
    number = -number;
  }
  // Integers below 2^53 are by far the most common numbers; print them directly.
  if (number < 9007199254740992.0 && std::trunc(number) == number) {
    char buffer[24];
    const auto result =
        std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::uint64_t>(number));
    out.append(buffer, result.ptr);
    return;
  }
  char buffer[40];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e_position = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e_position)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e_position + 1 + (text[e_position + 1] == '+'),
                  text.data() + text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // position of the decimal point relative to the digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    out += std::to_string(exponent < 0 ? -exponent : exponent);
  }
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text, run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text, run_start, text.size() - run_start);
  out += '"';
}

void append_json(std::string& out, const Any& value) {
  std::visit(Overloaded{
                 [&](Any::Undefined) { out += "undefined"; },
                 [&](std::nullptr_t) { out += "null"; },
                 [&](bool b) { out += b ? "true" : "false"; },
                 [&](double d) { append_js_number(out, d); },
                 [&](Any::BigInt b) { out += std::to_string(b.value); },
                 [&](const std::string& s) { append_json_string(out, s); },
                 [&](const Any::Bytes& bytes) {
                   // A Uint8Array stringifies as an object keyed by index.
                   out += '{';
                   for (std::size_t i = 0; i < bytes.size(); ++i) {
                     if (i > 0) out += ',';
                     out += '"';
                     out += std::to_string(i);
                     out += "\":";
                     out += std::to_string(bytes[i]);
                   }
                   out += '}';
                 },
                 [&](const Any::Array& array) {
                   out += '[';
                   for (std::size_t i = 0; i < array.size(); ++i) {
                     if (i > 0) out += ',';
                     if (std::holds_alternative<Any::Undefined>(array[i].value)) {
                       out += "null";
                     } else {
                       append_json(out, array[i]);
                     }
                   }
                   out += ']';
                 },
                 [&](const Any::Object& object) {
                   out += '{';
                   bool first = true;
                   for (const auto& [key, member] : object) {
                     if (std::holds_alternative<Any::Undefined>(member.value)) continue;
                     if (!first) out += ',';
                     first = false;
                     append_json_string(out, key);
                     out += ':';
                     append_json(out, member);
                   }
                   out += '}';
                 },
             },
             value.value);
}

// ---------------------------------------------------------------------------------------------
// JSON input.

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Any parse_document() {
    skip_whitespace();
    Any value = parse_value(0);
    skip_whitespace();
    if (position_ != text_.size()) fail("unexpected text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw DecodeError(std::string("invalid JSON at offset ") + std::to_string(position_) + ": " +
                      what);
  }

  void skip_whitespace() {
    while (position_ < text_.size()) {
      const char c = text_[position_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++position_;
    }
  }

  bool consume_literal(std::string_view literal) {
    if (text_.substr(position_, literal.size()) != literal) return false;
    position_ += literal.size();
    return true;
  }

  Any parse_value(int depth) {
    if (position_ >= text_.size()) fail("unexpected end of text");
    const char c = text_[position_];
    switch (c) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Any{parse_string()};
      case 't':
        if (consume_literal("true")) return Any{true};
        break;
      case 'f':
        if (consume_literal("false")) return Any{false};
        break;
      case 'n':
        if (consume_literal("null")) return Any{nullptr};
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return Any{parse_number()};
    }
    fail("unexpected character");
  }

  void check_depth(int depth) const {
    if (depth > kMaxAnyDepth) fail("nesting deeper than the limit");
  }

  Any parse_array(int depth) {
    check_depth(depth);
    ++position_;  // '['
    Any::Array array;
    skip_whitespace();
    if (position_ < text_.size() && text_[position_] == ']') {
      ++position_;
      return Any{std::move(array)};
    }
    for (;;) {
      skip_whitespace();
      array.push_back(parse_value(depth));
      skip_whitespace();
      if (position_ >= text_.size()) fail("unterminated array");
      if (text_[position_] == ',') {
        ++position_;
        continue;
      }
      if (text_[position_] == ']') {
        ++position_;
        return Any{std::move(array)};
      }
      fail("expected ',' or ']'");
    }
  }

  Any parse_object(int depth) {
    check_depth(depth);
    ++position_;  // '{'
    Any::Object object;
    skip_whitespace();
    if (position_ < text_.size() && text_[position_] == '}') {
      ++position_;
      return Any{std::move(object)};
    }
    for (;;) {
      skip_whitespace();
      if (position_ >= text_.size() || text_[position_] != '"') fail("expected a string key");
      std::string key = parse_string();
      skip_whitespace();
      if (position_ >= text_.size() || text_[position_] != ':') fail("expected ':'");
      ++position_;
      skip_whitespace();
      Any value = parse_value(depth);
      // JSON.parse defines properties directly, so "__proto__" stays an ordinary key here.
      object.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (position_ >= text_.size()) fail("unterminated object");
      if (text_[position_] == ',') {
        ++position_;
        continue;
      }
      if (text_[position_] == '}') {
        ++position_;
        normalize_like_js(object);
        return Any{std::move(object)};
      }
      fail("expected ',' or '}'");
    }
  }

  unsigned read_hex4() {
    if (text_.size() - position_ < 4) fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        --position_;
        fail("bad hex digit in \\u escape");
      }
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned code_point) {
    if (code_point < 0x80) {
      out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
      out += static_cast<char>(0xc0 | (code_point >> 6));
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else if (code_point < 0x10000) {
      out += static_cast<char>(0xe0 | (code_point >> 12));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code_point >> 18));
      out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    }
  }

  std::string parse_string() {
    ++position_;  // opening quote
    std::string out;
    std::size_t run_start = position_;
    for (;;) {
      if (position_ >= text_.size()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(text_[position_]);
      if (c == '"') {
        out.append(text_, run_start, position_ - run_start);
        ++position_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c != '\\') {
        ++position_;
        continue;
      }
      out.append(text_, run_start, position_ - run_start);
      ++position_;
      if (position_ >= text_.size()) fail("unterminated escape");
      const char escape = text_[position_++];
      switch (escape) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned unit = read_hex4();
          if (unit >= 0xd800 && unit <= 0xdbff && text_.substr(position_, 2) == "\\u") {
            const std::size_t saved = position_;
            position_ += 2;
            const unsigned low = read_hex4();
            if (low >= 0xdc00 && low <= 0xdfff) {
              append_utf8(out, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
              break;
            }
            position_ = saved;  // not a pair: the next escape stands on its own
          }
          // A lone surrogate cannot be held in UTF-8; TextEncoder, which Yjs writes strings
          // with, turns it into U+FFFD, so that is what it becomes here too.
          append_utf8(out, unit >= 0xd800 && unit <= 0xdfff ? 0xfffd : unit);
          break;
        }
        default:
          --position_;
          fail("unknown escape");
      }
      run_start = position_;
    }
  }

  double parse_number() {
    const std::size_t start = position_;
    auto digit_at = [&](std::size_t i) {
      return i < text_.size() && text_[i] >= '0' && text_[i] <= '9';
    };
    bool negative = false;
    if (text_[position_] == '-') {
      negative = true;
      ++position_;
    }
    if (!digit_at(position_)) fail("expected a digit");
    // Decimal magnitude estimate, used only when the value is too large or too small for a double.
    std::int64_t magnitude = 0;
    bool seen_nonzero = false;
    if (text_[position_] == '0') {
      ++position_;
    } else {
      while (digit_at(position_)) {
        ++magnitude;
        seen_nonzero = true;
        ++position_;
      }
    }
    if (position_ < text_.size() && text_[position_] == '.') {
      ++position_;
      if (!digit_at(position_)) fail("expected a digit after '.'");
      while (digit_at(position_)) {
        if (!seen_nonzero) {
          if (text_[position_] == '0') {
            --magnitude;
          } else {
            seen_nonzero = true;
          }
        }
        ++position_;
      }
    }
    if (position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
      ++position_;
      bool exponent_negative = false;
      if (position_ < text_.size() && (text_[position_] == '+' || text_[position_] == '-')) {
        exponent_negative = text_[position_] == '-';
        ++position_;
      }
      if (!digit_at(position_)) fail("expected a digit in the exponent");
      std::int64_t exponent = 0;
      while (digit_at(position_)) {
        exponent = std::min<std::int64_t>(exponent * 10 + (text_[position_] - '0'), 1'000'000'000);
        ++position_;
      }
      magnitude += exponent_negative ? -exponent : exponent;
    }
    double value = 0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + position_;
    const auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range) {
      value = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
      if (negative) value = -value;
    } else if (result.ec != std::errc() || result.ptr != last) {
      fail("malformed number");
    }
    return value;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

void write_any(Encoder& encoder, const Any& value) {
  std::visit(Overloaded{
                 [&](Any::Undefined) { encoder.write_uint8(kTagUndefined); },
                 [&](std::nullptr_t) { encoder.write_uint8(kTagNull); },
                 [&](bool b) { encoder.write_uint8(b ? kTagTrue : kTagFalse); },
                 [&](double d) { write_number(encoder, d); },
                 [&](Any::BigInt b) {
                   encoder.write_uint8(kTagBigInt);
                   encoder.write_big_int64(b.value);
                 },
                 [&](const std::string& s) {
                   encoder.write_uint8(kTagString);
                   encoder.write_var_string(s);
                 },
                 [&](const Any::Bytes& bytes) {
                   encoder.write_uint8(kTagBytes);
                   encoder.write_var_bytes(bytes);
                 },
                 [&](const Any::Array& array) {
                   encoder.write_uint8(kTagArray);
                   encoder.write_var_uint(array.size());
                   for (const Any& element : array) write_any(encoder, element);
                 },
                 [&](const Any::Object& object) {
                   encoder.write_uint8(kTagObject);
                   encoder.write_var_uint(object.size());
                   for (const auto& [key, member] : object) {
                     encoder.write_var_string(key);
                     write_any(encoder, member);
                   }
                 },
             },
             value.value);
}

Any read_any(Decoder& decoder) {
  return read_any_at_depth(decoder, 0);
}

std::string to_json(const Any& value) {
  std::string out;
  append_json(out, value);
  return out;
}

Any parse_json(std::string_view text) {
  if (text == "undefined") return Any{};
  if (!is_valid_utf8(text)) throw DecodeError("invalid JSON: the text is not valid UTF-8");
  return JsonParser(text).parse_document();
}

bool survives_json(const Any& value) {
  return std::visit(Overloaded{
                        [](Any::Undefined) { return false; },
                        [](std::nullptr_t) { return true; },
                        [](bool) { return true; },
                        [](double d) { return std::isfinite(d) && !(d == 0 && std::signbit(d)); },
                        [](Any::BigInt) { return false; },
                        [](const std::string&) { return true; },
                        [](const Any::Bytes&) { return false; },
                        [](const Any::Array& array) {
                          return std::all_of(array.begin(), array.end(),
                                             [](const Any& v) { return survives_json(v); });
                        },
                        [](const Any::Object& object) {
                          return std::all_of(object.begin(), object.end(), [](const auto& member) {
                            return survives_json(member.second);
                          });
                        },
                    },
                    value.value);
}

JsonValue JsonValue::of(Any value) {
  JsonValue out{to_json(value), nullptr};
  if (!survives_json(value)) out.exact = std::make_shared<const Any>(std::move(value));
  return out;
}

}  // namespace agora::crdt
