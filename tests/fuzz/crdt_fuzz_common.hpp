#pragma once
// What the crdt fuzz targets share: how one fuzz input is cut into several updates, the check
// that turns a broken invariant into a finding, and the checks run on a Doc after updates were
// applied. src/crdt/fuzz_regression_test.cpp repeats the same steps on the inputs that once failed.

#include "crdt/doc.hpp"
#include "crdt/html.hpp"
#include "crdt/readers.hpp"
#include "crdt/updates.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crdt_fuzz {

namespace crdt = agora::crdt;
using Bytes = std::vector<std::uint8_t>;
using Part = std::span<const std::uint8_t>;

/// Separates the updates inside one fuzz input; also in tests/fuzz/crdt.dict so mutations insert
/// it, and written by tests/fuzz/make_crdt_corpus.mjs between the seeds' updates.
inline constexpr std::string_view kSeparator = "|ysep|";
/// More updates per input only slow the fuzzer down.
inline constexpr std::size_t kMaxParts = 16;

/// The updates in `input`: the pieces between separators, at most kMaxParts (the last one keeps
/// the rest of the input).
inline std::vector<Part> split_parts(Part input) {
  std::vector<Part> parts;
  const auto* separator = reinterpret_cast<const std::uint8_t*>(kSeparator.data());
  while (parts.size() + 1 < kMaxParts) {
    auto found = std::search(input.begin(), input.end(), separator, separator + kSeparator.size());
    if (found == input.end()) break;
    const auto at = static_cast<std::size_t>(found - input.begin());
    parts.push_back(input.first(at));
    input = input.subspan(at + kSeparator.size());
  }
  parts.push_back(input);
  return parts;
}

inline std::string hex(Part bytes, std::size_t limit = 256) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

/// Called with the description of a broken invariant before the process aborts; the regression
/// test sets it to throw, so a broken invariant fails one test instead of the whole binary.
inline void (*broken_handler)(const std::string& description) = nullptr;

[[noreturn]] inline void broken(const char* invariant, const std::string& detail) {
  const std::string description =
      std::string("invariant broken: ") + invariant + " [" + detail + "]";
  if (broken_handler != nullptr) broken_handler(description);
  std::fprintf(stderr, "%s\n", description.c_str());
  std::abort();
}

