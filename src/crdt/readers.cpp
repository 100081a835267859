#include "crdt/readers.hpp"

#include "crdt/item.hpp"

#include <algorithm>
#include <charconv>

namespace agora::crdt {

namespace {

// The last value of a map entry item (content.getContent()[length - 1] in Yjs).
struct EntryValue {
  const Any* any = nullptr;          // ContentAny
  const std::string* json = nullptr;  // ContentJSON / ContentEmbed text
  const Type* type = nullptr;
  const std::vector<std::uint8_t>* bytes = nullptr;
  bool subdoc = false;
  std::u16string character;  // ContentString: one UTF-16 unit, as str.split('') gives
  bool present = false;
};

EntryValue last_value(const Item& item) {
  EntryValue v;
  v.present = true;
  switch (item.content.kind()) {
    case ContentKind::any:
      v.any = &item.content.get<AnyContent>()->values.back();
      break;
    case ContentKind::json:
      v.json = &item.content.get<JsonContent>()->values.back();
      break;
    case ContentKind::embed:
      v.json = &item.content.get<EmbedContent>()->json;
      break;
    case ContentKind::type:
      v.type = item.content.get<TypeContent>()->type.get();
      break;
    case ContentKind::binary:
      v.bytes = &item.content.get<BinaryContent>()->bytes;
      break;
    case ContentKind::doc:
      v.subdoc = true;
      break;
    case ContentKind::string:
      v.character = item.content.get<StringContent>()->text.substr(item.length - 1);
      break;
    default:
      v.present = false;
  }
  return v;
}

std::string json_string(std::u16string_view text) { return to_json(Any{to_utf8(text)}); }

std::string value_json(const EntryValue& v) {
  if (v.any != nullptr) return to_json(*v.any);
  if (v.json != nullptr) return *v.json == "undefined" ? "null" : *v.json;
  if (v.type != nullptr) return type_to_json(*v.type);
  if (v.bytes != nullptr) return to_json(Any{*v.bytes});
  if (v.subdoc) return "{}";
  return json_string(v.character);
}

bool is_undefined(const EntryValue& v) {
  return (v.any != nullptr && std::holds_alternative<Any::Undefined>(v.any->value)) ||
         (v.json != nullptr && *v.json == "undefined");
}

// Map keys in the order the document first saw them does not exist in C++'s unordered map;
// sorted keys keep output deterministic (map key order carries no meaning in Yjs).
std::vector<std::pair<std::string, const Item*>> visible_entries(const Type& type) {
  std::vector<std::pair<std::string, const Item*>> entries;
  for (const auto& [key, item] : type.entries())
    if (!item->deleted()) entries.emplace_back(key, item);
  std::sort(entries.begin(), entries.end());
  return entries;
}

// JavaScript's String(value) for a JSON value, as template literals print attribute values.
std::string js_string(const Any& value) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) return v;
        if constexpr (std::is_same_v<T, Any::Undefined>) return "undefined";
        if constexpr (std::is_same_v<T, std::nullptr_t>) return "null";
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        if constexpr (std::is_same_v<T, double>) return to_json(value);
        if constexpr (std::is_same_v<T, Any::BigInt>) return std::to_string(v.value);
        if constexpr (std::is_same_v<T, Any::Array>) {
          std::string out;
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ',';
            const bool empty = std::holds_alternative<Any::Undefined>(v[i].value) ||
                               std::holds_alternative<std::nullptr_t>(v[i].value);
            if (!empty) out += js_string(v[i]);
          }
          return out;
        }
        if constexpr (std::is_same_v<T, Any::Bytes>) {
          std::string out;
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ',';
            out += std::to_string(v[i]);
          }
          return out;
        }
        return "[object Object]";
      },
      value.value);
}

std::string entry_string(const EntryValue& v) {
  if (v.any != nullptr) return js_string(*v.any);
  if (v.json != nullptr) return *v.json == "undefined" ? "undefined" : js_string(parse_json(*v.json));
  if (v.type != nullptr) return xml_to_string(*v.type);
  if (v.bytes != nullptr) return js_string(Any{*v.bytes});
  if (v.subdoc) return "[object Object]";
  return to_utf8(v.character);
}

