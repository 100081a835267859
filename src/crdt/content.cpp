#include "crdt/content.hpp"

#include "crdt/type.hpp"
#include "crdt/update_codec.hpp"

#include <algorithm>

namespace agora::crdt {

void TypeDeleter::operator()(Type* type) const { delete type; }

TypeContent TypeContent::make(TypeKind kind, std::string name) {
  return TypeContent{std::unique_ptr<Type, TypeDeleter>(new Type(kind, std::move(name)))};
}

Content::Content(Content&&) noexcept = default;
Content& Content::operator=(Content&&) noexcept = default;
Content::~Content() = default;

std::uint64_t Content::length() const {
  switch (kind()) {
    case ContentKind::deleted:
      return std::get<DeletedContent>(value_).length;
    case ContentKind::json:
      return std::get<JsonContent>(value_).values.size();
    case ContentKind::string:
      return std::get<StringContent>(value_).text.size();
    case ContentKind::any:
      return std::get<AnyContent>(value_).values.size();
    default:
      return 1;
  }
}

namespace {

constexpr char16_t kReplacementCharacter = 0xFFFD;

bool is_high_surrogate(char16_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }

template <typename T>
std::vector<T> split_vector(std::vector<T>& values, std::uint64_t offset) {
  std::vector<T> right(std::make_move_iterator(values.begin() + static_cast<std::ptrdiff_t>(offset)),
                       std::make_move_iterator(values.end()));
  values.resize(offset);
  return right;
}

}  // namespace

Content Content::split(std::uint64_t offset) {
  switch (kind()) {
    case ContentKind::deleted: {
      auto& deleted = std::get<DeletedContent>(value_);
      DeletedContent right{deleted.length - offset};
      deleted.length = offset;
      return right;
    }
    case ContentKind::json:
      return JsonContent{split_vector(std::get<JsonContent>(value_).values, offset)};
    case ContentKind::any:
      return AnyContent{split_vector(std::get<AnyContent>(value_).values, offset)};
    case ContentKind::string: {
      auto& text = std::get<StringContent>(value_).text;
      StringContent right{text.substr(offset)};
      text.resize(offset);
      // Yjs never leaves half a surrogate pair in a document (yjs issue 248).
      if (is_high_surrogate(text.back())) {
        text.back() = kReplacementCharacter;
        right.text.front() = kReplacementCharacter;
      }
      return right;
    }
    default:
      // Every other content has length 1 and is never split.
      throw std::logic_error("content of length 1 cannot be split");
  }
}

bool Content::try_append(Content& right) {
  if (kind() != right.kind()) return false;
  switch (kind()) {
    case ContentKind::deleted:
      std::get<DeletedContent>(value_).length += std::get<DeletedContent>(right.value_).length;
      return true;
    case ContentKind::string:
      std::get<StringContent>(value_).text += std::get<StringContent>(right.value_).text;
      return true;
    case ContentKind::json: {
      auto& values = std::get<JsonContent>(value_).values;
      auto& more = std::get<JsonContent>(right.value_).values;
      values.insert(values.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
      return true;
    }
    case ContentKind::any: {
      auto& values = std::get<AnyContent>(value_).values;
      auto& more = std::get<AnyContent>(right.value_).values;
      values.insert(values.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
      return true;
    }
    default:
      return false;
  }
}

Content Content::copy() const {
  return std::visit(
      [](const auto& c) -> Content {
        if constexpr (std::is_same_v<std::decay_t<decltype(c)>, TypeContent>) {
          return TypeContent::make(c.type->kind(), c.type->name());
        } else {
          return c;
        }
      },
      value_);
}

namespace {

// JS truthiness of an option value, as ContentDoc's constructor tests it.
bool truthy(const Any* value) {
  if (value == nullptr) return false;
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v;
        if constexpr (std::is_same_v<T, double>) return v != 0 && v == v;
        if constexpr (std::is_same_v<T, Any::BigInt>) return v.value != 0;
        if constexpr (std::is_same_v<T, std::string>) return !v.empty();
        if constexpr (std::is_same_v<T, Any::Undefined> || std::is_same_v<T, std::nullptr_t>)
          return false;
        return true;
      },
      value->value);
}

const Any* option(const Any& options, std::string_view key) {
  const auto* object = std::get_if<Any::Object>(&options.value);
  if (object == nullptr) return nullptr;
  const Any* found = nullptr;
  for (const auto& [k, v] : *object)
    if (k == key) found = &v;
  return found;
}

// ContentDoc keeps only gc:false, autoLoad:true and meta, in that order (ContentDoc.js).
Any normalized_subdoc_options(const Any& options) {
  Any::Object kept;
  const Any* gc = option(options, "gc");
  if (gc != nullptr && !std::holds_alternative<Any::Undefined>(gc->value) && !truthy(gc))
    kept.emplace_back("gc", false);
  if (truthy(option(options, "autoLoad"))) kept.emplace_back("autoLoad", true);
  const Any* meta = option(options, "meta");
  if (meta != nullptr && !std::holds_alternative<Any::Undefined>(meta->value) &&
      !std::holds_alternative<std::nullptr_t>(meta->value))
    kept.emplace_back("meta", *meta);
  return kept;
}

// JSON.stringify(JSON.parse(text)): Yjs keeps parsed values and prints them again on write.
std::string normalized_json(std::string_view text) { return to_json(parse_json(text)); }

}  // namespace

template <typename Encoder>
void Content::write(Encoder& encoder, std::uint64_t offset) const {
  switch (kind()) {
    case ContentKind::deleted:
      encoder.write_len(std::get<DeletedContent>(value_).length - offset);
      return;
    case ContentKind::json: {
      const auto& values = std::get<JsonContent>(value_).values;
      encoder.write_len(values.size() - offset);
      for (std::size_t i = offset; i < values.size(); ++i) encoder.write_string(values[i]);
      return;
    }
    case ContentKind::binary:
      encoder.write_buf(std::get<BinaryContent>(value_).bytes);
      return;
    case ContentKind::string: {
      const auto& text = std::get<StringContent>(value_).text;
      encoder.write_string(std::u16string_view(text).substr(offset));
      return;
    }
    case ContentKind::embed:
    {
      const auto& embed = *std::get<Boxed<EmbedContent>>(value_);
      encoder.write_json(embed.json, embed.exact.get());
      return;
    }
    case ContentKind::format: {
      const auto& format = *std::get<Boxed<FormatContent>>(value_);
      encoder.write_key(format.key);
      encoder.write_json(format.json, format.exact.get());
      return;
    }
    case ContentKind::type: {
      const Type& type = *std::get<TypeContent>(value_).type;
      encoder.write_type_ref(static_cast<std::uint32_t>(type.kind()));
      if (type.kind() == TypeKind::xml_element || type.kind() == TypeKind::xml_hook)
        encoder.write_key(type.name());
      return;
    }
    case ContentKind::any: {
      const auto& values = std::get<AnyContent>(value_).values;
      encoder.write_len(values.size() - offset);
      for (std::size_t i = offset; i < values.size(); ++i) encoder.write_any(values[i]);
      return;
    }
    case ContentKind::doc: {
      const auto& subdoc = *std::get<Boxed<SubdocContent>>(value_);
      encoder.write_string(subdoc.guid);
      encoder.write_any(subdoc.options);
      return;
    }
  }
}

template <typename Decoder>
Content Content::read(Decoder& decoder, std::uint8_t kind, int /*type_depth*/) {
  switch (static_cast<ContentKind>(kind)) {
    case ContentKind::deleted: {
      const std::uint64_t length = decoder.read_len();
      if (length == 0 || length > kMaxSafeInteger)
        throw DecodeError("a deleted range has length " + std::to_string(length));
      return DeletedContent{length};
    }
    case ContentKind::json: {
      const std::uint64_t count = decoder.read_len();
      if (count == 0) throw DecodeError("a JSON item holds no values");
      JsonContent json;
      // Each value takes at least one byte, so a count beyond what is left is a lie.
      if (count > decoder.rest().remaining() + 1) throw DecodeError("a JSON item claims more values than the update holds");
      json.values.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i) {
        std::string_view text = decoder.read_string();
        json.values.push_back(text == "undefined" ? std::string(text) : normalized_json(text));
      }
      return json;
    }
    case ContentKind::binary: {
      auto bytes = decoder.read_buf();
      return BinaryContent{{bytes.begin(), bytes.end()}};
    }
    case ContentKind::string: {
      std::u16string text = to_utf16(decoder.read_string());
      if (text.empty()) throw DecodeError("a string item is empty");
      return StringContent{std::move(text)};
    }
    case ContentKind::embed: {
      JsonValue value = decoder.read_json();
      return EmbedContent{std::move(value.json), std::move(value.exact)};
    }
    case ContentKind::format: {
      std::string key(decoder.read_key());
      JsonValue value = decoder.read_json();
      return FormatContent{std::move(key), std::move(value.json), std::move(value.exact)};
    }
    case ContentKind::type: {
      const std::uint32_t ref = decoder.read_type_ref();
      if (ref > static_cast<std::uint32_t>(TypeKind::xml_text))
        throw DecodeError("unknown shared type " + std::to_string(ref));
      const auto type_kind = static_cast<TypeKind>(ref);
      std::string name;
      if (type_kind == TypeKind::xml_element || type_kind == TypeKind::xml_hook)
        name = std::string(decoder.read_key());
      return TypeContent::make(type_kind, std::move(name));
    }
    case ContentKind::any: {
      const std::uint64_t count = decoder.read_len();
      if (count == 0) throw DecodeError("an item holds no values");
      if (count > decoder.rest().remaining() + 1) throw DecodeError("an item claims more values than the update holds");
      AnyContent any;
      any.values.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i) any.values.push_back(decoder.read_any());
      return any;
    }
    case ContentKind::doc: {
      std::string guid(decoder.read_string());
      Any options = decoder.read_any();
      return SubdocContent{std::move(guid), normalized_subdoc_options(options)};
    }
  }
  throw DecodeError("unknown content kind " + std::to_string(kind));
}

