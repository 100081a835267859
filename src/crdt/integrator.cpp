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

struct ClientCursor {
  std::vector<StructRef>* refs = nullptr;
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

// Writes a struct that was not integrated, as DecodedStruct::write does with offset 0.
template <typename Encoder>
void write_ref(Encoder& encoder, const StructRef& ref, const std::vector<std::string>& roots) {
  const Item& item = *ref.item;
  if (ref.kind == StructKind::gc) {
    encoder.write_info(kGcRef);
    encoder.write_len(item.length);
    return;
  }
  if (ref.kind == StructKind::skip) {
    encoder.write_info(kSkipRef);
    encoder.rest().write_var_uint(item.length);
    return;
  }
  const std::uint8_t info = static_cast<std::uint8_t>(
      (static_cast<std::uint8_t>(item.content.kind()) & kContentMask) |
      (item.has_origin() ? kOriginBit : 0) | (item.has_right_origin() ? kRightOriginBit : 0) |
      (item.has_parent_sub() ? kParentSubBit : 0));
  encoder.write_info(info);
  if (item.has_origin()) encoder.write_left_id(item.origin);
  if (item.has_right_origin()) encoder.write_right_id(item.right_origin);
  if (!item.has_origin() && !item.has_right_origin()) {
    if (ref.parent_kind == ParentRef::Kind::root) {
      encoder.write_parent_info(true);
      encoder.write_string(roots[ref.root_name]);
    } else {
      encoder.write_parent_info(false);
      encoder.write_left_id(ref.parent_item);
    }
    if (item.has_parent_sub()) encoder.write_string(item.parent_sub);
  }
  item.content.write(encoder, 0);
}

}  // namespace

template <typename Decoder>
void Integrator::read(StructStore& store, Decoder& decoder, std::size_t update_size,
                      DecodedItems& update) {
  update.root_names.clear();
  for (ClientRefs& block : update.clients) block.structs.clear();
  const StructStore::Mark mark = store.mark();
  try {
    const std::uint64_t max_structs = max_structs_for(update_size);
    std::uint64_t total_structs = 0;
    const std::uint64_t client_count = decoder.rest().read_var_uint();
    // Every client block takes at least three bytes of the rest stream.
    if (client_count > decoder.rest().remaining())
      throw DecodeError("the update claims " + std::to_string(client_count) +
                        " clients but is too short to hold them");
    update.clients.resize(client_count);
    for (ClientRefs& block : update.clients) {
      const std::uint64_t struct_count = decoder.rest().read_var_uint();
      const ClientId client = decoder.read_client();
      Clock clock = decoder.rest().read_var_uint();
      if (client > kMaxSafeInteger)
        throw DecodeError("client id " + std::to_string(client) + " is beyond 2^53");
      if (clock > kMaxSafeInteger)
        throw DecodeError("client " + std::to_string(client) + " starts at clock " +
                          std::to_string(clock) + ", beyond 2^53");
      block.client = client;
      // Reserve only what the bytes could hold; a lying count fails on the first missing byte.
      const std::uint64_t expected =
          std::min<std::uint64_t>(struct_count, decoder.rest().remaining() + 1024);
      block.structs.reserve(expected);
      store.reserve(expected);
      for (std::uint64_t i = 0; i < struct_count; ++i) {
        if (++total_structs > max_structs)
          throw DecodeError("the update claims more structs than its size allows (" +
                            std::to_string(max_structs) + ")");
        const std::uint8_t info = decoder.read_info();
        const std::uint8_t kind = info & kContentMask;
        const Id id{client, clock};
        if (kind > kSkipRef)
          throw DecodeError("struct " + describe(id) + " has unknown content kind " +
                            std::to_string(kind));
        StructRef& ref = block.structs.emplace_back();
        Item* item = ref.item = store.allocate(ref.reused);
        item->id = id;
        if (kind == kGcRef) {
          ref.kind = StructKind::gc;
          item->flags = Item::kGc;
          item->length = decoder.read_len();
        } else if (kind == kSkipRef) {
          ref.kind = StructKind::skip;
          item->length = decoder.rest().read_var_uint();
        } else {
          std::uint8_t flags = 0;
          if (info & kOriginBit) {
            flags |= Item::kHasOrigin;
            item->origin = decoder.read_left_id();
            check_own_reference(id, item->origin, "origin");
          }
          if (info & kRightOriginBit) {
            flags |= Item::kHasRightOrigin;
            item->right_origin = decoder.read_right_id();
            check_own_reference(id, item->right_origin, "right origin");
          }
          if ((info & (kOriginBit | kRightOriginBit)) == 0) {
            if (decoder.read_parent_info()) {
              ref.parent_kind = ParentRef::Kind::root;
              ref.root_name = static_cast<std::uint32_t>(update.root_names.size());
              update.root_names.emplace_back(decoder.read_string());
            } else {
              ref.parent_kind = ParentRef::Kind::item;
              ref.parent_item = decoder.read_left_id();
              check_own_reference(id, ref.parent_item, "parent");
            }
            if (info & kParentSubBit) {
              flags |= Item::kHasParentSub;
              item->parent_sub = std::string(decoder.read_string());
            }
          }
          item->flags = flags;
          Content::read_into(decoder, kind, item->content);
          item->length = item->content.length();
        }
        if (item->length == 0) throw DecodeError("struct " + describe(id) + " has length 0");
        if (item->length > kMaxSafeInteger - clock)
          throw DecodeError("struct " + describe(id) + " of length " +
                            std::to_string(item->length) + " ends beyond clock 2^53");
        clock += item->length;
      }
    }
    update.delete_set = DeleteSet::read(decoder);
  } catch (...) {
    for (ClientRefs& block : update.clients) {
      for (StructRef& ref : block.structs)
        if (ref.reused) store.release(ref.item);
      block.structs.clear();
    }
    store.rollback(mark);
    throw;
  }
}

