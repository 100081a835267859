// Applying a decoded update to a document: readUpdateV2, integrateStructs and
// readAndApplyDeleteSet in yjs/src/utils/encoding.js and DeleteSet.js, including how structs and
// deletes with missing dependencies are kept pending and retried.

#include "crdt/doc.hpp"
#include "crdt/store.hpp"
#include "crdt/update_codec.hpp"
#include "crdt/updates.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace agora::crdt {

namespace {

std::vector<std::uint8_t> checked(Result<std::vector<std::uint8_t>> result) {
  // Our own pending data failing to merge would be a bug, not bad input.
  if (!result) throw std::logic_error("merging pending data failed: " + result.error().message);
  return std::move(*result);
}

std::vector<std::uint8_t> merge_v2(std::span<const std::uint8_t> a,
                                   std::span<const std::uint8_t> b) {
  const std::span<const std::uint8_t> both[] = {a, b};
  return checked(merge_updates_v2(both));
}

struct ClientRefs {
  std::vector<DecodedStruct>* refs = nullptr;
  std::size_t next = 0;
  /// Moved to the pending rest; kept in place so pointers to it stay valid (Yjs empties the
  /// object it still holds in curStructsTarget rather than freeing it).
  bool removed = false;
  std::size_t size() const { return refs == nullptr ? 0 : refs->size(); }
};

struct Rest {
  std::unordered_map<ClientId, Clock> missing;
  std::vector<std::uint8_t> update;
};

// The parts of Item.getMissing after the dependency checks: resolve neighbours and parent.
struct Resolved {
  Item* left = nullptr;
  Item* right = nullptr;
  Type* parent = nullptr;
  bool inherit_parent_sub = false;
  const Item* parent_sub_source = nullptr;
};

}  // namespace

class IntegrationRun {
 public:
  IntegrationRun(Transaction& t, Doc& doc) : t_(t), store_(t.store), doc_(doc) {}

  std::optional<Rest> integrate_structs(std::vector<ClientStructs>& blocks);
  std::optional<std::vector<std::uint8_t>> apply_delete_set(const DeleteSet& set);

 private:
  std::optional<ClientId> missing_dependency(const DecodedStruct& s) {
    if (s.has_origin && s.origin.client != s.id.client &&
        s.origin.clock >= store_.state(s.origin.client))
      return s.origin.client;
    if (s.has_right_origin && s.right_origin.client != s.id.client &&
        s.right_origin.clock >= store_.state(s.right_origin.client))
      return s.right_origin.client;
    if (s.parent.kind == ParentRef::Kind::item && s.parent.item.client != s.id.client &&
        s.parent.item.clock >= store_.state(s.parent.item.client))
      return s.parent.item.client;
    return std::nullopt;
  }

  Resolved resolve(DecodedStruct& s) {
    Resolved r;
    if (s.has_origin) {
      r.left = t_.item_clean_end(s.origin);
      s.origin = r.left->last_id();
    }
    if (s.has_right_origin) {
      r.right = t_.item_clean_start(s.right_origin);
      s.right_origin = r.right->id;
    }
    if ((r.left != nullptr && r.left->is_gc()) || (r.right != nullptr && r.right->is_gc())) {
      r.parent = nullptr;
    } else if (s.parent.kind == ParentRef::Kind::none) {
      const Item* source = r.left != nullptr ? r.left : r.right;
      if (source != nullptr) {
        r.parent = source->parent;
        r.inherit_parent_sub = true;
        r.parent_sub_source = source;
      }
    } else if (s.parent.kind == ParentRef::Kind::item) {
      Item* parent_item = store_.find(s.parent.item);
      if (!parent_item->is_gc()) {
        if (auto* type = parent_item->content.get<TypeContent>()) r.parent = type->type.get();
      }
    } else {
      r.parent = &doc_.root(s.parent.root, TypeKind::unknown);
    }
    return r;
  }