#define CRDT_FUZZ_CHECK(condition, detail)                       \
  do {                                                           \
    if (!(condition)) ::crdt_fuzz::broken(#condition, (detail)); \
  } while (false)

inline std::string error_of(const crdt::Error& error) {
  return error.message;
}

/// The state of `doc` in `format`, which must always be encodable.
inline Bytes state_of(const crdt::Doc& doc, crdt::Format format = crdt::Format::v1) {
  auto state = doc.encode_state_as_update({}, format);
  CRDT_FUZZ_CHECK(state.has_value(), error_of(state.error()));
  return std::move(*state);
}

/// Root names the seeds use (make_crdt_corpus.mjs) and TipTap's, with the kind each is read as
/// when no reader has typed it yet.
struct RootName {
  std::string_view name;
  crdt::TypeKind kind;
};
inline constexpr RootName kRootNames[] = {
    {"text", crdt::TypeKind::text},
    {"map", crdt::TypeKind::map},
    {"array", crdt::TypeKind::array},
    {"xml", crdt::TypeKind::xml_fragment},
    {"default", crdt::TypeKind::xml_fragment},
    {"prosemirror", crdt::TypeKind::xml_fragment},
};

/// Runs every reader that applies to the roots the updates named: none may crash, whatever the
/// updates put where. With `mismatched`, each root is read as the kind of the next name in
/// kRootNames instead (a Text read as a Map, an XmlFragment as an Array...), as a server reading a
/// document that a hostile client filled would.
inline void read_roots(crdt::Doc& doc, bool mismatched = false) {
  constexpr std::size_t kCount = std::size(kRootNames);
  for (std::size_t i = 0; i < kCount; ++i) {
    const std::string_view name = kRootNames[i].name;
    if (doc.find_root(name) == nullptr) continue;
    crdt::Type& type = doc.root(name, kRootNames[mismatched ? (i + 1) % kCount : i].kind);
    (void)crdt::type_to_json(type);
    switch (type.kind()) {
      case crdt::TypeKind::text:
      case crdt::TypeKind::xml_text:
        (void)crdt::text_to_string(type);
        (void)crdt::text_to_delta(type);
        break;
      case crdt::TypeKind::xml_fragment:
      case crdt::TypeKind::xml_element:
        (void)crdt::xml_to_string(type);
        (void)crdt::xml_to_html(type);
        (void)crdt::xml_to_plain_text(type);
        break;
      default:
        break;
    }
  }
}

/// Whether a document's state must also survive a reload byte for byte (CRDT_FUZZ_STRICT=1). Off
/// by default because Yjs itself is not idempotent on some hostile input (a map entry longer than
/// one unit, split by a later item: on reload the other half wins the key), and Agora does what
/// Yjs does; a strict-mode finding needs Yjs on the same input to tell a bug from Yjs's way.
inline const bool kStrict = [] {
  const char* value = std::getenv("CRDT_FUZZ_STRICT");
  return value != nullptr && std::string_view(value) == "1";
}();

/// Invariants of a document that took updates in `source` format: its state (v1, v2, and v1
/// converted to v2 and back) loads into fresh documents, with the same state vector when nothing
/// is pending; the v1 loads agree with each other; applying the state to the document itself
/// changes nothing; the document-free operations accept the state. Strict mode adds byte-for-byte
/// reloads.
inline void check_state_round_trip(crdt::Doc& doc, crdt::Format source) {
  const crdt::Doc::Options options{.gc = doc.gc_enabled()};
  const Bytes state = state_of(doc);
  const Bytes state_v2 = state_of(doc, crdt::Format::v2);
  const Bytes state_vector = doc.encode_state_vector();

  // Pending structs do not survive a round trip in Yjs either: merged into the state next to the
  // integrated structs, a pending item after a gap is encoded but a fresh document loading that
  // state can replace it with a Skip. Only the loading itself is checked then.
  const bool exact = !doc.has_pending();
  // v2 carries embeds, formats and JSON as lib0 `any`, which may hold a bigint; v1 holds them as
  // JSON text, which Agora writes with the exact digits (Yjs throws) and reads back as a double.
  // So only content that came in v1 loads the same from v1 and from v2.
  const bool same_in_both_formats = source == crdt::Format::v1;

  crdt::Doc from_v1(doc.client_id() + 1, options);
  auto applied = from_v1.apply_update(state, crdt::Format::v1);
  CRDT_FUZZ_CHECK(applied.has_value(), error_of(applied.error()) + " state " + hex(state));
  const Bytes reloaded = state_of(from_v1);
  if (exact) CRDT_FUZZ_CHECK(from_v1.encode_state_vector() == state_vector, hex(state));
  if (exact && kStrict && same_in_both_formats)
    CRDT_FUZZ_CHECK(reloaded == state, hex(state) + " became " + hex(reloaded));

  crdt::Doc from_v2(doc.client_id() + 2, options);
  applied = from_v2.apply_update(state_v2, crdt::Format::v2);
  CRDT_FUZZ_CHECK(applied.has_value(), error_of(applied.error()) + " state " + hex(state_v2));
  if (exact) CRDT_FUZZ_CHECK(from_v2.encode_state_vector() == state_vector, hex(state_v2));
  if (same_in_both_formats)
    CRDT_FUZZ_CHECK(
        state_of(from_v2) == reloaded,
        hex(state_v2) + " loads as " + hex(state_of(from_v2)) + ", v1 as " + hex(reloaded));
  if (exact && kStrict) {
    const Bytes again_v2 = state_of(from_v2, crdt::Format::v2);
    CRDT_FUZZ_CHECK(again_v2 == state_v2, hex(state_v2) + " became " + hex(again_v2));
    CRDT_FUZZ_CHECK(state_of(from_v2) == state,
                    hex(state_v2) + " loads as " + hex(state_of(from_v2)));
  }

  auto converted = crdt::convert_update_v1_to_v2(state);
  CRDT_FUZZ_CHECK(converted.has_value(), error_of(converted.error()) + " state " + hex(state));
  auto back = crdt::convert_update_v2_to_v1(*converted);
  CRDT_FUZZ_CHECK(back.has_value(), error_of(back.error()) + " state " + hex(state));
  // Not byte for byte: like Yjs's, the conversion drops the parentSub bit of items that have an
  // origin (they take the key from it); what the document loads from it is the same.
  crdt::Doc from_converted(doc.client_id() + 3, options);
  applied = from_converted.apply_update(*back, crdt::Format::v1);
  CRDT_FUZZ_CHECK(applied.has_value(), error_of(applied.error()) + " converted " + hex(*back));
  CRDT_FUZZ_CHECK(
      state_of(from_converted) == reloaded,
      hex(state) + " converted " + hex(*back) + " loads as " + hex(state_of(from_converted)));

  auto vector_of_state = crdt::encode_state_vector_from_update(state);
  CRDT_FUZZ_CHECK(vector_of_state.has_value(), error_of(vector_of_state.error()));
  auto diff = crdt::diff_update(state, state_vector);
  CRDT_FUZZ_CHECK(diff.has_value(), error_of(diff.error()));
  auto merged = crdt::merge_updates(std::vector<Part>{state, state});
  CRDT_FUZZ_CHECK(merged.has_value(), error_of(merged.error()));

  if (exact) {
    applied = doc.apply_update(state, crdt::Format::v1);
    CRDT_FUZZ_CHECK(applied.has_value(), error_of(applied.error()) + " state " + hex(state));
    CRDT_FUZZ_CHECK(state_of(doc) == state, hex(state) + " became " + hex(state_of(doc)));
  }
}

/// Applies each part of `input` in turn to a document with and one without garbage collection:
/// a refused update must leave the document exactly as it was; then the documents' invariants.
inline void apply_and_check(Part input, crdt::Format format) {
  const std::vector<Part> parts = split_parts(input);
  for (bool gc : {true, false}) {
    crdt::Doc doc(1, crdt::Doc::Options{.gc = gc});
    Bytes before = state_of(doc);
    Bytes vector_before = doc.encode_state_vector();
    for (Part part : parts) {
      const bool pending_before = doc.has_pending();
      auto applied = doc.apply_update(part, format);
      if (!applied) {
        CRDT_FUZZ_CHECK(!applied.error().message.empty(), hex(part));
        CRDT_FUZZ_CHECK(state_of(doc) == before, "refused " + hex(part) + " but changed the state");
        CRDT_FUZZ_CHECK(doc.encode_state_vector() == vector_before, hex(part));
        CRDT_FUZZ_CHECK(doc.has_pending() == pending_before, hex(part));
      } else {
        before = state_of(doc);
        vector_before = doc.encode_state_vector();
      }
    }
    check_state_round_trip(doc, format);
    read_roots(doc, /*mismatched=*/!gc);
  }
}

/// Bits of the first byte of a merge input.
inline constexpr std::uint8_t kModeV2 = 1;           // the parts are v2 updates
inline constexpr std::uint8_t kModeStateVector = 2;  // the last part is a state vector for diffs
/// Inputs up to this size are also merged with Yjs's quadratic loop, which the automatic merge
/// must agree with on inputs this small.
inline constexpr std::size_t kLiteralMergeLimit = 4096;

/// The document-free operations on the parts of a merge input (see the mode bits): merging with
/// every strategy, diffing each part and the merge against a state vector, state vectors of
/// updates, and the same merge done in the other format; then invariants of the merged update.
inline void merge_and_check(Part input) {
  if (input.empty()) return;
  const bool v2 = (input[0] & kModeV2) != 0;
  std::vector<Part> parts = split_parts(input.subspan(1));
  const Bytes empty_state_vector{0};
  Part state_vector = empty_state_vector;
  if ((input[0] & kModeStateVector) != 0 && parts.size() > 1) {
    state_vector = parts.back();
    parts.pop_back();
  }
  const auto merge = v2 ? crdt::merge_updates_v2 : crdt::merge_updates;
  const auto diff = v2 ? crdt::diff_update_v2 : crdt::diff_update;
  const auto vector_from =
      v2 ? crdt::encode_state_vector_from_update_v2 : crdt::encode_state_vector_from_update;
  const auto to_other = v2 ? crdt::convert_update_v2_to_v1 : crdt::convert_update_v1_to_v2;
  const auto from_other = v2 ? crdt::convert_update_v1_to_v2 : crdt::convert_update_v2_to_v1;
  const auto merge_other = v2 ? crdt::merge_updates : crdt::merge_updates_v2;
  const bool state_vector_valid = crdt::decode_state_vector(state_vector).has_value();

  for (Part part : parts) {
    (void)vector_from(part);
    auto diffed = diff(part, state_vector);
    CRDT_FUZZ_CHECK(!diffed || state_vector_valid,
                    "diff accepted state vector " + hex(state_vector));
    if (diffed) {
      auto vector_of_diff = vector_from(*diffed);
      CRDT_FUZZ_CHECK(vector_of_diff.has_value(),
                      error_of(vector_of_diff.error()) + " diff " + hex(*diffed));
    }
  }

  auto merged = merge(parts);
  if (input.size() <= kLiteralMergeLimit) {
    auto literal =
        crdt::detail::merge_updates_with(parts, v2, crdt::detail::MergeStrategy::literal);
    CRDT_FUZZ_CHECK(merged.has_value() == literal.has_value(),
                    merged ? "literal merge failed: " + error_of(literal.error())
                           : "only the literal merge succeeded: " + error_of(merged.error()));
    if (merged)
      CRDT_FUZZ_CHECK(*merged == *literal, hex(*merged) + " but literally " + hex(*literal));
  }
  (void)crdt::detail::merge_updates_with(parts, v2, crdt::detail::MergeStrategy::fast);
  if (!merged) return;
  const Bytes& update = *merged;

  // The same merge in the other format gives the same update. Only a real merge is comparable
  // (a single update comes back as it was, trailing bytes and all), and only when every part
  // converts: merging sorts a delete set that conversion refuses to reorder (Yjs writes garbage).
  std::vector<Bytes> converted;
  for (Part part : parts) {
    auto other = to_other(part);
    if (!other) break;
    converted.push_back(std::move(*other));
  }
  if (parts.size() > 1 && converted.size() == parts.size()) {
    std::vector<Part> converted_parts(converted.begin(), converted.end());
    auto merged_other = merge_other(converted_parts);
    CRDT_FUZZ_CHECK(merged_other.has_value(), error_of(merged_other.error()));
    auto back = from_other(*merged_other);
    CRDT_FUZZ_CHECK(back.has_value(), error_of(back.error()));
    CRDT_FUZZ_CHECK(*back == update, hex(update) + " but through the other format " + hex(*back));
  }

  auto vector_of_merge = vector_from(update);
  CRDT_FUZZ_CHECK(vector_of_merge.has_value(), error_of(vector_of_merge.error()));
  // A real merge writes a sorted delete set, which a diff always accepts; a single update comes
  // back unchanged and may list a client twice, which the diff refuses to re-encode.
  auto diffed = diff(update, state_vector);
  if (parts.size() > 1)
    CRDT_FUZZ_CHECK(diffed.has_value() == state_vector_valid, hex(state_vector));

  crdt::Doc doc(1);
  auto applied = doc.apply_update(update, v2 ? crdt::Format::v2 : crdt::Format::v1);
  if (applied) {
    check_state_round_trip(doc, v2 ? crdt::Format::v2 : crdt::Format::v1);
    read_roots(doc);
  }
}

}  // namespace crdt_fuzz
