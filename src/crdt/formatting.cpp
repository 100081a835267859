#include "crdt/formatting.hpp"

#include "crdt/any.hpp"
#include "crdt/store.hpp"

#include <algorithm>
#include <atomic>
#include <variant>

namespace agora::crdt {

namespace {

const std::string kNullJson = "null";

// Numbers print the same way in JSON.stringify only if they are equal, except for text written
// by other encoders ("1.0"); those compare by value.
bool looks_numeric(const std::string& json) {
  return !json.empty() && (json.front() == '-' || (json.front() >= '0' && json.front() <= '9'));
}

bool is_primitive(const Any& value) {
  return !std::holds_alternative<Any::Object>(value.value) &&
         !std::holds_alternative<Any::Array>(value.value) &&
         !std::holds_alternative<Any::Bytes>(value.value);
}

// The own enumerable properties of a parsed JSON object or array, a later duplicate key
// replacing an earlier one as JSON.parse does.
std::vector<std::pair<std::string, const Any*>> properties(const Any& value) {
  std::vector<std::pair<std::string, const Any*>> out;
  if (const auto* object = std::get_if<Any::Object>(&value.value)) {
    for (const auto& [key, v] : *object) {
      // An init-capture, not [&]: clang 14 cannot capture a structured binding (fuzz builds).
      auto found = std::find_if(out.begin(), out.end(),
                                [&wanted = key](const auto& e) { return e.first == wanted; });
      if (found != out.end()) {
        found->second = &v;
      } else {
        out.emplace_back(key, &v);
      }
    }
  } else if (const auto* array = std::get_if<Any::Array>(&value.value)) {
    for (std::size_t i = 0; i < array->size(); ++i) out.emplace_back(std::to_string(i), &(*array)[i]);
  }
  return out;
}

// A Uint8Array's properties are its indices: as an array of numbers they compare the same way.
Any with_bytes_as_array(Any value) {
  if (const auto* bytes = std::get_if<Any::Bytes>(&value.value)) {
    Any::Array array;
    for (const std::uint8_t byte : *bytes) array.emplace_back(static_cast<double>(byte));
    return Any{std::move(array)};
  }
  return value;
}

std::uint64_t next_shared_value() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

}  // namespace

const std::string& AttributeValue::json() const { return json_ == nullptr ? kNullJson : *json_; }

Any AttributeValue::value() const {
  if (const Any* exact_value = exact()) return *exact_value;
  return parse_json(json());
}

bool AttributeValue::is_object() const {
  return !is_null() && (json_->front() == '{' || json_->front() == '[');
}

bool AttributeValue::same(const AttributeValue& other) const {
  if (is_null() || other.is_null()) return is_null() && other.is_null();
  const bool object = is_object();
  if (object != other.is_object()) return false;
  if (object) {
    if (format_ != nullptr && other.format_ != nullptr) {
      return format_ == other.format_ ||
             (format_->shared_value != 0 && format_->shared_value == other.format_->shared_value);
    }
    return format_ == other.format_ && json_ == other.json_;
  }
  // Any's == is JavaScript's === on primitives: NaN differs from itself, -0 equals 0.
  if (exact() != nullptr || other.exact() != nullptr) return value() == other.value();
  if (*json_ == *other.json_) return true;
  if (looks_numeric(*json_) && looks_numeric(*other.json_))
    return parse_json(*json_) == parse_json(*other.json_);
  return false;
}

bool AttributeValue::equal_attrs(const AttributeValue& other) const {
  if (same(other)) return true;
  if (!is_object() || !other.is_object()) return false;
  // lib0's equalFlat: the same number of keys, each value === its counterpart. Nested objects
  // are distinct objects, so only primitive values can match.
  const Any a = with_bytes_as_array(value());
  const Any b = with_bytes_as_array(other.value());
  const auto a_properties = properties(a);
  const auto b_properties = properties(b);
  if (a_properties.size() != b_properties.size()) return false;
  for (const auto& [key, value] : a_properties) {
    auto found = std::find_if(b_properties.begin(), b_properties.end(),
                              [&wanted = key](const auto& e) { return e.first == wanted; });
    if (found == b_properties.end() || !is_primitive(*value) || !is_primitive(*found->second) ||
        !(*value == *found->second))
      return false;
  }
  return true;
}

AttributeValue Attributes::get(const std::string& key) const {
  const AttributeValue* value = find(key);
  return value == nullptr ? AttributeValue() : *value;
}

const AttributeValue* Attributes::find(const std::string& key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

void Attributes::set(const std::string& key, AttributeValue value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = value;
      return;
    }
  }
  entries_.emplace_back(key, value);
}

void Attributes::erase(const std::string& key) {
  std::erase_if(entries_, [&](const auto& entry) { return entry.first == key; });
}

void Attributes::update(FormatContent& format) {
  if (AttributeValue::of(format).is_null()) {
    erase(format.key);
  } else {
    set(format.key, AttributeValue::of(format));
  }
}

FormatContent make_format_content(const std::string& key, const AttributeValue& value) {
  FormatContent content{key, value.json(), value.shared_exact()};
  FormatContent* source = value.format();
  if (source != nullptr && !value.is_null() && (source->json.front() == '{' || source->json.front() == '[')) {
    if (source->shared_value == 0) source->shared_value = next_shared_value();
    content.shared_value = source->shared_value;
  }
  return content;
}

FormatContent* live_format(Item* item) {
  if (item->deleted()) return nullptr;
  return item->content.get<FormatContent>();
}

void cleanup_formatting_gap(Transaction& transaction, Item* start, Item* current,
                            const Attributes& start_attributes, Attributes& current_attributes) {
  Item* end = start;
  Attributes end_formats;
  while (end != nullptr && (!end->countable() || end->deleted())) {
    if (FormatContent* format = live_format(end)) end_formats.set(format->key, AttributeValue::of(*format));
    end = end->right;
  }
  bool reached_current = false;
  while (start != end) {
    if (current == start) reached_current = true;
    if (FormatContent* format = live_format(start)) {
      const AttributeValue value = AttributeValue::of(*format);
      const AttributeValue start_value = start_attributes.get(format->key);
      if (end_formats.get(format->key).format() != format || start_value.same(value)) {
        // Overwritten before the next content, or the attribute was in force already.
        transaction.delete_item(start);
        if (!reached_current && current_attributes.get(format->key).same(value) &&
            !start_value.same(value)) {
          if (start_value.is_null()) {
            current_attributes.erase(format->key);
          } else {
            current_attributes.set(format->key, start_value);
          }
        }
      }
      if (!reached_current && !start->deleted()) current_attributes.update(*format);
    }
    start = start->right;
  }
}

}  // namespace agora::crdt
