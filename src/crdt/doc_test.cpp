// The document against updates Yjs 13.6 produced (bytes printed by yjs in node; each constant
// names the edits), and against hostile input that must be refused without changing anything.

#include "crdt/doc.hpp"
#include "crdt/test_bytes.hpp"
#include "crdt/readers.hpp"
#include "crdt/store.hpp"
#include "crdt/update_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agora::crdt {
namespace {

using test_bytes::Bytes;
Bytes hex(std::string_view text) { return test_bytes::from_hex(text); }

// Client 7: text.insert(0, 'hello'); text.insert(5, ' world'); text.delete(0, 1);
// map.set('k', {n: 1, s: 'x'}) -- the four updates Yjs emitted, and its final state.
const Bytes kInsertHello = hex("01010700040104746578740568656c6c6f00");
const Bytes kInsertWorld = hex("010107058407040620776f726c6400");
const Bytes kDeleteH = hex("000107010001");
const Bytes kSetMap = hex("0101070b2801036d6170016b017602016e7d01017377017800");
const Bytes kFinalState = hex(
    "0103070001010474657874018407000a656c6c6f20776f726c642801036d6170016b017602016e7d010173770178"
    "0107010001");
const Bytes kFinalStateV2 = hex(
    "0000024700010000050100840028171274657874656c6c6f20776f726c646d61706b040a03010101000241000103"
    "007602016e7d0101737701780107010000");

Bytes state_of(const Doc& doc) { return doc.encode_state_as_update().value(); }

TEST(DocTest, AppliesYjsUpdatesAndEncodesTheStateYjsEncodes) {
  Doc doc(99);
  for (const Bytes* update : {&kInsertHello, &kInsertWorld, &kDeleteH, &kSetMap})
    ASSERT_TRUE(doc.apply_update(*update));
  EXPECT_EQ(text_to_string(doc.root("text", TypeKind::text)), "ello world");
  EXPECT_EQ(type_to_json(doc.root("map", TypeKind::map)), R"({"k":{"n":1,"s":"x"}})");
  EXPECT_EQ(state_of(doc), kFinalState);
  EXPECT_EQ(doc.encode_state_as_update({}, Format::v2).value(), kFinalStateV2);
}

TEST(DocTest, LoadsAV2State) {
  Doc doc(99);
  ASSERT_TRUE(doc.apply_update(kFinalStateV2, Format::v2));
  EXPECT_EQ(state_of(doc), kFinalState);
}

TEST(DocTest, KeepsAnUpdateWithMissingDependenciesPendingUntilTheyArrive) {
  Doc doc(99);
  ASSERT_TRUE(doc.apply_update(kInsertWorld));
  EXPECT_TRUE(doc.has_pending());
  EXPECT_EQ(text_to_string(doc.root("text", TypeKind::text)), "");
  // Yjs encodes pending structs as part of the state.
  EXPECT_EQ(state_of(doc), kInsertWorld);
  ASSERT_TRUE(doc.apply_update(kInsertHello));
  EXPECT_FALSE(doc.has_pending());
  EXPECT_EQ(text_to_string(doc.root("text", TypeKind::text)), "hello world");
  EXPECT_EQ(state_of(doc), hex("01010700040104746578740b68656c6c6f20776f726c6400"));
}

TEST(DocTest, IgnoresDuplicateDelivery) {
  Doc doc(99);
  for (int round = 0; round < 2; ++round)
    for (const Bytes* update : {&kInsertHello, &kInsertWorld, &kDeleteH, &kSetMap})
      ASSERT_TRUE(doc.apply_update(*update));
  EXPECT_EQ(state_of(doc), kFinalState);
}

TEST(DocTest, RefusesEveryTruncationOfAValidUpdateAndStaysUnchanged) {
  Doc doc(99);
  ASSERT_TRUE(doc.apply_update(kInsertHello));
  const Bytes before = state_of(doc);
  for (const Bytes* update : {&kFinalState, &kSetMap}) {
    for (std::size_t size = 0; size + 1 < update->size(); ++size) {
      const std::span<const std::uint8_t> cut(update->data(), size);
      auto result = doc.apply_update(cut);
      // A prefix may happen to be a complete smaller update; every other one must be refused.
      if (!result) {
        EXPECT_FALSE(result.error().message.empty());
        EXPECT_EQ(state_of(doc), before) << "size " << size;
      }
    }
  }
  Doc v2(99);
  for (std::size_t size = 0; size + 1 < kFinalStateV2.size(); ++size) {
    auto result = v2.apply_update(std::span(kFinalStateV2.data(), size), Format::v2);
    if (!result) {
      EXPECT_EQ(state_of(v2), hex("0000"));
    }
  }
}

// Builds a v1 update with one item by hand, for inputs no Yjs client would produce.
Bytes one_string_item(ClientId client, Clock clock, std::string_view text, bool with_origin = false,
                      Id origin = {}) {
  UpdateEncoderV1 encoder;
  encoder.rest().write_var_uint(1);
  encoder.rest().write_var_uint(1);
  encoder.write_client(client);
  encoder.rest().write_var_uint(clock);
  encoder.write_info(static_cast<std::uint8_t>(4 | (with_origin ? 0x80 : 0)));
  if (with_origin) {
    encoder.write_left_id(origin);
  } else {
    encoder.write_parent_info(true);
    encoder.write_string("text");
  }
  encoder.write_string(text);
  encoder.rest().write_var_uint(0);
  return encoder.to_bytes();
}

TEST(DocTest, RefusesHostileUpdatesWithAReasonAndStaysUnchanged) {
  Doc doc(99);
  ASSERT_TRUE(doc.apply_update(kInsertHello));
  const Bytes before = state_of(doc);
  auto refused = [&](const Bytes& update, std::string_view reason) {
    auto result = doc.apply_update(update);
    ASSERT_FALSE(result) << reason;
    EXPECT_NE(result.error().message.find(reason), std::string::npos)
        << "wanted \"" << reason << "\" in: " << result.error().message;
    EXPECT_EQ(state_of(doc), before);
  };
  // A client block claiming billions of structs in a few bytes.
  refused(hex("01ffffffff0f0700040104746578740568656c6c6f00"), "");
  // Clocks that run past 2^53.
  refused(one_string_item(7, kMaxSafeInteger - 1, "abc"), "2^53");
  // A client id beyond 2^53.
  refused(one_string_item(kMaxSafeInteger + 1, 0, "abc"), "2^53");
  // An item naming its own client's later unit as origin (a cycle Yjs would crash on).
  refused(one_string_item(7, 5, "x", true, Id{7, 9}), "later unit");
  // Invalid UTF-8 in a string item.
  refused(one_string_item(8, 0, "\xff\xfe"), "UTF-8");
  // An unknown content kind.
  refused(hex("01010800170104746578740100"), "content");
  // Arrays nested deeper than the limit.
  Bytes deep = hex("01010900080104746578740101");  // one Any item in root "text" ...
  deep.insert(deep.end(), 100000, 117);            // ... that opens 100000 arrays of length 1
  deep.back() = 117;
  refused(deep, "");
  EXPECT_EQ(text_to_string(doc.root("text", TypeKind::text)), "hello");
}

TEST(DocTest, AcceptsClientIdsAndClocksUpToTwoToThe53) {
  Doc doc(99);
  const ClientId big = kMaxSafeInteger;
  ASSERT_TRUE(doc.apply_update(one_string_item(big, 0, "big")));
  EXPECT_EQ(text_to_string(doc.root("text", TypeKind::text)), "big");
  EXPECT_EQ(doc.state_vector().at(big), 3u);
}

TEST(DocTest, DeletesAndCollectsTypesNested100000Deep) {
  // Arrays nested 100,000 deep (each item's parent is the previous item), then the outermost
  // one deleted: deletion and garbage collection must not recurse once per level.
  constexpr int kDepth = 100000;
  UpdateEncoderV1 nest;
  nest.rest().write_var_uint(1);
  nest.rest().write_var_uint(kDepth);
  nest.write_client(1);
  nest.rest().write_var_uint(0);
  for (int i = 0; i < kDepth; ++i) {
    nest.write_info(7);  // ContentType, no origins
    if (i == 0) {
      nest.write_parent_info(true);
      nest.write_string("a");
    } else {
      nest.write_parent_info(false);
      nest.write_left_id(Id{1, static_cast<Clock>(i - 1)});
    }
    nest.write_type_ref(0);  // Array
  }
  nest.rest().write_var_uint(0);
  UpdateEncoderV1 remove;
  remove.rest().write_var_uint(0);
  remove.rest().write_var_uint(1);
  remove.rest().write_var_uint(1);
  remove.rest().write_var_uint(1);
  remove.write_ds_clock(0);
  remove.write_ds_len(1);

  Doc doc(99);
  ASSERT_TRUE(doc.apply_update(nest.to_bytes()));
  // Reading stops at a fixed depth instead of recursing 100,000 times.
  EXPECT_EQ(type_to_json(doc.root("a", TypeKind::array)).substr(0, 4), "[[[[");
  ASSERT_TRUE(doc.apply_update(remove.to_bytes()));
  // The outer item keeps its place as deleted content; everything inside it became GC structs,
  // merged into one, as Yjs does.
  EXPECT_EQ(type_to_json(doc.root("a", TypeKind::array)), "[]");
  EXPECT_EQ(state_of(doc), hex("010201000101016101009f8d0601010100a08d06"));
}

TEST(DocTest, LocalEditsEmitTheUpdatesYjsEmits) {
  Doc doc(7);
  Type& text = doc.root("text", TypeKind::text);
  EXPECT_EQ(doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"hello"); }),
            kInsertHello);
  EXPECT_EQ(doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 5, u" world"); }),
            kInsertWorld);
  EXPECT_EQ(doc.transact([&](Transaction& t) { TextEditor::erase(t, text, 0, 1); }), kDeleteH);
  EXPECT_EQ(text_to_string(text), "ello world");
  EXPECT_TRUE(doc.transact([](Transaction&) {}).empty());
}

}  // namespace
}  // namespace agora::crdt
