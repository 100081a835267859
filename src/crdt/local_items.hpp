#pragma once
// Creating the local client's items (new Item(...).integrate(transaction, 0) in Yjs), shared by
// the editors of every shared type. Only the crdt library includes this header.

#include "crdt/content.hpp"

#include <string_view>

namespace agora::crdt {

struct Item;
struct Transaction;
class Type;

/// A new item of the local client holding `content`, between `left` and `right` in the list of
/// `parent` (origins taken from them), integrated into the document.
Item* insert_local_item(Transaction& transaction, Type& parent, Item* left, Item* right,
                        Content content);

/// A new item of the local client setting map entry `key` of `parent` to `content`, after the
/// entry's current item (which it deletes), integrated into the document.
Item* insert_local_map_item(Transaction& transaction, Type& parent, std::string_view key,
                            Content content);

}  // namespace agora::crdt
