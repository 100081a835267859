#pragma once
// Structs as the document holds them (yjs/src/structs/Item.js and GC.js): an Item is a run of
// content inserted by one client, linked to its neighbours in its parent's list; a GC struct
// is a run whose content and position were garbage-collected and only occupies clocks.

#include "crdt/content.hpp"
#include "crdt/id.hpp"

#include <cstdint>
#include <string>

namespace agora::crdt {

class Type;

/// One item or GC struct of a document.
struct Item {
  enum Flag : std::uint8_t {
    kKeep = 1,
    kCountable = 2,
    kDeleted = 4,
    kGc = 8,  // a GC struct: no parent, no neighbours, content irrelevant
    kHasOrigin = 16,
    kHasRightOrigin = 32,
    kHasParentSub = 64,
  };

  Id id;
  std::uint64_t length = 0;
  Item* left = nullptr;
  Item* right = nullptr;
  /// The id of the unit this item was inserted after / before, when it was created.
  Id origin;
  Id right_origin;
  Type* parent = nullptr;
  /// The map key, for items that are map entries.
  std::string parent_sub;
  Content content;
  std::uint8_t flags = 0;

  bool is_gc() const { return flags & kGc; }
  bool deleted() const { return flags & kDeleted; }
  bool countable() const { return flags & kCountable; }
  bool keep() const { return flags & kKeep; }
  bool has_origin() const { return flags & kHasOrigin; }
  bool has_right_origin() const { return flags & kHasRightOrigin; }
  bool has_parent_sub() const { return flags & kHasParentSub; }
  /// Whether the item is visible and counts towards its parent's length.
  bool visible() const { return (flags & (kCountable | kDeleted)) == kCountable; }
  void mark_deleted() { flags |= kDeleted; }

  /// The id of the item's last unit.
  Id last_id() const { return {id.client, id.clock + length - 1}; }
  Clock end_clock() const { return id.clock + length; }
};

}  // namespace agora::crdt