// Keys a for-in loop visits on a JSON value: object keys (integer-like first, ascending, then
// the rest in insertion order), array and string indices; nothing for other values.
std::vector<std::pair<std::string, std::string>> for_in_entries(const Any& value) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const auto* object = std::get_if<Any::Object>(&value.value)) {
    auto is_index = [](const std::string& key) {
      if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
      return std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::vector<std::pair<std::string, const Any*>> indices;
    std::vector<std::pair<std::string, const Any*>> names;
    for (const auto& [key, v] : *object) {
      // Later duplicates overwrite earlier ones at the earlier position.
      auto& list = is_index(key) ? indices : names;
      // An init-capture, not [&]: clang 14 cannot capture a structured binding (fuzz builds).
      auto found = std::find_if(list.begin(), list.end(),
                                [&wanted = key](const auto& e) { return e.first == wanted; });
      if (found != list.end()) {
        found->second = &v;
      } else {
        list.emplace_back(key, &v);
      }
    }
    std::sort(indices.begin(), indices.end(),
              [](const auto& a, const auto& b) { return std::stoull(a.first) < std::stoull(b.first); });
    for (const auto& [k, v] : indices) out.emplace_back(k, js_string(*v));
    for (const auto& [k, v] : names) out.emplace_back(k, js_string(*v));
  } else if (const auto* array = std::get_if<Any::Array>(&value.value)) {
    for (std::size_t i = 0; i < array->size(); ++i)
      out.emplace_back(std::to_string(i), js_string((*array)[i]));
  } else if (const auto* text = std::get_if<std::string>(&value.value)) {
    const std::u16string units = to_utf16(*text);
    for (std::size_t i = 0; i < units.size(); ++i)
      out.emplace_back(std::to_string(i), to_utf8(std::u16string_view(units).substr(i, 1)));
  }
  return out;
}

}  // namespace

void update_attributes(std::vector<std::pair<std::string, std::string>>& attributes,
                       const FormatContent& format) {
  auto found = std::find_if(attributes.begin(), attributes.end(),
                            [&](const auto& a) { return a.first == format.key; });
  if (format.json == "null" && format.exact == nullptr) {
    if (found != attributes.end()) attributes.erase(found);
  } else if (found != attributes.end()) {
    found->second = format.json;
  } else {
    attributes.emplace_back(format.key, format.json);
  }
}


std::string text_to_string(const Type& text) {
  std::u16string out;
  for (const Item* item = text.start(); item != nullptr; item = item->right)
    if (!item->deleted())
      if (const auto* s = item->content.get<StringContent>()) out += s->text;
  return to_utf8(out);
}

void DeltaBuilder::drop_attribute(std::string_view key) {
  auto found = std::find_if(attributes_.begin(), attributes_.end(),
                            [&](const auto& a) { return a.first == key; });
  if (found == attributes_.end()) return;
  end_run();
  attributes_.erase(found);
}

std::vector<DeltaOp> text_to_delta(const Type& text) {
  DeltaBuilder delta;
  for (const Item* item = text.start(); item != nullptr; item = item->right) {
    if (item->deleted()) continue;
    switch (item->content.kind()) {
      case ContentKind::string:
        delta.add_text(item->content.get<StringContent>()->text);
        break;
      case ContentKind::embed:
        delta.add_embed(item->content.get<EmbedContent>()->value());
        break;
      case ContentKind::type:
        delta.add_type(item->content.get<TypeContent>()->type.get());
        break;
      case ContentKind::format:
        delta.add_format(*item->content.get<FormatContent>());
        break;
      default:
        break;
    }
  }
  return delta.finish();
}

