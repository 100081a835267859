#pragma once
// Local editing of shared types (YText, YMap, YArray, YXmlFragment, YXmlElement in Yjs 13.6).
// Every function runs inside a transaction (Doc::transact) and changes the document exactly as
// the same call in Yjs would, so the update the transaction returns is byte for byte the one a
// Yjs client with the same clientID emits. Indices and lengths count UTF-16 units in texts and
// elements in lists. Wrong arguments (a list index past the end, a type of the wrong kind,
// malformed JSON, a value Yjs refuses) throw std::invalid_argument or std::out_of_range before
// anything changes.

#include "crdt/any.hpp"
#include "crdt/content.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace agora::crdt {

class Type;
struct Transaction;

/// Formatting attributes of a text edit: name and value as JSON text; the value "null" removes
/// the attribute. Applied in the order a JavaScript object literal would list them.
using TextAttributes = std::vector<std::pair<std::string, std::string>>;

/// A new, empty shared type to insert; `name` is an XmlElement's node name or an XmlHook's name.
struct NewType {
  TypeKind kind = TypeKind::map;
  std::string name;
};

/// One element to insert into a list: data (a top-level Any::Bytes becomes binary content, as a
/// Uint8Array does in Yjs) or a new shared type.
using ListValue = std::variant<Any, NewType>;

/// Text and XmlText edits (YText.insert, insertEmbed, format, delete).
class TextEditor {
 public:
  /// YText.insert(index, text): the text takes the formatting in force at `index`.
  static void insert(Transaction& transaction, Type& text, std::uint64_t index,
                     std::u16string_view content);
  /// YText.insert(index, text, attributes): the text gets exactly `attributes`.
  static void insert(Transaction& transaction, Type& text, std::uint64_t index,
                     std::u16string_view content, const TextAttributes& attributes);
  /// YText.insertEmbed(index, embed, attributes); `embed_json` is the embedded value as JSON.
  static void insert_embed(Transaction& transaction, Type& text, std::uint64_t index,
                           std::string_view embed_json, const TextAttributes& attributes = {});
  /// YText.insertEmbed(index, new type, attributes); returns the inserted type.
  static Type& insert_type(Transaction& transaction, Type& text, std::uint64_t index,
                           const NewType& type, const TextAttributes& attributes = {});
  /// YText.format(index, length, attributes); like Yjs, formatting past the end appends
  /// newlines.
  static void format(Transaction& transaction, Type& text, std::uint64_t index,
                     std::uint64_t length, const TextAttributes& attributes);
  /// YText.delete(index, length): deletes up to `length` units (fewer at the end of the text).
  static void erase(Transaction& transaction, Type& text, std::uint64_t index,
                    std::uint64_t length);
};

/// Map edits (typeMapSet / typeMapDelete): YMap.set and delete, and the attributes of
/// XmlElement, XmlText and XmlHook.
class MapEditor {
 public:
  /// Sets `key` to `value` (binary content for top-level bytes, otherwise one `any`).
  static void set(Transaction& transaction, Type& map, std::string_view key, const Any& value);
  /// Sets `key` to a new shared type and returns it.
  static Type& set_type(Transaction& transaction, Type& map, std::string_view key,
                        const NewType& type);
  /// Deletes `key` if it is set.
  static void erase(Transaction& transaction, Type& map, std::string_view key);
};

/// List edits on Array, XmlFragment and XmlElement (typeListInsertGenerics, typeListDelete).
class ArrayEditor {
 public:
  /// Inserts `values` at `index`: runs of data become one `any` item each. Returns the new
  /// types among the values, in order. Undefined or a BigInt at the top level is refused, as
  /// Yjs refuses them.
  static std::vector<Type*> insert(Transaction& transaction, Type& list, std::uint64_t index,
                                   std::span<const ListValue> values);
  /// YArray.push: appends after the last item, deleted ones included (typeListPushGenerics).
  static std::vector<Type*> push(Transaction& transaction, Type& list,
                                 std::span<const ListValue> values);
  /// Deletes `length` elements from `index`; the range must lie within the list.
  static void erase(Transaction& transaction, Type& list, std::uint64_t index,
                    std::uint64_t length);
};

/// XML edits (YXmlFragment / YXmlElement): children are XmlElement, XmlText or XmlHook types;
/// an XmlText is edited with TextEditor.
class XmlEditor {
 public:
  /// Inserts a new XmlElement named `name` at `index` and returns it.
  static Type& insert_element(Transaction& transaction, Type& parent, std::uint64_t index,
                              std::string_view name);
  /// Inserts a new XmlText at `index` and returns it.
  static Type& insert_text(Transaction& transaction, Type& parent, std::uint64_t index);
  /// YXmlFragment.push: inserts `values` at the end of the visible children.
  static std::vector<Type*> push(Transaction& transaction, Type& parent,
                                 std::span<const ListValue> values);
  /// Deletes `length` children from `index`.
  static void erase(Transaction& transaction, Type& parent, std::uint64_t index,
                    std::uint64_t length);
  /// YXmlElement.setAttribute(name, value) with a string value.
  static void set_attribute(Transaction& transaction, Type& element, std::string_view name,
                            std::string_view value);
  /// YXmlElement.removeAttribute(name).
  static void remove_attribute(Transaction& transaction, Type& element, std::string_view name);
};

}  // namespace agora::crdt
