#pragma once
// The inside of a document: the struct store (every client's structs in clock order) and the
// transaction that integrates, splits, deletes and merges them (yjs/src/utils/StructStore.js,
// Transaction.js, structs/Item.js). Only the crdt library includes this header.

#include "crdt/delete_set.hpp"
#include "crdt/item.hpp"
#include "crdt/structs.hpp"
#include "crdt/type.hpp"

#include <cstdint>
#include <memory>
#include <optional>
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
  static std::size_t find_index(const std::vector<Item*>& structs, Clock clock);
  /// The struct holding `id`; the id must exist.
  Item* find(Id id);
  /// Appends a struct that continues its client's sequence.
  void add(Item* item);

  /// A fresh item owned by the store (freed with the store or by release()).
  Item* allocate();
  /// Frees an item that no longer appears anywhere (merged into its left neighbour).
  void release(Item* item);

  std::unordered_map<ClientId, std::vector<Item*>> clients;
  std::optional<PendingStructs> pending_structs;
  /// Delete ranges for clocks not yet seen, as a v2 update with no structs.
  std::optional<std::vector<std::uint8_t>> pending_delete_set;

 private:
  std::vector<std::unique_ptr<Item[]>> blocks_;
  std::size_t used_in_last_block_ = 0;
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
  const std::vector<std::pair<ClientId, Clock>>& advanced_clients() const { return advanced_; }
  /// Adds a struct to the store, remembering its client's state before the first one.
  void add_struct(Item* item);
  DeleteSet delete_set;
  /// Ids of items that were split, to merge again at cleanup.
  std::vector<Id> merge_structs;
  /// Shared types changed by this transaction (Yjs's transaction.changed), each once.
  std::vector<Type*> changed;
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
  std::size_t merge_with_lefts(std::vector<Item*>& structs, std::size_t pos);
  void try_gc_delete_set(const DeleteSet& set);
  void try_merge_delete_set(const DeleteSet& set);
  void cleanup_formatting();

  std::vector<std::pair<ClientId, Clock>> advanced_;
};

/// Integrates decoded structs and delete sets into a document (readUpdateV2 in encoding.js).
class Integrator {
 public:
  /// Applies one decoded update inside `transaction`, keeping what cannot be integrated yet as
  /// pending data.
  static void apply(Transaction& transaction, DecodedUpdate&& update);
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
