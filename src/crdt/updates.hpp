#pragma once
// Operations on encoded updates that need no document (yjs/src/utils/updates.js): merging,
// diffing against a state vector, state vectors of updates, and v1 <-> v2 conversion. Every
// output is byte for byte what Yjs 13.6 produces for the same input.

#include "crdt/error.hpp"
#include "crdt/id.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace agora::crdt {

/// A state vector: for each client, the next clock expected.
using StateVector = std::map<ClientId, Clock>;

/// Y.mergeUpdates: one v1 update holding everything the v1 `updates` hold. Unlike Yjs, a single
/// update is checked before it is returned unchanged.
Result<std::vector<std::uint8_t>> merge_updates(
    std::span<const std::span<const std::uint8_t>> updates);
/// Y.mergeUpdatesV2: the same for v2 updates.
Result<std::vector<std::uint8_t>> merge_updates_v2(
    std::span<const std::span<const std::uint8_t>> updates);

/// Y.diffUpdate: the part of the v1 `update` that a peer at the (encoded) `state_vector` lacks,
/// plus the whole delete set.
Result<std::vector<std::uint8_t>> diff_update(std::span<const std::uint8_t> update,
                                              std::span<const std::uint8_t> state_vector);
/// Y.diffUpdateV2: the same for a v2 update (the state vector is in its one format).
Result<std::vector<std::uint8_t>> diff_update_v2(std::span<const std::uint8_t> update,
                                                 std::span<const std::uint8_t> state_vector);

/// Y.encodeStateVectorFromUpdate: the encoded state vector of what a v1 update holds from clock 0
/// on without gaps.
Result<std::vector<std::uint8_t>> encode_state_vector_from_update(
    std::span<const std::uint8_t> update);
/// Y.encodeStateVectorFromUpdateV2: the same for a v2 update (the result is the same format).
Result<std::vector<std::uint8_t>> encode_state_vector_from_update_v2(
    std::span<const std::uint8_t> update);

/// Y.convertUpdateFormatV1ToV2.
Result<std::vector<std::uint8_t>> convert_update_v1_to_v2(std::span<const std::uint8_t> update);
/// Y.convertUpdateFormatV2ToV1.
Result<std::vector<std::uint8_t>> convert_update_v2_to_v1(std::span<const std::uint8_t> update);

/// Y.decodeStateVector; a client listed twice keeps its last clock, as Yjs's Map does. Refuses
/// clients and clocks beyond 2^53 and truncated input.
Result<StateVector> decode_state_vector(std::span<const std::uint8_t> state_vector);
/// Y.encodeStateVector of a map: clients in descending order.
std::vector<std::uint8_t> encode_state_vector(const StateVector& state_vector);

namespace detail {

/// How merge_updates picks the next struct; only tests choose anything but `automatic`.
enum class MergeStrategy : std::uint8_t {
  /// `fast`, starting over with `literal` when the order would depend on Yjs's sort quirk (a GC
  /// and an item at the same id) and the input is small enough to afford it.
  automatic,
  /// O(log n) per step; may pick differently from Yjs at a GC/item tie.
  fast,
  /// Yjs's own loop, re-sorting every reader each step with V8's sort (quadratic).
  literal,
};

/// merge_updates (v2 = false) or merge_updates_v2 with a chosen strategy.
Result<std::vector<std::uint8_t>> merge_updates_with(
    std::span<const std::span<const std::uint8_t>> updates, bool v2, MergeStrategy strategy);

/// Sorts `values` exactly as V8's Array.prototype.sort (Node 20) does with comparator
/// `compare(a, b)` returning <0, 0 or >0, making the same comparisons in the same order, so
/// even an inconsistent comparator gives the permutation V8 gives.
void v8_sort(std::vector<std::uint32_t>& values,
             int (*compare)(std::uint32_t, std::uint32_t, const void*), const void* context);

}  // namespace detail

}  // namespace agora::crdt