  void integrate(DecodedStruct& s, Resolved r, std::uint64_t offset) {
    if (offset > 0) {
      s.id.clock += offset;
      if (s.kind == StructKind::item) {
        r.left = t_.item_clean_end({s.id.client, s.id.clock - 1});
        s.origin = r.left->last_id();
        s.has_origin = true;
        s.content = s.content.split(offset);
        // The new left neighbour may be garbage-collected; like any item whose origin is, the
        // rest of the struct is collected too (Yjs's getMissing rule; Yjs itself throws here).
        if (r.left->is_gc()) r.parent = nullptr;
      }
      s.length -= offset;
    }
    Item* item = store_.allocate();
    item->id = s.id;
    item->length = s.length;
    if (s.kind == StructKind::gc || r.parent == nullptr) {
      item->flags = Item::kGc | Item::kDeleted;
      item->content = DeletedContent{s.length};
      t_.add_struct(item);
      return;
    }
    item->left = r.left;
    item->right = r.right;
    item->origin = s.origin;
    item->right_origin = s.right_origin;
    item->parent = r.parent;
    bool has_parent_sub = s.has_parent_sub;
    if (r.inherit_parent_sub) {
      has_parent_sub = r.parent_sub_source->has_parent_sub();
      item->parent_sub = r.parent_sub_source->parent_sub;
    } else {
      item->parent_sub = std::move(s.parent_sub);
    }
    item->content = std::move(s.content);
    item->flags = static_cast<std::uint8_t>((item->content.countable() ? Item::kCountable : 0) |
                                            (s.has_origin ? Item::kHasOrigin : 0) |
                                            (s.has_right_origin ? Item::kHasRightOrigin : 0) |
                                            (has_parent_sub ? Item::kHasParentSub : 0));
    t_.integrate(item);
  }

  Transaction& t_;
  StructStore& store_;
  Doc& doc_;
};

namespace {

// A small map kept in a vector: updates name few clients, and a node-based map would cost an
// allocation per entry on every update.
template <typename V>
class SmallMap {
 public:
  V* find(ClientId key) {
    for (auto& [k, v] : entries_)
      if (k == key) return &v;
    return nullptr;
  }
  V& operator[](ClientId key) {
    if (V* found = find(key)) return *found;
    return entries_.emplace_back(key, V{}).second;
  }
  bool empty() const { return entries_.empty(); }
  auto& entries() { return entries_; }

 private:
  boost::container::small_vector<std::pair<ClientId, V>, 4> entries_;
};

}  // namespace

