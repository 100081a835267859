#pragma once
// Text formatting attributes as YText.js handles them, shared by local text edits
// (text_editor.cpp) and the formatting cleanup after remote changes (cleanup.cpp). Only the crdt
// library includes this header.

#include "crdt/content.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace agora::crdt {

struct Item;
struct Transaction;

/// A formatting attribute's value as YText.js holds it: JSON text (and the exact value where the
/// text loses it), and which JavaScript object it is, because Yjs compares objects by identity.
class AttributeValue {
 public:
  /// JavaScript null: the attribute is not set.
  AttributeValue() = default;
  /// The value `format` holds (the same object for every reader of that format).
  static AttributeValue of(FormatContent& format) {
    return AttributeValue(&format.json, &format.exact, &format);
  }
  /// A value the caller passed (normalized, outliving this AttributeValue): a new object.
  static AttributeValue given(const JsonValue& value) {
    return AttributeValue(&value.json, &value.exact, nullptr);
  }

  bool is_null() const { return json_ == nullptr || (exact() == nullptr && *json_ == "null"); }
  /// The value as JSON text ("null" when not set).
  const std::string& json() const;
  /// The value where its JSON text loses it (NaN prints as null), else null.
  const Any* exact() const { return exact_ == nullptr ? nullptr : exact_->get(); }
  /// The exact value, shared by every format that holds it.
  std::shared_ptr<const Any> shared_exact() const {
    return exact_ == nullptr ? nullptr : *exact_;
  }
  /// The format this value was read from, if any.
  FormatContent* format() const { return format_; }

  /// JavaScript's ===: nulls are equal, primitives by value, objects and arrays by identity.
  bool same(const AttributeValue& other) const;
  /// YText's equalAttrs: === or, for two objects, the same keys with === values.
  bool equal_attrs(const AttributeValue& other) const;

 private:
  AttributeValue(const std::string* json, const std::shared_ptr<const Any>* exact,
                 FormatContent* format)
      : json_(json), exact_(exact), format_(format) {}
  bool is_object() const;
  Any value() const;

  const std::string* json_ = nullptr;
  const std::shared_ptr<const Any>* exact_ = nullptr;
  FormatContent* format_ = nullptr;  // null: a value the caller passed
};

/// The formatting in force at a position: key -> value in insertion order, like the JS Map
/// YText keeps.
class Attributes {
 public:
  /// The value of `key`, or null.
  AttributeValue get(const std::string& key) const;
  /// The entry for `key`, or null when absent (JS `undefined`, which differs from null).
  const AttributeValue* find(const std::string& key) const;
  void set(const std::string& key, AttributeValue value);
  void erase(const std::string& key);
  /// updateCurrentAttributes: a null value removes the key.
  void update(FormatContent& format);
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, AttributeValue>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, AttributeValue>> entries_;
};

/// A new format item's content holding `value`: Yjs stores the very object, so a value read from
/// another format makes the two share one object (and compare equal by identity from then on).
FormatContent make_format_content(const std::string& key, const AttributeValue& value);

/// The format an item holds while it is not deleted.
FormatContent* live_format(Item* item);

/// cleanupFormattingGap in YText.js: deletes the format items between `start` and the next
/// visible content that are overwritten or redundant, updating `current_attributes` as Yjs does.
void cleanup_formatting_gap(Transaction& transaction, Item* start, Item* current,
                            const Attributes& start_attributes, Attributes& current_attributes);

}  // namespace agora::crdt
