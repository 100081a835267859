#pragma once
// Structs as an update carries them (the refs of readClientsStructRefs in
// yjs/src/utils/encoding.js), for merging and diffing updates without a document. A document
// decodes its updates straight into items instead (Integrator::read in store.hpp).

#include "crdt/content.hpp"
#include "crdt/delete_set.hpp"
#include "crdt/id.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace agora::crdt {

/// The info byte of a struct (Item.write): its content kind in the low bits, flags above.
inline constexpr std::uint8_t kGcRef = 0;
inline constexpr std::uint8_t kSkipRef = 10;
inline constexpr std::uint8_t kOriginBit = 0x80;
inline constexpr std::uint8_t kRightOriginBit = 0x40;
inline constexpr std::uint8_t kParentSubBit = 0x20;
inline constexpr std::uint8_t kContentMask = 0x1f;

/// "(client, clock)", for error messages.
std::string describe(Id id);
/// Throws DecodeError unless `ref` (an origin or parent of the struct `id`) names a unit that
/// existed when the struct was made: for its own client, an earlier clock; for any, below 2^53.
/// Anything else is a forged update (and would make Yjs throw).
void check_own_reference(Id id, Id ref, const char* what);

/// What an item names as its parent when neither origin is present.
struct ParentRef {
  enum class Kind : std::uint8_t { none, root, item };
  Kind kind = Kind::none;
  /// The root type's name (Kind::root).
  std::string root;
  /// The id of the item holding the parent type (Kind::item).
  Id item;
};

enum class StructKind : std::uint8_t { gc, skip, item };

/// One struct of an update.
struct DecodedStruct {
  StructKind kind = StructKind::item;
  bool has_origin = false;
  bool has_right_origin = false;
  bool has_parent_sub = false;
  Id id;
  std::uint64_t length = 0;
  Id origin;
  Id right_origin;
  ParentRef parent;
  std::string parent_sub;
  Content content;

  Clock end_clock() const { return id.clock + length; }
  /// Writes the struct from `offset` on (Item.write / GC.write / Skip.write).
  template <typename Encoder>
  void write(Encoder& encoder, std::uint64_t offset) const;
};

/// The structs of one client in an update, in clock order.
struct ClientStructs {
  ClientId client = 0;
  std::vector<DecodedStruct> structs;
};

/// A whole decoded update.
struct DecodedUpdate {
  /// Client blocks in the order the update lists them.
  std::vector<ClientStructs> clients;
  DeleteSet delete_set;
};

/// Reads the client blocks of an update (not the delete set that follows). Checks clocks stay
/// below 2^53, counts match the bytes present and references to a client's own later clocks;
/// throws DecodeError naming the problem. At most `max_structs` structs are accepted in all, so
/// memory stays proportional to the input even when v2's run-length columns repeat forever.
template <typename Decoder>
std::vector<ClientStructs> read_client_structs(Decoder& decoder, std::uint64_t max_structs);

/// The struct limit for an update of `update_size` bytes. A v1 struct takes at least two bytes;
/// v2's run-length columns can describe structs almost for free, so a hostile v2 update could
/// otherwise claim gigabytes. Four per byte is far above what real clients send.
inline std::uint64_t max_structs_for(std::size_t update_size) { return 4 * update_size + 1024; }

/// read_client_structs into `clients`, reusing the blocks and struct vectors it already holds
/// (a document decodes every update into the same buffers, so most updates allocate nothing).
template <typename Decoder>
void read_client_structs_into(Decoder& decoder, std::uint64_t max_structs,
                              std::vector<ClientStructs>& clients);

/// Reads a whole update (client blocks, then the delete set).
template <typename Decoder>
DecodedUpdate read_update(Decoder& decoder, std::size_t update_size);
/// read_update into `update`, reusing its buffers.
template <typename Decoder>
void read_update_into(Decoder& decoder, std::size_t update_size, DecodedUpdate& update);

/// Writes structs[first..] of one client starting at `clock` (writeStructs in encoding.js).
template <typename Encoder>
void write_client_structs(Encoder& encoder, ClientId client,
                          const std::vector<DecodedStruct>& structs, Clock clock);

}  // namespace agora::crdt