namespace {

// Readers recurse into nested types; past this depth (only hostile documents get there) they
// stop, so the stack cannot overflow.
constexpr int kMaxReadDepth = 512;
thread_local int read_depth = 0;

class DepthGuard {
 public:
  DepthGuard() { ++read_depth; }
  ~DepthGuard() { --read_depth; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  bool too_deep() const { return read_depth > kMaxReadDepth; }
};

}  // namespace

std::string type_to_json(const Type& type) {
  const DepthGuard guard;
  if (guard.too_deep()) return "null";
  switch (type.kind()) {
    case TypeKind::map:
    case TypeKind::xml_hook: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : visible_entries(type)) {
        const EntryValue v = last_value(*item);
        if (!v.present || is_undefined(v)) continue;
        if (!first) out += ',';
        first = false;
        out += to_json(Any{key});
        out += ':';
        out += value_json(v);
      }
      return out + "}";
    }
    case TypeKind::array: {
      std::string out = "[";
      bool first = true;
      for (const Item* item = type.start(); item != nullptr; item = item->right) {
        if (!item->visible()) continue;
        auto add = [&](const std::string& json) {
          if (!first) out += ',';
          first = false;
          out += json;
        };
        switch (item->content.kind()) {
          case ContentKind::any:
            for (const Any& value : item->content.get<AnyContent>()->values)
              add(std::holds_alternative<Any::Undefined>(value.value) ? "null" : to_json(value));
            break;
          case ContentKind::json:
            for (const std::string& value : item->content.get<JsonContent>()->values)
              add(value == "undefined" ? "null" : value);
            break;
          case ContentKind::string:
            for (char16_t unit : item->content.get<StringContent>()->text)
              add(json_string(std::u16string_view(&unit, 1)));
            break;
          default:
            add(value_json(last_value(*item)));
        }
      }
      return out + "]";
    }
    case TypeKind::text:
      return to_json(Any{text_to_string(type)});
    case TypeKind::xml_fragment:
    case TypeKind::xml_element:
    case TypeKind::xml_text:
      return to_json(Any{xml_to_string(type)});
    case TypeKind::unknown:
      return "{}";
  }
  return "null";
}

std::string xml_to_string(const Type& type) {
  const DepthGuard guard;
  if (guard.too_deep()) return "";
  switch (type.kind()) {
    case TypeKind::xml_fragment:
    case TypeKind::xml_element: {
      std::string children;
      for (const Item* item = type.start(); item != nullptr; item = item->right) {
        if (!item->visible()) continue;
        if (const auto* nested = item->content.get<TypeContent>()) {
          children += xml_to_string(*nested->type);
        } else {
          children += entry_string(last_value(*item));
        }
      }
      if (type.kind() == TypeKind::xml_fragment) return children;
      std::string name = type.name();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string attributes;
      for (const auto& [key, item] : visible_entries(type)) {
        const EntryValue v = last_value(*item);
        if (!v.present) continue;
        attributes += ' ' + key + "=\"" + entry_string(v) + '"';
      }
      return '<' + name + attributes + '>' + children + "</" + name + '>';
    }
    case TypeKind::xml_text: {
      std::string out;
      for (const DeltaOp& op : text_to_delta(type)) {
        struct Node {
          std::string name;
          std::vector<std::pair<std::string, std::string>> attributes;
        };
        std::vector<Node> nodes;
        for (const auto& [name, json] : op.attributes) {
          Node node{name, for_in_entries(parse_json(json))};
          std::stable_sort(node.attributes.begin(), node.attributes.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
          nodes.push_back(std::move(node));
        }
        std::stable_sort(nodes.begin(), nodes.end(),
                         [](const Node& a, const Node& b) { return a.name < b.name; });
        for (const Node& node : nodes) {
          out += '<' + node.name;
          for (const auto& [key, value] : node.attributes) out += ' ' + key + "=\"" + value + '"';
          out += '>';
        }
        if (const auto* run = std::get_if<std::u16string>(&op.insert)) {
          out += to_utf8(*run);
        } else if (const auto* embed = std::get_if<Any>(&op.insert)) {
          out += js_string(*embed);
        } else {
          out += xml_to_string(*std::get<const Type*>(op.insert));
        }
        for (auto node = nodes.rbegin(); node != nodes.rend(); ++node) out += "</" + node->name + '>';
      }
      return out;
    }
    case TypeKind::text:
      return text_to_string(type);
    default:
      return "[object Object]";
  }
}

}  // namespace agora::crdt
