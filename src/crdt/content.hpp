#pragma once
// Item content: what one Yjs item carries (yjs/src/structs/Content*.js). The numeric kinds are
// the content refs of the update format, so `static_cast<uint8_t>(kind)` is what goes on the wire.

#include "crdt/any.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace agora::crdt {

class Type;

/// The wire number of each content kind (the low five bits of a struct's info byte).
enum class ContentKind : std::uint8_t {
  deleted = 1,
  json = 2,
  binary = 3,
  string = 4,
  embed = 5,
  format = 6,
  type = 7,
  any = 8,
  doc = 9,
};

/// The kinds of shared type (the typeRef written after ContentType).
enum class TypeKind : std::uint8_t {
  array = 0,
  map = 1,
  text = 2,
  xml_element = 3,
  xml_fragment = 4,
  xml_hook = 5,
  xml_text = 6,
  /// A root type that updates name but no reader has asked for yet (Yjs's plain AbstractType).
  unknown = 255,
};

/// Content of a deleted or garbage-collected item: only its length survives.
struct DeletedContent {
  std::uint64_t length = 0;
};
/// Legacy ContentJSON: values as JSON.stringify text, "undefined" for undefined.
struct JsonContent {
  std::vector<std::string> values;
};
struct BinaryContent {
  std::vector<std::uint8_t> bytes;
};
/// Text, held in UTF-16 because every length and offset in Yjs counts UTF-16 units.
struct StringContent {
  std::u16string text;
};
/// An embed in a Text: the value as JSON.stringify prints it, and the value itself where that
/// text loses it (a bigint, -0, NaN, undefined, bytes read from v2), so v2 writes it back as Yjs.
struct EmbedContent {
  std::string json;
  std::shared_ptr<const Any> exact;

  /// The value as a JavaScript program holds it.
  Any value() const { return exact != nullptr ? *exact : parse_json(json); }
};
/// A formatting mark in a Text: attribute `key` set to the value `json` ("null", with no `exact`,
/// ends the format); `exact` as in EmbedContent.
struct FormatContent {
  std::string key;
  std::string json;
  std::shared_ptr<const Any> exact;
  /// Nonzero when the value is one JavaScript object with other formats' values: a local Yjs
  /// edit stores one format's value object in new formats, and Yjs compares objects by identity.
  std::uint64_t shared_value = 0;
};
/// Deletes a Type where it is complete, so this header needs no definition of Type.
struct TypeDeleter {
  void operator()(Type* type) const;
};

/// A nested shared type; the item owns it.
struct TypeContent {
  std::unique_ptr<Type, TypeDeleter> type;

  /// A new empty type of `kind` (`name`: an XmlElement's node name or an XmlHook's hook name).
  static TypeContent make(TypeKind kind, std::string name = {});
};
struct AnyContent {
  std::vector<Any> values;
};
/// A subdocument: its guid and the options Yjs keeps for it.
struct SubdocContent {
  std::string guid;
  Any options;
};

/// A value kept on the heap, copied deeply: the rare large contents are boxed so that every
/// item and decoded struct stays small (memory, and cache misses, grow with their size).
template <typename T>
class Boxed {
 public:
  explicit Boxed(T value) : value_(std::make_unique<T>(std::move(value))) {}
  Boxed(const Boxed& other)
      : value_(other.value_ == nullptr ? nullptr : std::make_unique<T>(*other.value_)) {}
  Boxed& operator=(const Boxed& other) {
    if (this != &other)
      value_ = other.value_ == nullptr ? nullptr : std::make_unique<T>(*other.value_);
    return *this;
  }
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;

  T* get() const { return value_.get(); }
  T& operator*() const { return *value_; }

 private:
  std::unique_ptr<T> value_;
};

/// One item's content.
class Content {
 public:
  using Variant =
      std::variant<DeletedContent, JsonContent, BinaryContent, StringContent, Boxed<EmbedContent>,
                   Boxed<FormatContent>, TypeContent, AnyContent, Boxed<SubdocContent>>;

  Content() = default;
  template <typename T>
    requires std::is_constructible_v<Variant, T&&>
  Content(T&& value) : value_(std::forward<T>(value)) {}  // NOLINT: implicit like a variant
  Content(EmbedContent value)  // NOLINT: implicit like a variant
      : value_(std::in_place_type<Boxed<EmbedContent>>, std::move(value)) {}
  Content(FormatContent value)  // NOLINT: implicit like a variant
      : value_(std::in_place_type<Boxed<FormatContent>>, std::move(value)) {}
  Content(SubdocContent value)  // NOLINT: implicit like a variant
      : value_(std::in_place_type<Boxed<SubdocContent>>, std::move(value)) {}
  Content(Content&&) noexcept;
  Content& operator=(Content&&) noexcept;
  ~Content();

  ContentKind kind() const { return static_cast<ContentKind>(value_.index() + 1); }
  /// Length in clock units (UTF-16 units for strings, elements for arrays).
  std::uint64_t length() const;
  /// Whether the content counts towards its parent's length (formats and deletions do not).
  bool countable() const {
    return kind() != ContentKind::deleted && kind() != ContentKind::format;
  }

  /// Cuts this content at `offset` (0 < offset < length), keeping the left part here and
  /// returning the right part. A surrogate pair cut in half becomes U+FFFD on both sides, as in Yjs.
  Content split(std::uint64_t offset);
  /// Appends `right` to this content when Yjs would merge the two; returns whether it did.
  bool try_append(Content& right);
  /// A deep copy (types are copied empty, as Yjs's ContentType.copy does).
  Content copy() const;

  template <typename Encoder>
  /// Writes the content from `offset` on, as Content*.write does.
  void write(Encoder& encoder, std::uint64_t offset) const;
  template <typename Decoder>
  /// Reads content of `kind` (the low 5 bits of an info byte); throws DecodeError on bad input.
  static Content read(Decoder& decoder, std::uint8_t kind, int type_depth = 0);
  /// read() into `out`, building strings and deletions in place (the bulk of every update).
  template <typename Decoder>
  static void read_into(Decoder& decoder, std::uint8_t kind, Content& out);

  /// The content if it is a T, else null.
  template <typename T>
  T* get() {
    if constexpr (std::is_same_v<T, EmbedContent> || std::is_same_v<T, FormatContent> ||
                  std::is_same_v<T, SubdocContent>) {
      auto* boxed = std::get_if<Boxed<T>>(&value_);
      return boxed == nullptr ? nullptr : boxed->get();
    } else {
      return std::get_if<T>(&value_);
    }
  }
  template <typename T>
  const T* get() const {
    return const_cast<Content*>(this)->get<T>();
  }

 private:
  Variant value_;
};

/// UTF-16 <-> UTF-8 conversions. Lone surrogates become U+FFFD, as TextEncoder writes them.
std::string to_utf8(std::u16string_view text);
std::u16string to_utf16(std::string_view utf8);

}  // namespace agora::crdt
