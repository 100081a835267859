#pragma once
// A Yjs document in C++: integrates v1 and v2 updates exactly as Yjs 13.6 does, encodes its
// state byte for byte like Yjs, and edits its shared types locally.

#include "crdt/editing.hpp"  // TextEditor and the other editors of shared types
#include "crdt/error.hpp"
#include "crdt/id.hpp"
#include "crdt/type.hpp"
#include "crdt/updates.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {

class StructStore;
struct Transaction;

/// Update encodings.
enum class Format { v1, v2 };

/// One Yjs document.
class Doc {
 public:
  struct Options {
    /// Garbage-collect deleted content (Yjs's `gc`, on by default).
    bool gc = true;
  };

  /// A document that edits as `client_id` (below 2^53).
  explicit Doc(ClientId client_id, Options options);
  explicit Doc(ClientId client_id) : Doc(client_id, Options{}) {}
  ~Doc();
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  ClientId client_id() const { return client_id_; }

  /// Applies an update. A malformed update returns an Error naming what was wrong and leaves
  /// the document exactly as it was; one with missing dependencies is kept pending.
  Result<void> apply_update(std::span<const std::uint8_t> update, Format format = Format::v1);

  /// encodeStateAsUpdate: everything the document holds that `state_vector` (encoded; empty =
  /// nothing) lacks, pending data included.
  Result<std::vector<std::uint8_t>> encode_state_as_update(
      std::span<const std::uint8_t> state_vector = {}, Format format = Format::v1) const;
  /// encodeStateVector.
  std::vector<std::uint8_t> encode_state_vector() const;
  /// The state vector as a map.
  StateVector state_vector() const;

  /// The root type `name`, created empty if no update named it yet. `kind` fixes what an
  /// unnamed-kind root is read as (Yjs's getText / getMap / ... on an untyped root).
  Type& root(std::string_view name, TypeKind kind);
  /// The root type `name` if any update or call named it.
  Type* find_root(std::string_view name) const;

  /// Runs `edit` as one local transaction and returns the v1 update Yjs would emit for it
  /// (empty if nothing changed).
  std::vector<std::uint8_t> transact(const std::function<void(Transaction&)>& edit);

  /// Whether structs or deletes are waiting for missing dependencies.
  bool has_pending() const;

  StructStore& store() { return *store_; }
  const StructStore& store() const { return *store_; }
  bool gc_enabled() const { return options_.gc; }

 private:
  ClientId client_id_;
  Options options_;
  std::unique_ptr<StructStore> store_;
  std::map<std::string, std::unique_ptr<Type>, std::less<>> roots_;
  Transaction* transaction_ = nullptr;

  friend struct Transaction;
  friend class Integrator;
  template <typename Decoder>
  Result<void> apply_with(std::span<const std::uint8_t> update);
};

}  // namespace agora::crdt
