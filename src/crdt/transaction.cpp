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

void Transaction::delete_item(Item* item) {
  if (item->deleted()) return;
  Type* parent = item->parent;
  if (item->countable() && !item->has_parent_sub()) parent->length_ -= item->length;
  item->mark_deleted();
  parent->marker_item_ = nullptr;
  delete_set.add(item->id.client, item->id.clock, item->length);
  add_changed_type(parent);
  if (auto* nested = item->content.get<TypeContent>()) {
    Type* type = nested->type.get();
    auto already_before = [this](const Item* child) {
      return child->id.clock < before_state(child->id.client);
    };
    for (Item* child = type->start_; child != nullptr; child = child->right) {
      if (!child->deleted()) {
        delete_item(child);
      } else if (already_before(child)) {
        merge_structs.push_back(child->id);
      }
    }
    for (auto& [key, child] : type->map_) {
      if (!child->deleted()) {
        delete_item(child);
      } else if (already_before(child)) {
        merge_structs.push_back(child->id);
      }
    }
    changed.erase(std::remove(changed.begin(), changed.end(), type), changed.end());
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
  for (Item* child = type.start_; child != nullptr;) {
    Item* next = child->right;
    gc_item(store, child, true);
    child = next;
  }
  type.start_ = nullptr;
  for (auto& [key, last] : type.map_) {
    for (Item* child = last; child != nullptr;) {
      Item* previous = child->left;
      gc_item(store, child, true);
      child = previous;
    }
  }
  type.map_.clear();
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
