// Integration, deletion, garbage collection and merging of structs: Yjs's Item.js,
// StructStore.js and Transaction.js, step for step, because the bytes a document encodes
// depend on every split and merge happening exactly as in Yjs.

#include "crdt/doc.hpp"
#include "crdt/store.hpp"

#include <algorithm>
#include <map>

namespace agora::crdt {

Transaction::Transaction(Doc& owner, bool is_local)
    : doc(owner), store(owner.store()), local(is_local) {}

Clock Transaction::before_state(ClientId client) const {
  for (const auto& [advanced, clock] : advanced_)
    if (advanced == client) return clock;
  return store.state(client);
}

void Transaction::add_struct(Item* item) {
  const ClientId client = item->id.client;
  const bool recorded = std::any_of(advanced_.begin(), advanced_.end(),
                                    [&](const auto& entry) { return entry.first == client; });
  if (!recorded) advanced_.emplace_back(client, store.state(client));
  store.add(item);
}

void Transaction::add_changed_type(Type* type) {
  Item* item = type->item_;
  if (item != nullptr && (item->id.clock >= before_state(item->id.client) || item->deleted()))
    return;
  if (std::find(changed.begin(), changed.end(), type) == changed.end()) changed.push_back(type);
}

Item* Transaction::split(Item* left, std::uint64_t diff) {
  Item* right = store.allocate();
  right->id = {left->id.client, left->id.clock + diff};
  right->left = left;
  right->origin = {left->id.client, left->id.clock + diff - 1};
  right->right = left->right;
  right->right_origin = left->right_origin;
  right->parent = left->parent;
  right->parent_sub = left->parent_sub;
  right->content = left->content.split(diff);
  right->length = right->content.length();
  right->flags = static_cast<std::uint8_t>(
      Item::kHasOrigin | (left->flags & (Item::kHasRightOrigin | Item::kHasParentSub |
                                         Item::kDeleted | Item::kKeep | Item::kCountable)));
  left->right = right;
  if (right->right != nullptr) right->right->left = right;
  merge_structs.push_back(right->id);
  if (right->has_parent_sub() && right->right == nullptr)
    right->parent->map_[right->parent_sub] = right;
  left->length = diff;
  return right;
}

Item* Transaction::item_clean_start(Id id) {
  StructList& structs = store.structs_of(id.client);
  const std::size_t index = structs.find_index(id.clock);
  Item* item = structs[index];
  if (item->id.clock < id.clock && !item->is_gc()) {
    Item* right = split(item, id.clock - item->id.clock);
    structs.insert(index + 1, right);
    return right;
  }
  return item;
}

Item* Transaction::item_clean_end(Id id) {
  StructList& structs = store.structs_of(id.client);
  const std::size_t index = structs.find_index(id.clock);
  Item* item = structs[index];
  if (id.clock != item->end_clock() - 1 && !item->is_gc()) {
    Item* right = split(item, id.clock - item->id.clock + 1);
    structs.insert(index + 1, right);
  }
  return item;
}

void Transaction::delete_item(Item* root) {
  // Item.delete and ContentType.delete recurse through nested types; a hostile update can nest
  // types 100,000 deep, so the walk keeps its own stack, visiting items in Yjs's order.
  struct Frame {
    Type* type;
    Item* next_in_list;
    std::vector<Item*> map_values;  // the type's map entries, taken when the frame starts
    std::size_t next_in_map = 0;
  };
  std::vector<Frame> stack;
  // Marks one item deleted and, for a type, opens a frame to delete what it holds.
  auto delete_one = [&](Item* item) {
    Type* parent = item->parent;
    if (item->countable() && !item->has_parent_sub()) parent->length_ -= item->length;
    item->mark_deleted();
    parent->marker_item_ = nullptr;
    delete_set.add(item->id.client, item->id.clock, item->length);
    add_changed_type(parent);
    if (auto* nested = item->content.get<TypeContent>()) {
      Type* type = nested->type.get();
      Frame frame{type, type->start_, {}};
      frame.map_values.reserve(type->map_.size());
      for (auto& [key, child] : type->map_) frame.map_values.push_back(child);
      stack.push_back(std::move(frame));
    }
  };
  if (root->deleted()) return;
  delete_one(root);
  while (!stack.empty()) {
    Frame& frame = stack.back();
    Item* child = nullptr;
    if (frame.next_in_list != nullptr) {
      child = frame.next_in_list;
      frame.next_in_list = child->right;
    } else if (frame.next_in_map < frame.map_values.size()) {
      child = frame.map_values[frame.next_in_map++];
    } else {
      Type* done = frame.type;
      stack.pop_back();
      changed.erase(std::remove(changed.begin(), changed.end(), done), changed.end());
      continue;
    }
    if (!child->deleted()) {
      delete_one(child);  // may push a frame; `frame` is not used after this
    } else if (child->id.clock < before_state(child->id.client)) {
      merge_structs.push_back(child->id);
    }
  }
}

void Transaction::integrate(Item* item) {
  Type* parent = item->parent;
  const bool needs_resolution =
      (item->left == nullptr && (item->right == nullptr || item->right->left != nullptr)) ||
      (item->left != nullptr && item->left->right != item->right);
  if (needs_resolution) {
    // YATA: walk the items between left and right that were inserted concurrently and decide,
    // by their origins and client ids, which of them come before this one.
    Item* left = item->left;
    Item* o;
    if (left != nullptr) {
      o = left->right;
    } else if (item->has_parent_sub()) {
      auto found = parent->map_.find(item->parent_sub);
      o = found == parent->map_.end() ? nullptr : found->second;
      while (o != nullptr && o->left != nullptr) o = o->left;
    } else {
      o = parent->start_;
    }
    std::vector<Item*> items_before_origin;
    std::vector<Item*> conflicting;
    auto contains = [](const std::vector<Item*>& set, const Item* x) {
      return std::find(set.begin(), set.end(), x) != set.end();
    };
    auto same_origin = [](bool has_a, Id a, bool has_b, Id b) {
      return has_a == has_b && (!has_a || a == b);
    };
    while (o != nullptr && o != item->right) {
      items_before_origin.push_back(o);
      conflicting.push_back(o);
      if (same_origin(item->has_origin(), item->origin, o->has_origin(), o->origin)) {
        if (o->id.client < item->id.client) {
          left = o;
          conflicting.clear();
        } else if (same_origin(item->has_right_origin(), item->right_origin,
                               o->has_right_origin(), o->right_origin)) {
          break;
        }
      } else if (o->has_origin() && contains(items_before_origin, store.find(o->origin))) {
        if (!contains(conflicting, store.find(o->origin))) {
          left = o;
          conflicting.clear();
        }
      } else {
        break;
      }
      o = o->right;
    }
    item->left = left;
  }
  if (item->left != nullptr) {
    item->right = item->left->right;
    item->left->right = item;
  } else {
    Item* r;
    if (item->has_parent_sub()) {
      auto found = parent->map_.find(item->parent_sub);
      r = found == parent->map_.end() ? nullptr : found->second;
      while (r != nullptr && r->left != nullptr) r = r->left;
    } else {
      r = parent->start_;
      parent->start_ = item;
    }
    item->right = r;
  }
  if (item->right != nullptr) {
    item->right->left = item;
  } else if (item->has_parent_sub()) {
    parent->map_[item->parent_sub] = item;
    if (item->left != nullptr) delete_item(item->left);
  }
  if (!item->has_parent_sub() && item->visible()) parent->length_ += item->length;
  // Positions cached for lookups may now be off; the next lookup starts afresh.
  parent->marker_item_ = nullptr;
  add_struct(item);
  // Content-specific integration (ContentType/ContentDeleted/ContentFormat.integrate).
  switch (item->content.kind()) {
    case ContentKind::type:
      item->content.get<TypeContent>()->type->item_ = item;
      break;
    case ContentKind::deleted:
      delete_set.add(item->id.client, item->id.clock, item->length);
      item->mark_deleted();
      break;
    case ContentKind::format:
      parent->has_formatting_ = true;
      break;
    default:
      break;
  }
  add_changed_type(parent);
  if ((parent->item_ != nullptr && parent->item_->deleted()) ||
      (item->has_parent_sub() && item->right != nullptr))
    delete_item(item);
}

// Item.gc: drops deleted content, keeping only its length; inside a garbage-collected type the
// struct becomes a GC struct.
void Transaction::gc_type_content(StructStore& store, Type& type) {
  // Everything inside the type becomes a GC struct. Collect first, reading every link before
  // any item is converted, with an explicit stack: nesting can be arbitrarily deep.
  std::vector<Item*> inside;
  std::vector<Type*> types{&type};
  while (!types.empty()) {
    Type* current = types.back();
    types.pop_back();
    auto take = [&](Item* child) {
      if (!child->deleted()) throw std::logic_error("garbage-collecting an item that is not deleted");
      inside.push_back(child);
      if (auto* nested = child->content.get<TypeContent>()) types.push_back(nested->type.get());
    };
    for (Item* child = current->start_; child != nullptr; child = child->right) take(child);
    for (auto& [key, last] : current->map_)
      for (Item* child = last; child != nullptr; child = child->left) take(child);
    current->start_ = nullptr;
    current->map_.clear();
  }
  // Converting a type's own item frees that type, so go from the innermost items outwards.
  for (auto it = inside.rbegin(); it != inside.rend(); ++it) {
    Item* item = *it;
    item->flags = Item::kGc | Item::kDeleted;
    item->left = item->right = nullptr;
    item->parent = nullptr;
    item->parent_sub.clear();
    item->content = DeletedContent{item->length};
  }
  (void)store;
}

void Transaction::gc_item(StructStore& store, Item* item, bool parent_gcd) {
  if (!item->deleted()) throw std::logic_error("garbage-collecting an item that is not deleted");
  if (auto* nested = item->content.get<TypeContent>()) gc_type_content(store, *nested->type);
  if (parent_gcd) {
    item->flags = Item::kGc | Item::kDeleted;
    item->left = item->right = nullptr;
    item->parent = nullptr;
    item->parent_sub.clear();
    item->content = DeletedContent{item->length};
  } else if (item->content.kind() != ContentKind::deleted) {
    // Yjs keeps the item's countable bit; only the content goes (deleted content already is
    // just its length).
    item->content = DeletedContent{item->length};
  }
}

// Transaction cleanup lives in cleanup.cpp.

}  // namespace agora::crdt
