#pragma once
// The inside of a document: the struct store (every client's structs in clock order) and the
// transaction that integrates, splits, deletes and merges them (yjs/src/utils/StructStore.js,
// Transaction.js, structs/Item.js). Only the crdt library includes this header.

#include "crdt/delete_set.hpp"
#include "crdt/item.hpp"
#include "crdt/structs.hpp"
#include "crdt/type.hpp"

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace agora::crdt {

class Doc;

/// Structs a document could not integrate yet because a dependency is missing, kept as a v2
/// update exactly as Yjs keeps them, so encodeStateAsUpdate merges them in the same way.
struct PendingStructs {
  std::unordered_map<ClientId, Clock> missing;
  std::vector<std::uint8_t> update;
};

/// One client's structs in clock order, with no gaps. Behaves like a vector indexed by
/// position, but is kept in chunks of at most kChunkCapacity entries: splitting and merging
/// items inserts and erases in the middle of the sequence all the time, and moving a whole
/// vector's tail on each of those dominated integration of long documents.
///
/// Lookups through a non-const list remember where they landed, so that the next one nearby is
/// O(1); const lookups only read that memory, so const access from several threads stays safe.
class StructList {
 public:
  StructList() = default;
  StructList(StructList&&) noexcept = default;
  StructList& operator=(StructList&&) noexcept = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The struct at `index` (below size()).
  Item* operator[](std::size_t index) const {
    if (Item* item = near(index)) return item;
    const Place place = locate(index);
    return chunks_[place.chunk].items[index - place.start].item;
  }
  Item* operator[](std::size_t index) {
    if (Item* item = near(index)) return item;
    const Chunk& chunk = chunks_[chunk_of(index)];
    return chunk.items[index - chunk.start].item;
  }
  Item* front() const { return chunks_.front().items.front().item; }
  Item* back() const { return chunks_.back().items.back().item; }
  /// The clock after the last struct (0 when empty).
  Clock end_clock() const { return size_ == 0 ? 0 : back()->end_clock(); }

  /// Appends a struct.
  void push_back(Item* item);
  /// Inserts `item` before position `index` (index == size() appends).
  void insert(std::size_t index, Item* item);
  /// Erases positions [first, last).
  void erase(std::size_t first, std::size_t last);
  /// The position of the struct holding `clock`; throws std::logic_error when no struct holds it.
  std::size_t find_index(Clock clock) const;
  std::size_t find_index(Clock clock);
  /// Calls visit(item) for the structs at positions [first, size()) in order, and
  /// look_ahead(item) for the struct a few positions further on, so that the caller can ask
  /// for memory it will need before it needs it.
  template <typename Visit, typename LookAhead>
  void for_each_from(std::size_t first, Visit&& visit, LookAhead&& look_ahead) const {
    if (first >= size_) return;
    constexpr std::size_t kItemsAhead = 16;
    constexpr std::size_t kLookAhead = 8;
    const Place place = locate(first);
    std::size_t k = first - place.start;
    for (std::size_t c = place.chunk; c < chunks_.size(); ++c, k = 0) {
      const std::vector<Entry>& items = chunks_[c].items;
      const std::vector<Entry>* next = c + 1 < chunks_.size() ? &chunks_[c + 1].items : nullptr;
      for (; k < items.size(); ++k) {
        const std::size_t far = k + kItemsAhead;
        if (far < items.size()) {
          __builtin_prefetch(items[far].item);
        } else if (next != nullptr && far - items.size() < next->size()) {
          __builtin_prefetch((*next)[far - items.size()].item);
        }
        const std::size_t close = k + kLookAhead;
        if (close < items.size()) {
          look_ahead(items[close].item);
        } else if (next != nullptr && close - items.size() < next->size()) {
          look_ahead((*next)[close - items.size()].item);
        }
        visit(items[k].item);
      }
    }
  }

 private:
  static constexpr std::size_t kChunkCapacity = 128;
  /// A struct and its first clock, kept side by side so searches by clock touch no item.
  struct Entry {
    Clock clock;
    Item* item;
  };
  struct Chunk {
    /// Position of items[0] in the whole list; see start_valid.
    std::size_t start = 0;
    /// items[0].clock, kept here so that finding the chunk touches only chunks_.
    Clock first_clock = 0;
    std::vector<Entry> items;
  };
  /// A chunk and the position of its first struct.
  struct Place {
    std::size_t chunk;
    std::size_t start;
  };

  /// Chunk starts are recomputed lazily after an edit shifts them; the first and the last
  /// chunk's starts are always kept right.
  bool start_valid(std::size_t chunk) const {
    return chunk < valid_starts_ || chunk + 1 == chunks_.size();
  }
  /// The struct at `index` if it is in the remembered chunk or the last one, else null.
  Item* near(std::size_t index) const {
    if (start_valid(hint_)) {
      const Chunk& chunk = chunks_[hint_];
      if (index - chunk.start < chunk.items.size()) return chunk.items[index - chunk.start].item;
    }
    const Chunk& last = chunks_.back();
    if (index >= last.start) return last.items[index - last.start].item;
    return nullptr;
  }
  /// The chunk holding position `index` (below size_), without remembering anything.
  Place locate(std::size_t index) const;
  /// The chunk holding `clock` and the offset of the struct holding it, without remembering.
  Place locate_clock(Clock clock, std::size_t& offset) const;
  /// The chunk holding position `index` (below size_), its start made valid; sets the hint.
  std::size_t chunk_of(std::size_t index);
  /// Makes chunks_[chunk].start valid.
  void validate_start(std::size_t chunk);
  /// After the size of chunks_[chunk] changed, or chunks after it were added or removed.
  void changed(std::size_t chunk);
  /// Joins a small chunk with a neighbour so chunks stay well filled.
  void rebalance(std::size_t chunk);

  std::vector<Chunk> chunks_;
  std::size_t size_ = 0;
  /// Chunks below this index have a valid `start`.
  std::size_t valid_starts_ = 0;
  /// The chunk of the last access away from the end: edits and scans stay near one place.
  /// Accesses to the last chunk (appends and the merges after them) leave it alone, so that a
  /// typist's lookups in the middle of a text keep finding their place.
  std::size_t hint_ = 0;
  /// Where in chunks_[hint_] the last find_index landed (a guess, checked before use).
  std::size_t offset_hint_ = 0;
};

/// One struct of an update as a document decodes it: straight into a store item that is not
/// linked anywhere yet (as Yjs's readClientsStructRefs makes Item objects), so integrating it
/// moves nothing. Skip structs get an item too, only to carry their id and length.
struct StructRef {
  Item* item = nullptr;
  /// The parent an item without origins names (item->parent stays null until integration).
  Id parent_item;
  /// Index of the parent root's name in DecodedItems::root_names.
  std::uint32_t root_name = 0;
  StructKind kind = StructKind::item;
  ParentRef::Kind parent_kind = ParentRef::Kind::none;
  /// Whether the item went into the store; the others are given back after the update.
  bool integrated = false;
  /// Whether the item was a released one reused (see StructStore::rollback).
  bool reused = false;
};

/// The structs of one client in an update, in clock order.
struct ClientRefs {
  ClientId client = 0;
  std::vector<StructRef> structs;
};

/// An update decoded for one document.
struct DecodedItems {
  std::vector<ClientRefs> clients;
  std::vector<std::string> root_names;
  DeleteSet delete_set;
};

/// Every client's structs, plus what is pending.
class StructStore {
 public:
  StructStore() = default;
  StructStore(const StructStore&) = delete;
  StructStore& operator=(const StructStore&) = delete;
  ~StructStore();

  /// The next clock expected from `client`.
  Clock state(ClientId client) const;
  /// Every client's next clock.
  std::unordered_map<ClientId, Clock> state_vector() const;
  /// Index of the struct holding `clock`; the clock must be below state(client).
  static std::size_t find_index(const StructList& structs, Clock clock) {
    return structs.find_index(clock);
  }
  /// The structs of `client`; the client must have some.
  StructList& structs_of(ClientId client);
  /// The structs of `client`, or null. The non-const overload remembers the client, as most
  /// work touches one client many times in a row.
  StructList* find_structs(ClientId client);
  const StructList* find_structs(ClientId client) const;
  /// The struct holding `id`; the id must exist.
  Item* find(Id id);
  /// Appends a struct that continues its client's sequence.
  void add(Item* item);

  /// A fresh item owned by the store (freed with the store or by release()).
  Item* allocate();
  /// How far new items have been handed out, to roll back to.
  struct Mark {
    std::size_t blocks = 0;
    std::size_t used = 0;
  };
  Mark mark() const {
    return blocks_.empty() ? Mark{} : Mark{blocks_.size(), blocks_.back().used};
  }
  /// Makes room for `count` more new items in one block, so a whole document's worth of items
  /// is one allocation, faulted in at once rather than page by page as items are made.
  void reserve(std::size_t count);
  /// allocate(), saying whether the item is a released one reused (else it is new).
  Item* allocate(bool& reused);
  /// Destroys every new item handed out since `mark` and frees the blocks added for them (reused
  /// items must be released first): a refused update keeps no memory.
  void rollback(Mark mark);
  /// Frees an item that no longer appears anywhere (merged into its left neighbour).
  void release(Item* item);

  std::unordered_map<ClientId, StructList> clients;
  std::optional<PendingStructs> pending_structs;
  /// Delete ranges for clocks not yet seen, as a v2 update with no structs.
  std::optional<std::vector<std::uint8_t>> pending_delete_set;
  /// Where the document decodes each update, kept so that its buffers are reused.
  DecodedItems decode_buffer;

 private:
  // The last client looked up. Values of an unordered_map stay where they are when it
  // rehashes, and clients are never removed.
  ClientId cached_client_ = 0;
  StructList* cached_structs_ = nullptr;

  // Items live in blocks that grow with the document (a small document does not pay for a
  // big block) and are constructed only when handed out, so memory is touched as it is used.
  struct ItemBlock {
    Item* items = nullptr;
    std::size_t capacity = 0;
    std::size_t used = 0;
  };
  Item* allocate_new();

  std::vector<ItemBlock> blocks_;
  std::vector<Item*> free_;
};

/// One batch of changes to a document; cleanup() runs Yjs's end-of-transaction work.
struct Transaction {
  Transaction(Doc& doc, bool local);

  Doc& doc;
  StructStore& store;
  bool local;
  /// The state of `client` when the transaction began.
  Clock before_state(ClientId client) const;
  /// Clients whose state this transaction advanced, with their state before it (Yjs keeps a
  /// whole state vector; recording only what changes keeps a transaction O(1) in clients).
  std::span<const std::pair<ClientId, Clock>> advanced_clients() const { return advanced_; }
  /// Adds a struct to the store, remembering its client's state before the first one.
  void add_struct(Item* item);
  DeleteSet delete_set;
  /// Ids of items that were split, to merge again at cleanup.
  // Small inline buffers: a transaction usually touches one client and a few items, and
  // documents run one transaction per update.
  boost::container::small_vector<Id, 4> merge_structs;
  /// Shared types changed by this transaction (Yjs's transaction.changed), each once.
  boost::container::small_vector<Type*, 2> changed;
  /// The formatting-cleanup transaction Yjs opens during cleanup and cleans up after this one.
  std::unique_ptr<Transaction> deferred_;

  Item* item_clean_start(Id id);
  Item* item_clean_end(Id id);
  /// Splits `left` at `diff` and returns the right part (splitItem).
  Item* split(Item* left, std::uint64_t diff);
  /// Deletes `item` and, for types, everything in them (Item.delete).
  void delete_item(Item* item);
  /// Integrates a new item whose left/right/origins are already resolved (Item.integrate with
  /// offset 0).
  void integrate(Item* item);
  void add_changed_type(Type* type);
  /// GC, merges and formatting cleanup (cleanupTransactions), in the order Yjs does them.
  void cleanup();

  /// Item.gc: drops a deleted item's content, keeping its length; inside a garbage-collected
  /// type (`parent_gcd`) the item becomes a GC struct.
  static void gc_item(StructStore& store, Item* item, bool parent_gcd);

 private:
  static void gc_type_content(StructStore& store, Type& type);
  /// Merges structs[pos] with its left neighbours while Yjs would; returns how many merged.
  std::size_t merge_with_lefts(StructList& structs, std::size_t pos);
  void try_gc_delete_set(const DeleteSet& set);
  void try_merge_delete_set(const DeleteSet& set);
  void cleanup_formatting();

  boost::container::small_vector<std::pair<ClientId, Clock>, 2> advanced_;
};

/// Integrates decoded structs and delete sets into a document (readUpdateV2 in encoding.js).
class Integrator {
 public:
  /// Reads a whole update into `update` (reusing its buffers), its structs into items of the
  /// store. Throws DecodeError on malformed input, having freed every item it made, so the
  /// document is unchanged. Checks as read_update does.
  template <typename Decoder>
  static void read(StructStore& store, Decoder& decoder, std::size_t update_size,
                   DecodedItems& update);
  /// Applies one update read by read() inside `transaction`, keeping what cannot be integrated
  /// yet as pending data. Consumes the update's items (its buffers stay for reuse).
  static void apply(Transaction& transaction, DecodedItems& update);
  /// Gives back the items of a read update that apply() was not called on.
  static void discard(StructStore& store, DecodedItems& update);
};

/// A position in a list type: the item to the left, the item to the right and the index.
struct ListPosition {
  Item* left = nullptr;
  Item* right = nullptr;
  std::uint64_t index = 0;
};

/// Finds the position `index` visible units into `type`, splitting an item if the index falls
/// inside it. Uses and updates the type's cached marker so sequential edits stay O(1).
ListPosition find_position(Transaction& transaction, Type& type, std::uint64_t index);

}  // namespace agora::crdt
