// Local editing of Text and XmlText: YText.insert, insertEmbed, format and delete with
// insertText, minimizeAttributeChanges, insertAttributes, insertNegatedAttributes, formatText
// and deleteText from yjs/src/types/YText.js, step for step, because which format items a
// change creates or deletes, and where, is part of the update Yjs emits.

#include "crdt/doc.hpp"
#include "crdt/editing.hpp"
#include "crdt/formatting.hpp"
#include "crdt/local_items.hpp"
#include "crdt/store.hpp"

#include <algorithm>
#include <stdexcept>

namespace agora::crdt {

ListPosition find_position(Transaction& transaction, Type& type, std::uint64_t index) {
  // Start from the cached marker when there is one: walking back over a few items is far
  // cheaper than walking from the start of a long text. Starting at a visible (or deleted)
  // item at or before the index reaches the same insertion point as Yjs's walk from the start,
  // because insertion then skips deleted items to the right as Yjs does.
  Item* start = type.start_;
  std::uint64_t start_index = 0;
  if (type.marker_item_ != nullptr) {
    start = type.marker_item_;
    start_index = type.marker_index_;
    while (start_index > index && start->left != nullptr) {
      start = start->left;
      if (start->visible()) start_index -= start->length;
    }
    if (start_index > index) {
      start = type.start_;
      start_index = 0;
    }
  }
  ListPosition pos{start == nullptr ? nullptr : start->left, start, start_index};
  std::uint64_t count = index - start_index;
  while (pos.right != nullptr && count > 0) {
    Item* right = pos.right;
    if (right->visible()) {
      if (count < right->length)
        transaction.item_clean_start({right->id.client, right->id.clock + count});
      pos.index += right->length;
      count -= right->length;
    }
    pos.left = right;
    pos.right = right->right;
  }
  return pos;
}

namespace {

// Whether JavaScript orders `key` as an array index: a canonical integer below 2^32 - 1.
bool is_array_index(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  if (!std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return std::stoull(std::string(key)) < 4294967295ULL;
}

// The attributes object YText's functions receive: a JavaScript object, whose keys iterate
// array indices first (ascending), then the other keys in the order they were added.
class AttributeObject {
 public:
  const AttributeValue* find(const std::string& key) const {
    for (const auto& [k, v] : entries_)
      if (k == key) return &v;
    return nullptr;
  }
  // `attributes[key] ?? null`.
  AttributeValue get(const std::string& key) const {
    const AttributeValue* value = find(key);
    return value == nullptr ? AttributeValue() : *value;
  }
  void set(const std::string& key, AttributeValue value) {
    for (auto& [k, v] : entries_) {
      if (k == key) {
        v = value;
        return;
      }
    }
    if (!is_array_index(key)) {
      entries_.emplace_back(key, value);
      return;
    }
    const std::uint64_t index = std::stoull(key);
    auto at = std::find_if(entries_.begin(), entries_.end(), [&](const auto& entry) {
      return !is_array_index(entry.first) || std::stoull(entry.first) > index;
    });
    entries_.emplace(at, key, value);
  }
  const std::vector<std::pair<std::string, AttributeValue>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, AttributeValue>> entries_;
};

// Attributes a caller passed, normalized to the JSON text Yjs would write. Keeps the text the
// values point into.
class GivenAttributes {
 public:
  explicit GivenAttributes(const TextAttributes& attributes) {
    // The values point into json_, which must not reallocate.
    json_.reserve(attributes.size());
    for (const auto& [key, value] : attributes) {
      Any parsed;
      try {
        parsed = parse_json(value);
      } catch (const DecodeError& e) {
        throw std::invalid_argument("text attribute '" + key + "' is not JSON: " + e.what());
      }
      if (std::holds_alternative<Any::Undefined>(parsed.value))
        throw std::invalid_argument("text attribute '" + key + "' is undefined");
      json_.push_back(JsonValue::of(std::move(parsed)));
      object_.set(key, AttributeValue::given(json_.back()));
    }
  }
  GivenAttributes(const GivenAttributes&) = delete;
  GivenAttributes& operator=(const GivenAttributes&) = delete;

  AttributeObject& object() { return object_; }

 private:
  std::vector<JsonValue> json_;
  AttributeObject object_;
};

// ItemTextListPosition: where an edit stands, and the formatting in force there.
struct TextCursor {
  Item* left = nullptr;
  Item* right = nullptr;
  std::uint64_t index = 0;
  Attributes current;

  void forward() {
    if (FormatContent* format = right->content.get<FormatContent>()) {
      if (!right->deleted()) current.update(*format);
    } else if (!right->deleted()) {
      index += right->length;
    }
    left = right;
    right = right->right;
  }
};

void require_text(const Type& text) {
  if (text.kind() != TypeKind::text && text.kind() != TypeKind::xml_text)
    throw std::invalid_argument("text edits need a Text or XmlText type");
}

// findPosition. Yjs walks from the start whenever the text has formats (their search markers
// are switched off then), which also gathers the attributes in force. Without formats every
// walk reaches the same items, so the cached position serves.
TextCursor find_text_position(Transaction& transaction, Type& text, std::uint64_t index) {
  if (!text.has_formatting()) {
    const ListPosition pos = find_position(transaction, text, index);
    return TextCursor{pos.left, pos.right, pos.index, {}};
  }
  TextCursor cursor{nullptr, text.start(), 0, {}};
  std::uint64_t count = index;
  while (cursor.right != nullptr && count > 0) {
    Item* right = cursor.right;
    if (FormatContent* format = right->content.get<FormatContent>()) {
      if (!right->deleted()) cursor.current.update(*format);
    } else if (!right->deleted()) {
      if (count < right->length)
        transaction.item_clean_start({right->id.client, right->id.clock + count});
      cursor.index += right->length;
      count -= right->length;
    }
    cursor.left = right;
    cursor.right = right->right;
  }
  return cursor;
}

// minimizeAttributeChanges: move past deleted items and formats that already say what
// `attributes` wants.
void minimize_attribute_changes(TextCursor& cursor, const AttributeObject& attributes) {
  while (cursor.right != nullptr) {
    Item* right = cursor.right;
    if (!right->deleted()) {
      FormatContent* format = right->content.get<FormatContent>();
      if (format == nullptr || !attributes.get(format->key).equal_attrs(AttributeValue::of(*format)))
        break;
    }
    cursor.forward();
  }
}

// insertAttributes: a format item for every attribute that differs from the one in force;
// returns what to restore after the inserted content.
Attributes insert_attributes(Transaction& transaction, Type& parent, TextCursor& cursor,
                             const AttributeObject& attributes) {
  Attributes negated;
  for (const auto& [key, value] : attributes.entries()) {
    const AttributeValue current = cursor.current.get(key);
    if (current.equal_attrs(value)) continue;
    negated.set(key, current);
    cursor.right = insert_local_item(transaction, parent, cursor.left, cursor.right,
                               make_format_content(key, value));
    cursor.forward();
  }
  return negated;
}

// insertNegatedAttributes.
void insert_negated_attributes(Transaction& transaction, Type& parent, TextCursor& cursor,
                               Attributes& negated) {
  while (cursor.right != nullptr) {
    Item* right = cursor.right;
    if (!right->deleted()) {
      FormatContent* format = right->content.get<FormatContent>();
      if (format == nullptr) break;
      const AttributeValue* wanted = negated.find(format->key);
      if (wanted == nullptr || !wanted->equal_attrs(AttributeValue::of(*format))) break;
      negated.erase(format->key);
    }
    cursor.forward();
  }
  for (const auto& [key, value] : negated.entries()) {
    cursor.right = insert_local_item(transaction, parent, cursor.left, cursor.right,
                               make_format_content(key, value));
    cursor.forward();
  }
}

// insertText.
Item* insert_content(Transaction& transaction, Type& parent, TextCursor& cursor, Content content,
                     AttributeObject& attributes) {
  for (const auto& [key, value] : cursor.current.entries())
    if (attributes.find(key) == nullptr) attributes.set(key, AttributeValue());
  minimize_attribute_changes(cursor, attributes);
  Attributes negated = insert_attributes(transaction, parent, cursor, attributes);
  Item* item = insert_local_item(transaction, parent, cursor.left, cursor.right, std::move(content));
  cursor.right = item;
  cursor.forward();
  insert_negated_attributes(transaction, parent, cursor, negated);
  return item;
}

// formatText.
void format_text(Transaction& transaction, Type& parent, TextCursor& cursor, std::uint64_t length,
                 const AttributeObject& attributes) {
  minimize_attribute_changes(cursor, attributes);
  Attributes negated = insert_attributes(transaction, parent, cursor, attributes);
  while (cursor.right != nullptr &&
         (length > 0 || (!negated.empty() && (cursor.right->deleted() ||
                                               cursor.right->content.get<FormatContent>() != nullptr)))) {
    Item* right = cursor.right;
    if (!right->deleted()) {
      if (FormatContent* format = right->content.get<FormatContent>()) {
        const AttributeValue value = AttributeValue::of(*format);
        if (const AttributeValue* wanted = attributes.find(format->key)) {
          if (wanted->equal_attrs(value)) {
            negated.erase(format->key);
          } else {
            // Past the range, a differing format ends what this one sets: keep it.
            if (length == 0) break;
            negated.set(format->key, value);
          }
          transaction.delete_item(right);
        } else {
          cursor.current.set(format->key, value);
        }
      } else {
        if (length < right->length)
          transaction.item_clean_start({right->id.client, right->id.clock + length});
        length -= right->length;
      }
    }
    cursor.forward();
  }
  // Quill's convention: formatting past the end creates the newlines it formats.
  if (length > 0) {
    cursor.right = insert_local_item(transaction, parent, cursor.left, cursor.right,
                               StringContent{std::u16string(length, u'\n')});
    cursor.forward();
  }
  insert_negated_attributes(transaction, parent, cursor, negated);
}

// deleteText.
void delete_text(Transaction& transaction, TextCursor& cursor, std::uint64_t length) {
  const Attributes start_attributes = cursor.current;
  Item* start = cursor.right;
  while (length > 0 && cursor.right != nullptr) {
    Item* right = cursor.right;
    const ContentKind kind = right->content.kind();
    if (!right->deleted() &&
        (kind == ContentKind::string || kind == ContentKind::embed || kind == ContentKind::type)) {
      if (length < right->length)
        transaction.item_clean_start({right->id.client, right->id.clock + length});
      length -= right->length;
      transaction.delete_item(right);
    }
    cursor.forward();
  }
  if (start != nullptr)
    cleanup_formatting_gap(transaction, start, cursor.right, start_attributes, cursor.current);
}

// The content YText.insertEmbed makes of a value: a string becomes text, anything else an embed.
Content embed_content(std::string_view embed_json) {
  Any parsed;
  try {
    parsed = parse_json(embed_json);
  } catch (const DecodeError& e) {
    throw std::invalid_argument(std::string("embed is not JSON: ") + e.what());
  }
  if (std::holds_alternative<Any::Undefined>(parsed.value) ||
      std::holds_alternative<std::nullptr_t>(parsed.value))
    throw std::invalid_argument("an embed cannot be null or undefined");
  if (const auto* text = std::get_if<std::string>(&parsed.value)) {
    if (text->empty()) throw std::invalid_argument("an embedded string cannot be empty");
    return StringContent{to_utf16(*text)};
  }
  JsonValue value = JsonValue::of(std::move(parsed));
  return EmbedContent{std::move(value.json), std::move(value.exact)};
}

void require_new_type(const NewType& type) {
  if (type.kind == TypeKind::unknown) throw std::invalid_argument("a new type needs a kind");
}

}  // namespace

void TextEditor::insert(Transaction& transaction, Type& text, std::uint64_t index,
                        std::u16string_view content) {
  require_text(text);
  if (content.empty()) return;
  if (text.has_formatting_) {
    TextCursor cursor = find_text_position(transaction, text, index);
    AttributeObject inherited;
    for (const auto& [key, value] : cursor.current.entries()) inherited.set(key, value);
    insert_content(transaction, text, cursor, StringContent{std::u16string(content)}, inherited);
    return;
  }
  // No formats anywhere: insertText reduces to skipping deleted items.
  ListPosition pos = find_position(transaction, text, index);
  while (pos.right != nullptr && pos.right->deleted()) {
    pos.left = pos.right;
    pos.right = pos.right->right;
  }
  Item* item = insert_local_item(transaction, text, pos.left, pos.right,
                           StringContent{std::u16string(content)});
  text.marker_item_ = item;
  text.marker_index_ = pos.index;
}

void TextEditor::insert(Transaction& transaction, Type& text, std::uint64_t index,
                        std::u16string_view content, const TextAttributes& attributes) {
  require_text(text);
  GivenAttributes given(attributes);
  if (content.empty()) return;
  TextCursor cursor = find_text_position(transaction, text, index);
  insert_content(transaction, text, cursor, StringContent{std::u16string(content)},
                 given.object());
}

void TextEditor::insert_embed(Transaction& transaction, Type& text, std::uint64_t index,
                              std::string_view embed_json, const TextAttributes& attributes) {
  require_text(text);
  Content content = embed_content(embed_json);
  GivenAttributes given(attributes);
  TextCursor cursor = find_text_position(transaction, text, index);
  insert_content(transaction, text, cursor, std::move(content), given.object());
}

Type& TextEditor::insert_type(Transaction& transaction, Type& text, std::uint64_t index,
                              const NewType& type, const TextAttributes& attributes) {
  require_text(text);
  require_new_type(type);
  GivenAttributes given(attributes);
  TextCursor cursor = find_text_position(transaction, text, index);
  Item* item = insert_content(transaction, text, cursor, TypeContent::make(type.kind, type.name),
                              given.object());
  return *item->content.get<TypeContent>()->type;
}

void TextEditor::format(Transaction& transaction, Type& text, std::uint64_t index,
                        std::uint64_t length, const TextAttributes& attributes) {
  require_text(text);
  GivenAttributes given(attributes);
  if (length == 0) return;
  TextCursor cursor = find_text_position(transaction, text, index);
  if (cursor.right == nullptr) return;
  format_text(transaction, text, cursor, length, given.object());
}

void TextEditor::erase(Transaction& transaction, Type& text, std::uint64_t index,
                       std::uint64_t length) {
  require_text(text);
  if (length == 0) return;
  if (text.has_formatting_) {
    TextCursor cursor = find_text_position(transaction, text, index);
    delete_text(transaction, cursor, length);
    return;
  }
  // No formats anywhere: deleteText's formatting cleanup has nothing to do.
  ListPosition pos = find_position(transaction, text, index);
  while (length > 0 && pos.right != nullptr) {
    Item* right = pos.right;
    const ContentKind kind = right->content.kind();
    if (!right->deleted() &&
        (kind == ContentKind::string || kind == ContentKind::embed || kind == ContentKind::type)) {
      if (length < right->length)
        transaction.item_clean_start({right->id.client, right->id.clock + length});
      length -= right->length;
      transaction.delete_item(right);
    }
    pos.left = right;
    pos.right = right->right;
  }
  Item* next = pos.right;
  while (next != nullptr && !next->visible()) next = next->right;
  text.marker_item_ = next;
  text.marker_index_ = pos.index;
}

}  // namespace agora::crdt
