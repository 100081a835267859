#pragma once
// Snapshots (yjs/src/utils/Snapshot.js): a document's state at one moment as its delete set and
// state vector, small enough to keep for every version. Reading a text as it was at a snapshot
// needs a document that keeps deleted content (Doc::Options{.gc = false}).

#include "crdt/delete_set.hpp"
#include "crdt/doc.hpp"
#include "crdt/error.hpp"
#include "crdt/readers.hpp"
#include "crdt/updates.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace agora::crdt {

/// What a document held at one moment: every client's next clock, and what was deleted.
struct Snapshot {
  DeleteSet delete_set;
  StateVector state_vector;
};

/// Y.snapshot(doc).
Snapshot snapshot(const Doc& doc);

/// Y.encodeSnapshot (v1) or Y.encodeSnapshotV2 (v2). v2 needs each client's delete ranges
/// sorted and disjoint (as snapshot() and every v2 decoding give them) and throws
/// std::invalid_argument otherwise.
std::vector<std::uint8_t> encode_snapshot(const Snapshot& snapshot, Format format = Format::v1);
/// Y.decodeSnapshot (v1) or Y.decodeSnapshotV2 (v2); refuses malformed input.
Result<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes, Format format = Format::v1);

/// Y.equalSnapshots: the same state vector and the same delete ranges, client by client, in
/// the same order.
bool equal_snapshots(const Snapshot& a, const Snapshot& b);

/// isVisible(item, snapshot) for one unit: it existed at the snapshot and was not deleted.
bool visible_at(const Snapshot& snapshot, Id id);

/// YText.toDelta(snapshot): the Text or XmlText as it read at `snapshot`. Content whose item was
/// garbage-collected since is missing, as in Yjs.
std::vector<DeltaOp> text_delta_at(const Type& text, const Snapshot& snapshot);
/// The visible text at `snapshot`, in UTF-8.
std::string text_at(const Type& text, const Snapshot& snapshot);

}  // namespace agora::crdt
