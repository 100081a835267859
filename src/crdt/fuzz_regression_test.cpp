// Inputs the libFuzzer targets of tests/fuzz (crdt_v1_apply_fuzz, crdt_v2_apply_fuzz,
// crdt_merge_fuzz) found to crash the engine or break an invariant, each reduced to a few bytes.
// Each test asserts the outcome the input must have, then replays the fuzz target's own checks on
// it (crdt_fuzz_common.hpp), made to throw instead of aborting. Expected states come from Yjs
// 13.6.33 in node on the same or, where Yjs itself corrupts its state, the equivalent well-formed
// input.

#include "../../tests/fuzz/crdt_fuzz_common.hpp"

#include "crdt/doc.hpp"
#include "crdt/test_bytes.hpp"
#include "crdt/readers.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Expectations compare hex text, so a failure prints bytes one can diff.
std::string to_hex(const Bytes& bytes) {
  return crdt_fuzz::hex(bytes, bytes.size());
}

using test_bytes::from_hex;

class FuzzRegression : public ::testing::Test {
 protected:
  void SetUp() override {
    crdt_fuzz::broken_handler = [](const std::string& description) {
      throw std::runtime_error(description);
    };
  }
  void TearDown() override { crdt_fuzz::broken_handler = nullptr; }

  // Everything crdt_v1_apply_fuzz / crdt_v2_apply_fuzz checks on `input`.
  static void replay_apply(const Bytes& input, Format format) {
    try {
      crdt_fuzz::apply_and_check(input, format);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  // Everything crdt_merge_fuzz checks on `input` (mode byte first).
  static void replay_merge(const Bytes& input) {
    try {
      crdt_fuzz::merge_and_check(input);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
};

// Applies `update` to a fresh document and returns its state (hex); an exception fails the test
// instead of escaping.
std::string state_after(const Bytes& update, Format format, bool* applied = nullptr) {
  Doc doc(1);
  Result<void> result;
  EXPECT_NO_THROW(result = doc.apply_update(update, format));
  if (applied != nullptr) *applied = result.has_value();
  return to_hex(doc.encode_state_as_update().value());
}

// The seed corpora (real Yjs updates, tests/fuzz/make_crdt_corpus.mjs) pass every check of their
// fuzz target, so a change that breaks one fails here in every build, not only under clang.
TEST_F(FuzzRegression, SeedCorporaPassEveryCheck) {
  const std::filesystem::path corpora =
      std::filesystem::path(AGORA_SOURCE_DIR) / "tests/fuzz/corpus";
  int inputs = 0;
  for (const char* corpus : {"crdt_v1", "crdt_v2", "crdt_merge"}) {
    for (const auto& entry : std::filesystem::directory_iterator(corpora / corpus)) {
      std::ifstream file(entry.path(), std::ios::binary);
      const Bytes input{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
      SCOPED_TRACE(entry.path().string());
      if (std::string_view(corpus) == "crdt_merge") {
        replay_merge(input);
      } else {
        replay_apply(input, std::string_view(corpus) == "crdt_v1" ? Format::v1 : Format::v2);
      }
      ++inputs;
    }
  }
  EXPECT_GE(inputs, 100);
}

// Bug "zero-length delete range" (found by crdt_v1_apply_fuzz): a v1 delete set range of length
// 0 for clocks the document does not have yet is kept as pending, and writing the pending delete
// set in v2 (UpdateEncoderV2::write_ds_len, called from IntegrationRun::apply_delete_set in
// integrator.cpp) throws std::invalid_argument, which escapes Doc::apply_update: std::terminate.
// Yjs fails too ("Unexpected case"). The range deletes nothing; either outcome is fine as long as
// it is clean and the document stays empty.
TEST_F(FuzzRegression, ZeroLengthDeleteRangeIsHarmless) {
  // No structs; delete set: client 0, one range at clock 15 of length 0.
  const Bytes update = from_hex("000100010f00");
  Doc doc(1);
  EXPECT_NO_THROW((void)doc.apply_update(update, Format::v1));
  EXPECT_EQ(to_hex(doc.encode_state_as_update().value()), "0000");
  EXPECT_FALSE(doc.has_pending());
  replay_apply(update, Format::v1);
}

// Bug "unsorted pending delete set" (found by all three targets, the same code path): delete set
// ranges that are out of order or overlap, or a client listed twice, for clocks the document does
// not have yet, make the v2 encoder of the pending delete set (UpdateEncoderV2::write_ds_clock)
// throw std::invalid_argument out of Doc::apply_update: std::terminate. Yjs accepts such updates
// (and then writes a corrupt pending delete set); deleting is set union, so the document must
// hold what the sorted, merged ranges give.
TEST_F(FuzzRegression, UnsortedDeleteRangesArePendingInOrder) {
  // Client 0: ranges (clock 5, len 1) then (clock 2, len 1); Yjs's state for the sorted update.
  bool applied = false;
  EXPECT_EQ(state_after(from_hex("0001000205010201"), Format::v1, &applied), "0001000202010501");
  EXPECT_TRUE(applied);
  // Client 0: (clock 2, len 3) and the overlapping (clock 3, len 2) are [2, 5).
  EXPECT_EQ(state_after(from_hex("0001000202030302"), Format::v1, &applied), "000100010203");
  EXPECT_TRUE(applied);
  replay_apply(from_hex("0001000205010201"), Format::v1);
  replay_apply(from_hex("0001000202030302"), Format::v1);
  // v2 clocks are deltas from the previous range's end, but a client listed twice (found by
  // crdt_v2_apply_fuzz): client 0 with [0, 1), then client 0 with [0, 1) again.
  const Bytes twice_v2 = from_hex("000000000000010000000000020001000000010000");
  EXPECT_EQ(state_after(twice_v2, Format::v2, &applied), "000100010001");
  EXPECT_TRUE(applied);
  replay_apply(twice_v2, Format::v2);
  // Both v1 updates merged: the merge sorts them, as Yjs's does.
  replay_merge(
      from_hex("00"
               "0001000205010201"
               "7c797365707c"
               "0001000202030302"));
}

// Bug "item integrated after a GC left neighbour" (found by crdt_v1_apply_fuzz): an item that
// starts before the document's state for its client is integrated from the state on, with the
// struct just before as its new left (IntegrationRun::integrate, offset > 0, in integrator.cpp).
// When that struct is garbage-collected, the item is linked to it anyway, outside the list: no
// reader shows it, but the state encodes it as a live item, and a document loading that state
// collects it (its origin is collected), so the two states differ. (Yjs throws a TypeError
// half-way through the update.) The rest of the item must be collected right away, as
// Item.getMissing collects an item whose origin is collected.
// null).
TEST_F(FuzzRegression, ItemAfterCollectedLeftIsCollected) {
  // Client 5: [1] in root "array" at clock 0, then a GC struct at clock 1.
  const Bytes first = from_hex("010205000801056172726179017d01000100");
  // Client 5: "abc" in root "array" from clock 0, of which only "c" (clock 2) is new.
  const Bytes second = from_hex("0101050004010561727261790361626300");
  Doc doc(1);
  ASSERT_TRUE(doc.apply_update(first).has_value());
  EXPECT_NO_THROW((void)doc.apply_update(second));
  EXPECT_EQ(type_to_json(doc.root("array", TypeKind::array)), "[1]");
  const Bytes state = doc.encode_state_as_update().value();
  Doc reloaded(2);
  ASSERT_TRUE(reloaded.apply_update(state).has_value());
  EXPECT_EQ(to_hex(reloaded.encode_state_as_update().value()), to_hex(state));
  EXPECT_EQ(type_to_json(reloaded.root("array", TypeKind::array)), "[1]");
  Bytes input = first;
  input.insert(input.end(), crdt_fuzz::kSeparator.begin(), crdt_fuzz::kSeparator.end());
  input.insert(input.end(), second.begin(), second.end());
  replay_apply(input, Format::v1);
}

// Bug "v2 any content stored as JSON text" (found by crdt_v2_apply_fuzz): v2 carries embeds and
// format values as lib0 `any`, which can hold what JSON cannot (bigints, -0, NaN, undefined,
// bytes). Yjs keeps the value and encodeStateAsUpdateV2 writes it back unchanged; Agora keeps it
// as JSON text (content.cpp EmbedContent/FormatContent, UpdateDecoderV2::read_json), so its v2
// state differs from Yjs's: a bigint comes back as a float, -0 as 0, NaN as null, an undefined
// key is dropped and bytes become an object. Not a crash, but the v2 state is not Yjs's.
// Disabled until the content keeps the decoded Any (or the raw v2 bytes) for v2 encoding.
TEST_F(FuzzRegression, V2AnyInEmbedsAndFormatsSurvivesV2Encoding) {
  // Client 7: text.insertEmbed(0, {big: 2n ** 60n, zero: -0, nan: NaN, none: undefined,
  // bytes: Uint8Array [1, 2]}), encodeStateAsUpdateV2; Yjs writes that same update back.
  const Bytes embed = from_hex(
      "000001070000010506047465787404010100000101007605036269677a1000000000000000047a65726f7d4003"
      "6e616e7b7ff8000000000000046e6f6e657f0562797465737402010200");
  // Client 7: text.insert(0, 'ab'); text.format(0, 1, {size: 2n ** 60n}), the same way.
  const Bytes format = from_hex(
      "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a6504410044000101"
      "00000104007a10000000000000007e00");
  for (const Bytes& update : {embed, format}) {
    Doc doc(1);
    ASSERT_TRUE(doc.apply_update(update, Format::v2).has_value());
    EXPECT_EQ(to_hex(doc.encode_state_as_update({}, Format::v2).value()), to_hex(update));
    replay_apply(update, Format::v2);
  }
}

}  // namespace
}  // namespace agora::crdt
