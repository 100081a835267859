#pragma once
// Relative (sticky) positions (yjs/src/utils/RelativePosition.js): a place in a Text or list
// named by the id of the unit next to it rather than by an index, so it stays on its character
// while others insert and delete around it. Comments anchored to text keep two of them.

#include "crdt/error.hpp"
#include "crdt/id.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {

class Doc;
class Type;

/// One relative position. Exactly one of `item`, `root_name` or `type` decides where it points
/// (in that order); the others are kept as Yjs keeps them.
struct RelativePosition {
  /// The item id of the nested type the position is in (Yjs's `type`); unset for root types.
  std::optional<Id> type;
  /// The name of the root type the position is in (Yjs's `tname`).
  std::optional<std::string> root_name;
  /// The unit the position sticks to; unset: the start or end of the type, by `assoc`.
  std::optional<Id> item;
  /// >= 0: the position sticks to the unit after it; < 0: to the unit before it.
  std::int64_t assoc = 0;

  /// compareRelativePositions.
  friend bool operator==(const RelativePosition&, const RelativePosition&) = default;
};

/// createRelativePositionFromTypeIndex: the position `index` units into the list of `type` (a
/// Text, Array or Xml type of a document), sticking to the unit after it (assoc >= 0) or before.
RelativePosition relative_position_from_index(const Type& type, std::uint64_t index,
                                              std::int64_t assoc = 0);

/// encodeRelativePosition.
std::vector<std::uint8_t> encode_relative_position(const RelativePosition& position);
/// decodeRelativePosition; refuses truncated input and unknown kinds (which Yjs would read as a
/// position that points nowhere).
Result<RelativePosition> decode_relative_position(std::span<const std::uint8_t> bytes);

/// relativePositionToJSON, as JSON.stringify prints it.
std::string relative_position_to_json(const RelativePosition& position);
/// createRelativePositionFromJSON, from the JSON text relative_position_to_json gives.
Result<RelativePosition> relative_position_from_json(std::string_view json);

/// Where a relative position points now: a type and an index into it.
struct AbsolutePosition {
  Type* type = nullptr;
  std::uint64_t index = 0;
  std::int64_t assoc = 0;
};

/// createAbsolutePositionFromRelativePosition: the current index of `position` in `doc`, or
/// nothing when its item or type is not in the document (not received yet, or garbage-collected).
/// A position in a deleted type points at index 0 of it. Names a root type into existence, as
/// Yjs's doc.get does.
std::optional<AbsolutePosition> absolute_position(Doc& doc, const RelativePosition& position);

}  // namespace agora::crdt