template void Content::write(UpdateEncoderV1&, std::uint64_t) const;
template void Content::write(UpdateEncoderV2&, std::uint64_t) const;
template <typename Decoder>
void Content::read_into(Decoder& decoder, std::uint8_t kind, Content& out) {
  switch (static_cast<ContentKind>(kind)) {
    case ContentKind::string: {
      const std::string_view utf8 = decoder.read_string();
      if (utf8.empty()) throw DecodeError("a string item is empty");
      out.value_.emplace<StringContent>(StringContent{to_utf16(utf8)});
      return;
    }
    case ContentKind::deleted: {
      const std::uint64_t length = decoder.read_len();
      if (length == 0 || length > kMaxSafeInteger)
        throw DecodeError("a deleted range has length " + std::to_string(length));
      out.value_.emplace<DeletedContent>(DeletedContent{length});
      return;
    }
    default:
      out = read(decoder, kind);
  }
}

template Content Content::read(UpdateDecoderV1&, std::uint8_t, int);
template Content Content::read(UpdateDecoderV2&, std::uint8_t, int);
template void Content::read_into(UpdateDecoderV1&, std::uint8_t, Content&);
template void Content::read_into(UpdateDecoderV2&, std::uint8_t, Content&);

std::string to_utf8(std::u16string_view text) {
  std::string out(utf8_length(text), '\0');
  write_utf8(text, reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
}

std::u16string to_utf16(std::string_view utf8) {
  // The input was validated as UTF-8 by the decoder, or comes from our own code.
  std::u16string out;
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = p + utf8.size();
  // ASCII, the bulk of most text, widens byte for byte without decoding.
  const auto* ascii_end = p;
  while (ascii_end < end && *ascii_end < 0x80) ++ascii_end;
  out.resize(static_cast<std::size_t>(ascii_end - p));
  std::copy(p, ascii_end, out.begin());
  if (ascii_end == end) return out;
  p = ascii_end;
  out.reserve(utf8.size());
  while (p < end) {
    std::uint32_t code = *p;
    int extra = 0;
    if (code < 0x80) {
      out.push_back(static_cast<char16_t>(code));
      ++p;
      continue;
    }
    if ((code & 0xE0) == 0xC0) {
      code &= 0x1F;
      extra = 1;
    } else if ((code & 0xF0) == 0xE0) {
      code &= 0x0F;
      extra = 2;
    } else {
      code &= 0x07;
      extra = 3;
    }
    ++p;
    for (int i = 0; i < extra && p < end; ++i, ++p) code = (code << 6) | (*p & 0x3F);
    if (code >= 0x10000) {
      code -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code));
    }
  }
  return out;
}

}  // namespace agora::crdt