void Integrator::discard(StructStore& store, DecodedItems& update) {
  for (ClientRefs& block : update.clients) {
    for (StructRef& ref : block.structs)
      if (!ref.integrated) store.release(ref.item);
    block.structs.clear();
  }
}

template void Integrator::read(StructStore&, UpdateDecoderV1&, std::size_t, DecodedItems&);
template void Integrator::read(StructStore&, UpdateDecoderV2&, std::size_t, DecodedItems&);

class IntegrationRun {
 public:
  IntegrationRun(Transaction& t, Doc& doc, const std::vector<std::string>& roots)
      : t_(t), store_(t.store), doc_(doc), roots_(roots) {}

  std::optional<Rest> integrate_structs(std::vector<ClientRefs>& blocks);
  std::optional<std::vector<std::uint8_t>> apply_delete_set(const DeleteSet& set);

 private:
  std::optional<ClientId> missing_dependency(const StructRef& s) {
    const Item& item = *s.item;
    const ClientId client = item.id.client;
    if (item.has_origin() && item.origin.client != client &&
        item.origin.clock >= store_.state(item.origin.client))
      return item.origin.client;
    if (item.has_right_origin() && item.right_origin.client != client &&
        item.right_origin.clock >= store_.state(item.right_origin.client))
      return item.right_origin.client;
    if (s.parent_kind == ParentRef::Kind::item && s.parent_item.client != client &&
        s.parent_item.clock >= store_.state(s.parent_item.client))
      return s.parent_item.client;
    return std::nullopt;
  }

  Resolved resolve(StructRef& s) {
    Item& item = *s.item;
    Resolved r;
    if (item.has_origin()) {
      r.left = t_.item_clean_end(item.origin);
      item.origin = r.left->last_id();
    }
    if (item.has_right_origin()) {
      r.right = t_.item_clean_start(item.right_origin);
      item.right_origin = r.right->id;
    }
    if ((r.left != nullptr && r.left->is_gc()) || (r.right != nullptr && r.right->is_gc())) {
      r.parent = nullptr;
    } else if (s.parent_kind == ParentRef::Kind::none) {
      const Item* source = r.left != nullptr ? r.left : r.right;
      if (source != nullptr) {
        r.parent = source->parent;
        r.inherit_parent_sub = true;
        r.parent_sub_source = source;
      }
    } else if (s.parent_kind == ParentRef::Kind::item) {
      Item* parent_item = store_.find(s.parent_item);
      if (!parent_item->is_gc()) {
        if (auto* type = parent_item->content.get<TypeContent>()) r.parent = type->type.get();
      }
    } else {
      r.parent = &doc_.root(roots_[s.root_name], TypeKind::unknown);
    }
    return r;
  }

