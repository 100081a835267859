#pragma once
// Shared types (yjs/src/types/AbstractType.js): a list of items (Array, Text, Xml children), a
// map of keys to their latest item (Map, Xml attributes), or both.

#include "crdt/content.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agora::crdt {

struct Item;
class Doc;
struct Transaction;
struct ListPosition;

/// One shared type: a root of the document or nested inside an item.
class Type {
 public:
  /// A type of `kind`; `name` is the node name of an XmlElement or the hook name of an XmlHook.
  Type(TypeKind kind, std::string name = {}) : kind_(kind), name_(std::move(name)) {}

  TypeKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  /// The item that holds this type, or null for a root type.
  Item* item() const { return item_; }
  /// The first item of the list (deleted ones included).
  Item* start() const { return start_; }
  /// Number of visible countable units in the list.
  std::uint64_t length() const { return length_; }
  /// Map keys to the item holding their current value (the rightmost item for the key).
  const std::unordered_map<std::string, Item*>& entries() const { return map_; }
  /// Whether a format item was ever integrated (Text's formatting cleanup only runs then).
  bool has_formatting() const { return has_formatting_; }
  /// The name under which the document holds this root type (empty for nested types).
  const std::string& root_name() const { return root_name_; }

 private:
  friend class Doc;
  friend struct Transaction;
  friend class Integrator;
  friend class TextEditor;
  friend class ArrayEditor;
  friend ListPosition find_position(Transaction&, Type&, std::uint64_t);

  TypeKind kind_;
  std::string name_;
  std::string root_name_;
  Item* item_ = nullptr;
  Item* start_ = nullptr;
  std::unordered_map<std::string, Item*> map_;
  std::uint64_t length_ = 0;
  bool has_formatting_ = false;
  // A cached (item, index) pair for position lookups in long lists; see find_position.
  Item* marker_item_ = nullptr;
  std::uint64_t marker_index_ = 0;
};

}  // namespace agora::crdt