std::optional<Rest> IntegrationRun::integrate_structs(std::vector<ClientStructs>& blocks) {
  SmallMap<ClientRefs> client_refs;
  // A client listed twice keeps only its last block, as in Yjs.
  for (auto& block : blocks) client_refs[block.client] = ClientRefs{&block.structs, 0};
  boost::container::small_vector<ClientId, 4> ids;  // ascending; the highest is integrated first
  for (const auto& [client, refs] : client_refs.entries()) ids.push_back(client);
  std::sort(ids.begin(), ids.end());
  if (ids.empty()) return std::nullopt;

  auto next_target = [&]() -> ClientRefs* {
    while (!ids.empty()) {
      ClientRefs& refs = client_refs[ids.back()];
      if (refs.next < refs.size()) return &refs;
      ids.pop_back();
    }
    return nullptr;
  };
  ClientRefs* current = next_target();
  if (current == nullptr) return std::nullopt;

  boost::container::small_vector<DecodedStruct*, 4> stack;
  std::map<ClientId, std::vector<const DecodedStruct*>> rest;
  SmallMap<Clock> missing_sv;
  auto update_missing = [&](ClientId client, Clock clock) {
    Clock* known = missing_sv.find(client);
    if (known == nullptr) {
      missing_sv[client] = clock;
    } else if (*known > clock) {
      *known = clock;
    }
  };
  SmallMap<Clock> state_cache;
  auto add_stack_to_rest = [&] {
    for (DecodedStruct* s : stack) {
      const ClientId client = s->id.client;
      ClientRefs* refs = client_refs.find(client);
      if (refs != nullptr && !refs->removed) {
        refs->next--;
        auto& list = rest[client];
        list.clear();
        for (std::size_t i = refs->next; i < refs->size(); ++i) list.push_back(&(*refs->refs)[i]);
        refs->removed = true;
        refs->refs = nullptr;
        refs->next = 0;
      } else {
        rest[client] = {s};
      }
      ids.erase(std::remove(ids.begin(), ids.end(), client), ids.end());
    }
    stack.clear();
  };

  DecodedStruct* head = &(*current->refs)[current->next++];
  while (true) {
    if (head->kind != StructKind::skip) {
      const ClientId client = head->id.client;
      Clock* cached = state_cache.find(client);
      const Clock local_clock = cached != nullptr ? *cached : (state_cache[client] = store_.state(client));
      if (local_clock < head->id.clock) {
        // An earlier update from this client is missing.
        stack.push_back(head);
        update_missing(client, head->id.clock - 1);
        add_stack_to_rest();
      } else {
        const std::uint64_t offset = local_clock - head->id.clock;
        std::optional<ClientId> missing =
            head->kind == StructKind::item ? missing_dependency(*head) : std::nullopt;
        if (missing) {
          stack.push_back(head);
          ClientRefs* refs = client_refs.find(*missing);
          if (refs == nullptr || refs->removed || refs->next == refs->size()) {
            // This update depends on one that has not arrived.
            update_missing(*missing, store_.state(*missing));
            add_stack_to_rest();
          } else {
            head = &(*refs->refs)[refs->next++];
            continue;
          }
        } else {
          Resolved resolved = head->kind == StructKind::item ? resolve(*head) : Resolved{};
          if (offset == 0 || offset < head->length) {
            integrate(*head, resolved, offset);
            state_cache[client] = head->id.clock + head->length;
          }
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (current != nullptr && current->next < current->size()) {
      head = &(*current->refs)[current->next++];
    } else {
      current = next_target();
      if (current == nullptr) break;
      head = &(*current->refs)[current->next++];
    }
  }
  if (rest.empty()) return std::nullopt;

  UpdateEncoderV2 encoder;
  encoder.rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& structs = it->second;
    encoder.rest().write_var_uint(structs.size());
    encoder.write_client(it->first);
    encoder.rest().write_var_uint(structs.front()->id.clock);
    for (const DecodedStruct* s : structs) s->write(encoder, 0);
  }
  encoder.rest().write_var_uint(0);  // no deletes
  std::unordered_map<ClientId, Clock> missing(missing_sv.entries().begin(),
                                               missing_sv.entries().end());
  return Rest{std::move(missing), encoder.to_bytes()};
}

std::optional<std::vector<std::uint8_t>> IntegrationRun::apply_delete_set(const DeleteSet& set) {
  DeleteSet unapplied;
  StructList no_structs;
  for (const auto& [client, ranges] : set.clients) {
    StructList* found = store_.find_structs(client);
    StructList& structs = found == nullptr ? no_structs : *found;
    const Clock state = structs.end_clock();
    for (const DeleteRange& range : ranges) {
      const Clock clock = range.clock;
      const Clock end = range.end();
      if (clock >= state) {
        // A range of length 0 deletes nothing and cannot be written in the v2 format.
        if (end > clock) unapplied.add(client, clock, end - clock);
        continue;
      }
      if (state < end) unapplied.add(client, state, end - state);
      std::size_t index = structs.find_index(clock);
      Item* item = structs[index];
      if (!item->deleted() && item->id.clock < clock) {
        structs.insert(index + 1, t_.split(item, clock - item->id.clock));
        ++index;
      }
      while (index < structs.size()) {
        item = structs[index++];
        if (item->id.clock >= end) break;
        if (!item->deleted()) {
          if (end < item->end_clock()) structs.insert(index, t_.split(item, end - item->id.clock));
          t_.delete_item(item);
        }
      }
    }
  }
  if (unapplied.empty()) return std::nullopt;
  // A hostile update's ranges may be unsorted or overlap; the v2 encoding needs them in order.
  unapplied.sort_and_merge();
  UpdateEncoderV2 encoder;
  encoder.rest().write_var_uint(0);  // no structs
  unapplied.write(encoder);
  return encoder.to_bytes();
}

void Integrator::apply(Transaction& transaction, DecodedUpdate& update) {
  Doc& doc = transaction.doc;
  StructStore& store = transaction.store;
  IntegrationRun run(transaction, doc);
  std::optional<Rest> rest = run.integrate_structs(update.clients);

  bool retry = false;
  if (store.pending_structs) {
    for (const auto& [client, clock] : store.pending_structs->missing) {
      if (clock < store.state(client)) {
        retry = true;
        break;
      }
    }
    if (rest) {
      for (const auto& [client, clock] : rest->missing) {
        auto [it, inserted] = store.pending_structs->missing.emplace(client, clock);
        if (!inserted && it->second > clock) it->second = clock;
      }
      store.pending_structs->update = merge_v2(store.pending_structs->update, rest->update);
    }
  } else if (rest) {
    store.pending_structs = PendingStructs{std::move(rest->missing), std::move(rest->update)};
  }

  std::optional<std::vector<std::uint8_t>> ds_rest = run.apply_delete_set(update.delete_set);
  if (store.pending_delete_set) {
    const std::vector<std::uint8_t> pending = std::move(*store.pending_delete_set);
    store.pending_delete_set.reset();
    UpdateDecoderV2 decoder(pending);
    decoder.rest().read_var_uint();  // no structs
    std::optional<std::vector<std::uint8_t>> ds_rest2 =
        run.apply_delete_set(DeleteSet::read(decoder));
    if (ds_rest && ds_rest2) {
      store.pending_delete_set = merge_v2(*ds_rest, *ds_rest2);
    } else {
      store.pending_delete_set = ds_rest ? std::move(ds_rest) : std::move(ds_rest2);
    }
  } else {
    store.pending_delete_set = std::move(ds_rest);
  }

  if (retry) {
    std::vector<std::uint8_t> pending = std::move(store.pending_structs->update);
    store.pending_structs.reset();
    UpdateDecoderV2 decoder(pending);
    DecodedUpdate decoded = read_update(decoder, pending.size());
    apply(transaction, decoded);
  }
}

}  // namespace agora::crdt
