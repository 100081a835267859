// Local editing of maps and lists: typeMapSet, typeMapDelete, typeListInsertGenerics(After),
// typeListPushGenerics and typeListDelete from yjs/src/types/AbstractType.js.

#include "crdt/editing.hpp"

#include "crdt/doc.hpp"
#include "crdt/local_items.hpp"
#include "crdt/store.hpp"

#include <stdexcept>

namespace agora::crdt {

Item* insert_local_item(Transaction& transaction, Type& parent, Item* left, Item* right,
                        Content content) {
  StructStore& store = transaction.store;
  const ClientId client = transaction.doc.client_id();
  Item* item = store.allocate();
  item->id = {client, store.state(client)};
  item->left = left;
  item->right = right;
  item->parent = &parent;
  item->length = content.length();
  item->flags = content.countable() ? Item::kCountable : 0;
  item->content = std::move(content);
  if (left != nullptr) {
    item->origin = left->last_id();
    item->flags |= Item::kHasOrigin;
  }
  if (right != nullptr) {
    item->right_origin = right->id;
    item->flags |= Item::kHasRightOrigin;
  }
  transaction.integrate(item);
  return item;
}

Item* insert_local_map_item(Transaction& transaction, Type& parent, std::string_view key,
                            Content content) {
  StructStore& store = transaction.store;
  const ClientId client = transaction.doc.client_id();
  auto current = parent.entries().find(std::string(key));
  Item* left = current == parent.entries().end() ? nullptr : current->second;
  Item* item = store.allocate();
  item->id = {client, store.state(client)};
  item->left = left;
  item->parent = &parent;
  item->parent_sub = std::string(key);
  item->length = content.length();
  item->flags = static_cast<std::uint8_t>((content.countable() ? Item::kCountable : 0) |
                                          Item::kHasParentSub);
  item->content = std::move(content);
  if (left != nullptr) {
    item->origin = left->last_id();
    item->flags |= Item::kHasOrigin;
  }
  transaction.integrate(item);
  return item;
}

namespace {

bool is_list(const Type& type) {
  return type.kind() == TypeKind::array || type.kind() == TypeKind::xml_fragment ||
         type.kind() == TypeKind::xml_element;
}

void require_list(const Type& type) {
  if (!is_list(type))
    throw std::invalid_argument("list edits need an Array, XmlFragment or XmlElement type");
}

void require_new_type(const NewType& type) {
  if (type.kind == TypeKind::unknown) throw std::invalid_argument("a new type needs a kind");
}

// What typeListInsertGenericsAfter refuses (it throws on undefined and BigInt values).
void require_insertable(std::span<const ListValue> values) {
  for (const ListValue& value : values) {
    if (const auto* any = std::get_if<Any>(&value)) {
      if (std::holds_alternative<Any::Undefined>(any->value))
        throw std::invalid_argument("a list cannot hold undefined");
      if (std::holds_alternative<Any::BigInt>(any->value))
        throw std::invalid_argument("a list cannot hold a BigInt");
    } else {
      require_new_type(std::get<NewType>(value));
    }
  }
}

// typeListInsertGenericsAfter: data values in runs of one `any` item each, bytes and types in
// items of their own, all between `left` and the fixed `right`.
std::vector<Type*> insert_after(Transaction& transaction, Type& list, Item* left,
                                std::span<const ListValue> values, Item** last) {
  Item* right = left == nullptr ? list.start() : left->right;
  std::vector<Type*> types;
  AnyContent run;
  auto pack = [&] {
    if (run.values.empty()) return;
    left = insert_local_item(transaction, list, left, right, std::move(run));
    run = AnyContent{};
  };
  for (const ListValue& value : values) {
    if (const auto* any = std::get_if<Any>(&value)) {
      if (const auto* bytes = std::get_if<Any::Bytes>(&any->value)) {
        pack();
        left = insert_local_item(transaction, list, left, right, BinaryContent{*bytes});
      } else {
        run.values.push_back(*any);
      }
    } else {
      pack();
      const NewType& type = std::get<NewType>(value);
      left = insert_local_item(transaction, list, left, right, TypeContent::make(type.kind, type.name));
      types.push_back(left->content.get<TypeContent>()->type.get());
    }
  }
  pack();
  if (last != nullptr) *last = left;
  return types;
}

}  // namespace

void MapEditor::set(Transaction& transaction, Type& map, std::string_view key, const Any& value) {
  if (const auto* bytes = std::get_if<Any::Bytes>(&value.value)) {
    insert_local_map_item(transaction, map, key, BinaryContent{*bytes});
  } else {
    insert_local_map_item(transaction, map, key, AnyContent{{value}});
  }
}

Type& MapEditor::set_type(Transaction& transaction, Type& map, std::string_view key,
                          const NewType& type) {
  require_new_type(type);
  Item* item =
      insert_local_map_item(transaction, map, key, TypeContent::make(type.kind, type.name));
  return *item->content.get<TypeContent>()->type;
}

void MapEditor::erase(Transaction& transaction, Type& map, std::string_view key) {
  auto found = map.entries().find(std::string(key));
  if (found != map.entries().end()) transaction.delete_item(found->second);
}

std::vector<Type*> ArrayEditor::insert(Transaction& transaction, Type& list, std::uint64_t index,
                                       std::span<const ListValue> values) {
  require_list(list);
  if (index > list.length())
    throw std::out_of_range("index " + std::to_string(index) + " is past the end of a list of " +
                            std::to_string(list.length()));
  require_insertable(values);
  Item* left = nullptr;
  if (index > 0) {
    // The visible item that ends at `index` (split there if needed): Yjs inserts right after
    // it, before any deleted items that follow.
    const ListPosition pos = find_position(transaction, list, index);
    left = pos.left;
    while (left != nullptr && left->deleted()) left = left->left;
  }
  Item* last = nullptr;
  std::vector<Type*> types = insert_after(transaction, list, left, values, &last);
  if (last != nullptr && last != left) {
    // Sequential inserts (appending paragraphs, say) then start their walk here.
    list.marker_item_ = last;
    list.marker_index_ = index + values.size() - last->length;
  }
  return types;
}

std::vector<Type*> ArrayEditor::push(Transaction& transaction, Type& list,
                                     std::span<const ListValue> values) {
  require_list(list);
  require_insertable(values);
  Item* last = list.marker_item_ != nullptr ? list.marker_item_ : list.start();
  while (last != nullptr && last->right != nullptr) last = last->right;
  return insert_after(transaction, list, last, values, nullptr);
}

void ArrayEditor::erase(Transaction& transaction, Type& list, std::uint64_t index,
                        std::uint64_t length) {
  require_list(list);
  if (length == 0) return;
  if (index > list.length() || length > list.length() - index)
    throw std::out_of_range("deleting " + std::to_string(length) + " elements at " +
                            std::to_string(index) + " reaches past the end of a list of " +
                            std::to_string(list.length()));
  const ListPosition pos = find_position(transaction, list, index);
  Item* item = pos.right;
  while (length > 0 && item != nullptr) {
    if (!item->deleted()) {
      if (length < item->length)
        transaction.item_clean_start({item->id.client, item->id.clock + length});
      transaction.delete_item(item);
      length -= item->length;
    }
    item = item->right;
  }
  while (item != nullptr && !item->visible()) item = item->right;
  list.marker_item_ = item;
  list.marker_index_ = index;
}

Type& XmlEditor::insert_element(Transaction& transaction, Type& parent, std::uint64_t index,
                                std::string_view name) {
  const ListValue value = NewType{TypeKind::xml_element, std::string(name)};
  return *ArrayEditor::insert(transaction, parent, index, std::span(&value, 1)).front();
}

Type& XmlEditor::insert_text(Transaction& transaction, Type& parent, std::uint64_t index) {
  const ListValue value = NewType{TypeKind::xml_text, {}};
  return *ArrayEditor::insert(transaction, parent, index, std::span(&value, 1)).front();
}

std::vector<Type*> XmlEditor::push(Transaction& transaction, Type& parent,
                                   std::span<const ListValue> values) {
  return ArrayEditor::insert(transaction, parent, parent.length(), values);
}

void XmlEditor::erase(Transaction& transaction, Type& parent, std::uint64_t index,
                      std::uint64_t length) {
  ArrayEditor::erase(transaction, parent, index, length);
}

void XmlEditor::set_attribute(Transaction& transaction, Type& element, std::string_view name,
                              std::string_view value) {
  MapEditor::set(transaction, element, name, Any{std::string(value)});
}

void XmlEditor::remove_attribute(Transaction& transaction, Type& element, std::string_view name) {
  MapEditor::erase(transaction, element, name);
}

}  // namespace agora::crdt
