#include "crdt/snapshot.hpp"

#include "crdt/doc.hpp"

#include <gtest/gtest.h>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Snapshot, TextReadsAsItWasWhenTaken) {
  Doc doc(1, Doc::Options{.gc = false});
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"world!"); });
  const Snapshot first = snapshot(doc);
  doc.transact([&](Transaction& t) {
    TextEditor::insert(t, text, 0, u"hello ");
    TextEditor::erase(t, text, 6 + 5, 1);
    TextEditor::format(t, text, 0, 5, {{"bold", "true"}});
  });
  const Snapshot second = snapshot(doc);
  EXPECT_EQ(text_at(text, first), "world!");
  EXPECT_EQ(text_at(text, second), "hello world");
  const auto delta = text_delta_at(text, second);
  ASSERT_EQ(delta.size(), 2u);
  EXPECT_EQ(std::get<std::u16string>(delta[0].insert), u"hello");
  ASSERT_EQ(delta[0].attributes.size(), 1u);
  EXPECT_EQ(delta[0].attributes[0].second, "true");
  EXPECT_TRUE(delta[1].attributes.empty());
  EXPECT_FALSE(equal_snapshots(first, second));
  EXPECT_TRUE(equal_snapshots(second, snapshot(doc)));
}

TEST(Snapshot, EncodingsRoundTrip) {
  Doc doc(5, Doc::Options{.gc = false});
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"abcdefgh"); });
  doc.transact([&](Transaction& t) { TextEditor::erase(t, text, 1, 2); });
  doc.transact([&](Transaction& t) { TextEditor::erase(t, text, 3, 1); });
  const Snapshot taken = snapshot(doc);
  ASSERT_EQ(taken.delete_set.clients.at(5).size(), 2u);
  for (Format format : {Format::v1, Format::v2}) {
    auto decoded = decode_snapshot(encode_snapshot(taken, format), format);
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(equal_snapshots(*decoded, taken));
    EXPECT_EQ(encode_snapshot(*decoded, format), encode_snapshot(taken, format));
  }
  EXPECT_NE(encode_snapshot(taken, Format::v1), encode_snapshot(taken, Format::v2));
  EXPECT_TRUE(visible_at(taken, Id{5, 0}));
  EXPECT_FALSE(visible_at(taken, Id{5, 1}));
  EXPECT_FALSE(visible_at(taken, Id{5, 8}));
  EXPECT_FALSE(visible_at(taken, Id{6, 0}));
}

TEST(Snapshot, MalformedInputIsRefused) {
  EXPECT_FALSE(decode_snapshot(Bytes{}));
  EXPECT_FALSE(decode_snapshot(Bytes{1, 5, 200}));           // truncated delete set
  EXPECT_FALSE(decode_snapshot(Bytes{0, 100, 1, 2}, Format::v2));  // too many clients
  auto empty = decode_snapshot(Bytes{0, 0});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->state_vector.empty());
}

}  // namespace
}  // namespace agora::crdt
