// Local editing of Text (YText.insert and YText.delete without attributes).

#include "crdt/doc.hpp"
#include "crdt/store.hpp"

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

void TextEditor::insert(Transaction& transaction, Type& text, std::uint64_t index,
                        std::u16string_view content) {
  if (content.empty()) return;
  ListPosition pos = find_position(transaction, text, index);
  // minimizeAttributeChanges: with no attributes given, deleted items are skipped.
  while (pos.right != nullptr && pos.right->deleted()) {
    pos.left = pos.right;
    pos.right = pos.right->right;
  }
  StructStore& store = transaction.store;
  const ClientId client = transaction.doc.client_id();
  Item* item = store.allocate();
  item->id = {client, store.state(client)};
  item->left = pos.left;
  item->right = pos.right;
  item->parent = &text;
  item->content = StringContent{std::u16string(content)};
  item->length = content.size();
  item->flags = Item::kCountable;
  if (pos.left != nullptr) {
    item->origin = pos.left->last_id();
    item->flags |= Item::kHasOrigin;
  }
  if (pos.right != nullptr) {
    item->right_origin = pos.right->id;
    item->flags |= Item::kHasRightOrigin;
  }
  transaction.integrate(item);
  text.marker_item_ = item;
  text.marker_index_ = pos.index;
}

void TextEditor::erase(Transaction& transaction, Type& text, std::uint64_t index,
                       std::uint64_t length) {
  if (length == 0) return;
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
