#include "crdt/doc.hpp"

#include "crdt/store.hpp"
#include "crdt/update_codec.hpp"
#include "crdt/updates.hpp"

#include <algorithm>

namespace agora::crdt {

Doc::Doc(ClientId client_id, Options options)
    : client_id_(client_id), options_(options), store_(std::make_unique<StructStore>()) {}

Doc::~Doc() {
  // Nested types are owned by items' content; items live in the store. Roots go last.
  store_.reset();
}

Type& Doc::root(std::string_view name, TypeKind kind) {
  auto found = roots_.find(name);
  if (found == roots_.end()) {
    auto type = std::make_unique<Type>(kind);
    type->root_name_ = std::string(name);
    found = roots_.emplace(std::string(name), std::move(type)).first;
  } else if (found->second->kind_ == TypeKind::unknown && kind != TypeKind::unknown) {
    // Like Yjs's doc.get(name, YText) on a root an update created untyped: Yjs makes a new
    // type object that takes over the items but not the has-formatting flag.
    found->second->kind_ = kind;
    found->second->has_formatting_ = false;
  }
  return *found->second;
}

Type* Doc::find_root(std::string_view name) const {
  auto found = roots_.find(name);
  return found == roots_.end() ? nullptr : found->second.get();
}

bool Doc::has_pending() const {
  return store_->pending_structs.has_value() || store_->pending_delete_set.has_value();
}

namespace {

// The decode buffer is kept for the many small updates of live editing; one that held a whole
// document is given back rather than kept for the document's lifetime.
void release_if_large(DecodedItems& decoded) {
  constexpr std::size_t kKeptStructs = 256;
  std::size_t capacity = 0;
  for (const ClientRefs& block : decoded.clients) capacity += block.structs.capacity();
  if (capacity > kKeptStructs || decoded.clients.capacity() > 16) decoded = DecodedItems{};
}

}  // namespace

template <typename Decoder>
Result<void> Doc::apply_with(std::span<const std::uint8_t> update) {
  // Decode everything first: a malformed update must leave the document untouched. Structs are
  // decoded into items of the store that nothing links to until the update is applied.
  DecodedItems& decoded = store_->decode_buffer;
  try {
    Decoder decoder(update);
    Integrator::read(*store_, decoder, update.size(), decoded);
  } catch (const DecodeError& e) {
    release_if_large(decoded);
    return Error{e.what()};
  }
  if (transaction_ != nullptr) {
    Integrator::apply(*transaction_, decoded);
    release_if_large(decoded);
    return {};
  }
  Transaction transaction(*this, false);
  transaction_ = &transaction;
  try {
    Integrator::apply(transaction, decoded);
    transaction_ = nullptr;
    transaction.cleanup();
  } catch (const std::exception& e) {
    // Only a bug gets here (every input check happens while decoding). Refuse the update rather
    // than end the process; the caller should reload the document from storage.
    transaction_ = nullptr;
    release_if_large(decoded);
    return Error{std::string("internal error while applying the update (the document may be "
                             "inconsistent; reload it): ") + e.what()};
  }
  release_if_large(decoded);
  return {};
}

Result<void> Doc::apply_update(std::span<const std::uint8_t> update, Format format) {
  if (format == Format::v2) return apply_with<UpdateDecoderV2>(update);
  return apply_with<UpdateDecoderV1>(update);
}

namespace {

template <typename Encoder>
void write_item(Encoder& encoder, const Item& item, std::uint64_t offset) {
  if (item.is_gc()) {
    encoder.write_info(0);
    encoder.write_len(item.length - offset);
    return;
  }
  const bool write_origin = offset > 0 || item.has_origin();
  const Id origin = offset > 0 ? Id{item.id.client, item.id.clock + offset - 1} : item.origin;
  const auto info = static_cast<std::uint8_t>(
      (static_cast<std::uint8_t>(item.content.kind()) & 0x1f) | (write_origin ? 0x80 : 0) |
      (item.has_right_origin() ? 0x40 : 0) | (item.has_parent_sub() ? 0x20 : 0));
  encoder.write_info(info);
  if (write_origin) encoder.write_left_id(origin);
  if (item.has_right_origin()) encoder.write_right_id(item.right_origin);
  if (!write_origin && !item.has_right_origin()) {
    const Type& parent = *item.parent;
    if (parent.item() == nullptr) {
      encoder.write_parent_info(true);
      encoder.write_string(parent.root_name());
    } else {
      encoder.write_parent_info(false);
      encoder.write_left_id(parent.item()->id);
    }
    if (item.has_parent_sub()) encoder.write_string(item.parent_sub);
  }
  item.content.write(encoder, offset);
}

// Deleted structs, touching ones joined into one range (createDeleteSetFromStructStore), fed
// one struct at a time in clock order.
class DeletedRuns {
 public:
  void add(const Item& item) {
    if (!item.deleted()) return;
    if (!ranges_.empty() && ranges_.back().end() == item.id.clock && last_deleted_) {
      ranges_.back().length += item.length;
    } else {
      ranges_.push_back({item.id.clock, item.length});
    }
    last_deleted_ = true;
  }
  void skip() { last_deleted_ = false; }
  std::vector<DeleteRange> take() { return std::move(ranges_); }

