// Embed and format values that JSON text cannot hold (Yjs's writeJSON/readJSON: v1 carries JSON
// text, v2 a lib0 `any`). Every expected byte string was printed by Yjs 13.6.33 in node: the v2
// updates are Yjs's encodeStateAsUpdateV2 of text.insertEmbed(0, value) or of text.insert(0, 'ab');
// text.format(0, 1, {size: value}) by client 7 (undefined: the same update with `true` replaced
// by the undefined tag), the v1 ones are what Yjs encodes, converts or merges them to.

#include "crdt/doc.hpp"
#include "crdt/readers.hpp"
#include "crdt/test_bytes.hpp"
#include "crdt/updates.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace agora::crdt {
namespace {

using test_bytes::Bytes;
using test_bytes::from_hex;
using test_bytes::to_hex;

struct V2Case {
  const char* value;
  const char* v2;
  /// Yjs's v1 state of the document; empty where Yjs throws (JSON.stringify refuses a bigint,
  /// and writes no string for undefined).
  const char* v1;
};

const V2Case kV2Cases[] = {
    {"embed undefined", "000001070000010506047465787404010100000101007f00",
     ""},
    {"format undefined", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a650441004400010100000104007f7e00",
     ""},
    {"embed NaN", "000001070000010506047465787404010100000101007b7ff800000000000000",
     "0101070005010474657874046e756c6c00"},
    {"format NaN", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a650441004400010100000104007b7ff80000000000007e00",
     "0104070004010474657874016184070001624607000473697a65046e756c6cc6070007010473697a65046e756c6c00"},
    {"embed -0", "000001070000010506047465787404010100000101007d4000",
     "0101070005010474657874013000"},
    {"format -0", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a650441004400010100000104007d407e00",
     "0104070004010474657874016184070001624607000473697a650130c6070007010473697a65046e756c6c00"},
    {"embed 2n ** 60n", "000001070000010506047465787404010100000101007a100000000000000000",
     ""},
    {"format 2n ** 60n", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a650441004400010100000104007a10000000000000007e00",
     ""},
    {"embed Uint8Array [1, 2]", "000001070000010506047465787404010100000101007402010200",
     "01010700050104746578740d7b2230223a312c2231223a327d00"},
    {"format Uint8Array [1, 2]", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a65044100440001010000010400740201027e00",
     "0104070004010474657874016184070001624607000473697a650d7b2230223a312c2231223a327dc6070007010473697a65046e756c6c00"},
    {"embed {a: undefined, b: Infinity}", "00000107000001050604746578740401010000010100760201617f01627c7f80000000",
     "01010700050104746578740a7b2262223a6e756c6c7d00"},
    {"format {a: undefined, b: Infinity}", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a65044100440001010000010400760201617f01627c7f8000007e00",
     "0104070004010474657874016184070001624607000473697a650a7b2262223a6e756c6c7dc6070007010473697a65046e756c6c00"},
    {"embed [undefined, NaN, -0]", "0000010700000105060474657874040101000001010075037f7b7ff80000000000007d4000",
     "01010700050104746578740d5b6e756c6c2c6e756c6c2c305d00"},
    {"format [undefined, NaN, -0]", "0002000202470302010002000207040084004600c6140e74657874616273697a6573697a6504410044000101000001040075037f7b7ff80000000000007d407e00",
     "0104070004010474657874016184070001624607000473697a650d5b6e756c6c2c6e756c6c2c305dc6070007010473697a65046e756c6c00"},
};

TEST(JsonValueTest, V2ValuesComeBackInV2AsYjsWritesThemAndInV1AsJsonText) {
  for (const V2Case& c : kV2Cases) {
    SCOPED_TRACE(c.value);
    const Bytes v2 = from_hex(c.v2);
    Doc doc(1);
    ASSERT_TRUE(doc.apply_update(v2, Format::v2).has_value());
    EXPECT_EQ(to_hex(doc.encode_state_as_update({}, Format::v2).value()), c.v2);
    const std::span<const std::uint8_t> one[] = {v2};
    EXPECT_EQ(to_hex(merge_updates_v2(one).value()), c.v2);
    const auto v1_state = doc.encode_state_as_update({}, Format::v1);
    const auto converted = convert_update_v2_to_v1(v2);
    ASSERT_TRUE(v1_state.has_value());
    ASSERT_TRUE(converted.has_value());
    if (*c.v1 != 0) {
      EXPECT_EQ(to_hex(*v1_state), c.v1);
      EXPECT_EQ(to_hex(*converted), c.v1);
    }
  }
}

struct V1Case {
  const char* text;
  const char* v1;
  /// Yjs's v2 and v1 states after applying `v1`.
  const char* v2_state;
  const char* v1_state;
};

// v1 JSON text whose JSON.parse prints differently (-0 as 0, 1e999 as null): v2 keeps the value.
const V1Case kV1Cases[] = {
    {"v1 embed -0", "0101070005010474657874022d3000",
     "000001070000010506047465787404010100000101007d4000",
     "0101070005010474657874013000"},
    {"v1 embed 1e999", "010107000501047465787405316539393900",
     "000001070000010506047465787404010100000101007c7f80000000",
     "0101070005010474657874046e756c6c00"},
    {"v1 embed [-1e999,-0.0,{\"x\":-0}]", "0101070005010474657874165b2d31653939392c2d302e302c7b2278223a2d307d5d00",
     "0000010700000105060474657874040101000001010075037cff8000007d40760101787d4000",
     "0101070005010474657874105b6e756c6c2c302c7b2278223a307d5d00"},
};

TEST(JsonValueTest, V1TextIsParsedOnceSoV2WritesTheParsedValue) {
  for (const V1Case& c : kV1Cases) {
    SCOPED_TRACE(c.text);
    const Bytes v1 = from_hex(c.v1);
    Doc doc(1);
    ASSERT_TRUE(doc.apply_update(v1, Format::v1).has_value());
    EXPECT_EQ(to_hex(doc.encode_state_as_update({}, Format::v2).value()), c.v2_state);
    EXPECT_EQ(to_hex(doc.encode_state_as_update({}, Format::v1).value()), c.v1_state);
    EXPECT_EQ(to_hex(convert_update_v1_to_v2(v1).value()), c.v2_state);
  }
}

// Yjs sets a format to any value that is not null: a NaN format is in force, and toDelta prints
// it as null (Yjs: [{"insert":"a","attributes":{"size":null}},{"insert":"b"}]).
TEST(JsonValueTest, ANaNFormatIsSetAndPrintsAsNull) {
  Doc doc(1);
  ASSERT_TRUE(doc.apply_update(from_hex(kV2Cases[3].v2), Format::v2).has_value());
  const auto delta = text_to_delta(doc.root("text", TypeKind::text));
  ASSERT_EQ(delta.size(), 2u);
  ASSERT_EQ(delta[0].attributes.size(), 1u);
  EXPECT_EQ(delta[0].attributes[0].first, "size");
  EXPECT_EQ(delta[0].attributes[0].second, "null");
  EXPECT_TRUE(delta[1].attributes.empty());
}

TEST(JsonValueTest, ANaNEmbedIsANumber) {
  Doc doc(1);
  ASSERT_TRUE(doc.apply_update(from_hex(kV2Cases[2].v2), Format::v2).has_value());
  const auto delta = text_to_delta(doc.root("text", TypeKind::text));
  ASSERT_EQ(delta.size(), 1u);
  const Any* value = std::get_if<Any>(&delta[0].insert);
  ASSERT_NE(value, nullptr);
  const double* number = std::get_if<double>(&value->value);
  ASSERT_NE(number, nullptr);
  EXPECT_TRUE(std::isnan(*number));
}

}  // namespace
}  // namespace agora::crdt