  void integrate(StructRef& s, Resolved r, std::uint64_t offset) {
    Item* item = s.item;
    if (offset > 0) {
      item->id.clock += offset;
      if (s.kind == StructKind::item) {
        r.left = t_.item_clean_end({item->id.client, item->id.clock - 1});
        item->origin = r.left->last_id();
        item->flags |= Item::kHasOrigin;
        Content right = item->content.split(offset);
        item->content = std::move(right);
        // The new left neighbour may be garbage-collected; like any item whose origin is, the
        // rest of the struct is collected too (Yjs's getMissing rule; Yjs itself throws here).
        if (r.left->is_gc()) r.parent = nullptr;
      }
      item->length -= offset;
    }
    s.integrated = true;
    if (s.kind == StructKind::gc || r.parent == nullptr) {
      item->flags = Item::kGc | Item::kDeleted;
      item->content = DeletedContent{item->length};
      item->origin = {};
      item->right_origin = {};
      std::string().swap(item->parent_sub);
      t_.add_struct(item);
      return;
    }
    item->left = r.left;
    item->right = r.right;
    item->parent = r.parent;
    std::uint8_t flags = item->flags;
    if (r.inherit_parent_sub) {
      flags = static_cast<std::uint8_t>(flags & ~Item::kHasParentSub);
      if (r.parent_sub_source->has_parent_sub()) flags |= Item::kHasParentSub;
      item->parent_sub = r.parent_sub_source->parent_sub;
    }
    if (item->content.countable()) flags |= Item::kCountable;
    item->flags = flags;
    t_.integrate(item);
  }

  Transaction& t_;
  StructStore& store_;
  Doc& doc_;
  const std::vector<std::string>& roots_;
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

std::optional<Rest> IntegrationRun::integrate_structs(std::vector<ClientRefs>& blocks) {
  SmallMap<ClientCursor> client_refs;
  // A client listed twice keeps only its last block, as in Yjs.
  for (auto& block : blocks) client_refs[block.client] = ClientCursor{&block.structs, 0};
  boost::container::small_vector<ClientId, 4> ids;  // ascending; the highest is integrated first
  for (const auto& [client, refs] : client_refs.entries()) ids.push_back(client);
  std::sort(ids.begin(), ids.end());
  if (ids.empty()) return std::nullopt;

  auto next_target = [&]() -> ClientCursor* {
    while (!ids.empty()) {
      ClientCursor& refs = client_refs[ids.back()];
      if (refs.next < refs.size()) return &refs;
      ids.pop_back();
    }
    return nullptr;
  };
  ClientCursor* current = next_target();
  if (current == nullptr) return std::nullopt;

  boost::container::small_vector<StructRef*, 4> stack;
  std::map<ClientId, std::vector<const StructRef*>> rest;
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
    for (StructRef* s : stack) {
      const ClientId client = s->item->id.client;
      ClientCursor* refs = client_refs.find(client);
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

  StructRef* head = &(*current->refs)[current->next++];
  while (true) {
    if (head->kind != StructKind::skip) {
      const ClientId client = head->item->id.client;
      Clock* cached = state_cache.find(client);
      const Clock local_clock = cached != nullptr ? *cached : (state_cache[client] = store_.state(client));
      if (local_clock < head->item->id.clock) {
        // An earlier update from this client is missing.
        stack.push_back(head);
        update_missing(client, head->item->id.clock - 1);
        add_stack_to_rest();
      } else {
        const std::uint64_t offset = local_clock - head->item->id.clock;
        std::optional<ClientId> missing =
            head->kind == StructKind::item ? missing_dependency(*head) : std::nullopt;
        if (missing) {
          stack.push_back(head);
          ClientCursor* refs = client_refs.find(*missing);
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
          if (offset == 0 || offset < head->item->length) {
            integrate(*head, resolved, offset);
            state_cache[client] = head->item->end_clock();
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

  UpdateEncoderV2 encoder;  // the items not integrated are given back by the caller
  encoder.rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& structs = it->second;
    encoder.rest().write_var_uint(structs.size());
    encoder.write_client(it->first);
    encoder.rest().write_var_uint(structs.front()->item->id.clock);
    for (const StructRef* s : structs) write_ref(encoder, *s, roots_);
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

void Integrator::apply(Transaction& transaction, DecodedItems& update) {
  Doc& doc = transaction.doc;
  StructStore& store = transaction.store;
  IntegrationRun run(transaction, doc, update.root_names);
  std::optional<Rest> rest;
  try {
    rest = run.integrate_structs(update.clients);
  } catch (...) {
    discard(store, update);
    throw;
  }
  discard(store, update);

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
    DecodedItems decoded;
    read(store, decoder, pending.size(), decoded);
    apply(transaction, decoded);
  }
}

}  // namespace agora::crdt