 private:
  std::vector<DeleteRange> ranges_;
  bool last_deleted_ = false;
};

// writeStructs for each (client, clock) in `from`, highest client id first. When `deletes` is
// given, the deleted ranges of every client written from its first struct are collected on the
// way (and the client added to `collected`), saving encode_store a second walk over every item.
template <typename Encoder>
void write_structs_since(Encoder& encoder, const StructStore& store,
                         std::span<const std::pair<ClientId, Clock>> clients,
                         DeleteSet* deletes = nullptr, std::vector<ClientId>* collected = nullptr) {
  boost::container::small_vector<std::pair<ClientId, Clock>, 4> from(clients.begin(),
                                                                     clients.end());
  std::sort(from.begin(), from.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  encoder.rest().write_var_uint(from.size());
  for (auto [client, clock] : from) {
    const StructList& structs = *store.find_structs(client);
    clock = std::max(clock, structs.front()->id.clock);
    const std::size_t first = structs.find_index(clock);
    const std::size_t count = structs.size();
    DeletedRuns runs;
    const bool collect = deletes != nullptr && first == 0;
    encoder.rest().write_var_uint(count - first);
    encoder.write_client(client);
    encoder.rest().write_var_uint(clock);
    const Item& first_item = *structs[first];
    // Computed here, not in the lambda: clang 14 (fuzz builds) cannot capture a structured binding.
    const std::uint64_t first_offset = clock - first_item.id.clock;
    // Items of a long-edited document lie all over the heap, and writing the whole state
    // waits on memory more than it computes: the walk asks for items, then their text, ahead.
    structs.for_each_from(
        first,
        [&](const Item* item) {
          write_item(encoder, *item, item == &first_item ? first_offset : 0);
          if (!collect) return;
          if (item->deleted()) {
            runs.add(*item);
          } else {
            runs.skip();
          }
        },
        [](const Item* item) {
          if (const auto* text = item->content.get<StringContent>())
            __builtin_prefetch(text->text.data());
        });
    if (collect) {
      std::vector<DeleteRange> ranges = runs.take();
      if (!ranges.empty()) deletes->clients[client] = std::move(ranges);
      collected->push_back(client);
    }
  }
}

template <typename Encoder>
std::vector<std::uint8_t> encode_store(const StructStore& store, const StateVector& target) {
  Encoder encoder;
  // writeClientsStructs: every client whose state is ahead of `target`.
  std::vector<std::pair<ClientId, Clock>> from;
  // A guess at the size (a struct takes a dozen bytes or so besides its content, and content
  // rarely takes more bytes than clocks), to spare the reallocations of a growing buffer.
  std::size_t reserve = 0;
  for (const auto& [client, structs] : store.clients) {
    if (structs.empty()) continue;
    auto wanted = target.find(client);
    if (wanted == target.end()) {
      from.emplace_back(client, 0);
      // Capped by the struct count: a GC range can span 2^53 clocks in a few bytes.
      reserve += structs.size() * 12 + std::min(structs.end_clock(), structs.size() * 64);
    } else if (structs.end_clock() > wanted->second) {
      from.emplace_back(client, wanted->second);
    }
  }
  encoder.rest().reserve(reserve);
  DeleteSet deletes;
  std::vector<ClientId> collected;
  write_structs_since(encoder, store, from, &deletes, &collected);
  // The delete set covers every client, including those not written from their first struct.
  std::sort(collected.begin(), collected.end());
  for (const auto& [client, structs] : store.clients) {
    if (std::binary_search(collected.begin(), collected.end(), client)) continue;
    DeletedRuns runs;
    for (std::size_t i = 0; i < structs.size(); ++i) {
      if (structs[i]->deleted()) {
        runs.add(*structs[i]);
      } else {
        runs.skip();
      }
    }
    std::vector<DeleteRange> ranges = runs.take();
    if (!ranges.empty()) deletes.clients[client] = std::move(ranges);
  }
  deletes.write(encoder);
  return encoder.to_bytes();
}

}  // namespace

Result<std::vector<std::uint8_t>> Doc::encode_state_as_update(
    std::span<const std::uint8_t> state_vector, Format format) const {
  const std::uint8_t empty_vector[] = {0};
  if (state_vector.empty()) state_vector = empty_vector;
  auto target = decode_state_vector(state_vector);
  if (!target) return target.error();
  std::vector<std::uint8_t> state = format == Format::v1
                                        ? encode_store<UpdateEncoderV1>(*store_, *target)
                                        : encode_store<UpdateEncoderV2>(*store_, *target);
  if (!has_pending()) return state;
  // Pending data goes out too, merged in exactly as encodeStateAsUpdateV2 does.
  std::vector<std::vector<std::uint8_t>> parts;
  parts.push_back(std::move(state));
  if (store_->pending_delete_set) parts.push_back(*store_->pending_delete_set);
  if (store_->pending_structs) {
    auto diff = diff_update_v2(store_->pending_structs->update, state_vector);
    if (!diff) return diff.error();
    parts.push_back(std::move(*diff));
  }
  if (parts.size() == 1) return std::move(parts.front());
  if (format == Format::v1) {
    for (std::size_t i = 1; i < parts.size(); ++i) {
      auto v1 = convert_update_v2_to_v1(parts[i]);
      if (!v1) return v1.error();
      parts[i] = std::move(*v1);
    }
  }
  std::vector<std::span<const std::uint8_t>> views(parts.begin(), parts.end());
  return format == Format::v1 ? merge_updates(views) : merge_updates_v2(views);
}

StateVector Doc::state_vector() const {
  StateVector vector;
  for (const auto& [client, clock] : store_->state_vector()) vector.emplace(client, clock);
  return vector;
}

std::vector<std::uint8_t> Doc::encode_state_vector() const {
  return crdt::encode_state_vector(state_vector());
}

std::vector<std::uint8_t> Doc::transact(const std::function<void(Transaction&)>& edit) {
  if (transaction_ != nullptr) {
    edit(*transaction_);
    return {};
  }
  Transaction transaction(*this, true);
  transaction_ = &transaction;
  try {
    edit(transaction);
  } catch (...) {
    transaction_ = nullptr;
    transaction.cleanup();
    throw;
  }
  transaction_ = nullptr;
  transaction.cleanup();
  // writeUpdateMessageFromTransaction: only when something changed.
  if (transaction.delete_set.empty() && transaction.advanced_clients().empty()) return {};
  transaction.delete_set.sort_and_merge();
  UpdateEncoderV1 encoder;
  write_structs_since(encoder, *store_, transaction.advanced_clients());
  transaction.delete_set.write(encoder);
  return encoder.to_bytes();
}

}  // namespace agora::crdt
