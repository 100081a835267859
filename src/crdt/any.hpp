#pragma once
// lib0's `any`: the JSON-like values Yjs stores in maps and arrays (ContentAny), plus the JSON
// text Yjs keeps for embeds, formats and ContentJSON. Numbers are JavaScript numbers (doubles),
// so encoding picks varInt, float32 or float64 exactly as lib0's writeAny does.

#include "crdt/lib0.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace agora::crdt {

/// One lib0 `any` value.
struct Any {
  struct Undefined {
    friend bool operator==(Undefined, Undefined) = default;
  };
  struct BigInt {
    std::int64_t value = 0;
    friend bool operator==(BigInt, BigInt) = default;
  };
  using Bytes = std::vector<std::uint8_t>;
  using Array = std::vector<Any>;
  /// Keys in insertion order, as JavaScript objects keep them (byte-identical re-encoding).
  using Object = std::vector<std::pair<std::string, Any>>;

  std::variant<Undefined, std::nullptr_t, bool, double, BigInt, std::string, Bytes, Array, Object>
      value;

  Any() = default;
  template <typename T>
    requires std::is_constructible_v<decltype(value), T&&>
  Any(T&& v) : value(std::forward<T>(v)) {}  // NOLINT: implicit on purpose, like a JS literal

  friend bool operator==(const Any&, const Any&) = default;
};

/// Deepest nesting of arrays and objects accepted when decoding, so hostile input cannot
/// exhaust the stack.
inline constexpr int kMaxAnyDepth = 512;

/// Writes `value` as lib0's writeAny does (tags 127..116).
void write_any(Encoder& encoder, const Any& value);
/// Reads one `any`; throws DecodeError on an unknown tag, truncation or nesting deeper than
/// kMaxAnyDepth. Objects come back as lib0's readAny leaves them in JavaScript: a repeated key
/// keeps its first position and last value, array-index keys ("0", "7") move first in ascending
/// order, and a "__proto__" key is dropped, so re-encoding matches Yjs byte for byte.
Any read_any(Decoder& decoder);

/// JSON.stringify(value) as JavaScript prints it (shortest round-trip numbers, `undefined`
/// dropped from objects and turned into null in arrays, bytes as an object of indices).
/// A BigInt, which JSON.stringify refuses, is printed as its decimal digits.
std::string to_json(const Any& value);
/// JSON.parse(text); throws DecodeError naming the offset of the first problem. The text
/// "undefined" parses to Undefined, as Yjs's ContentJSON reader allows. Object keys are ordered
/// as in read_any ("__proto__" stays, as JSON.parse keeps it); a lone surrogate escape such as
/// "\ud800" becomes U+FFFD, which is what Yjs's TextEncoder writes for it.
Any parse_json(std::string_view text);

/// Whether JSON.parse(JSON.stringify(value)) gives `value` back: false when it holds undefined,
/// a bigint, bytes, NaN, an infinity or -0 anywhere.
bool survives_json(const Any& value);

/// An embed's or format's value (Yjs's writeJSON/readJSON): v1 carries it as JSON text, v2 as an
/// `any`. `json` is JSON.stringify's text; `exact` is the value itself when that text loses
/// something (survives_json is false), so that v2 writes it back as Yjs does. Shared because a
/// copied format keeps the very JavaScript value.
struct JsonValue {
  std::string json;
  std::shared_ptr<const Any> exact;

  /// The value as a JavaScript program holds it.
  Any value() const { return exact != nullptr ? *exact : parse_json(json); }
  /// JSON text and, when needed, the exact value of `value`.
  static JsonValue of(Any value);
};

}  // namespace agora::crdt
