#include "crdt/relative_position.hpp"

#include "crdt/doc.hpp"
#include "crdt/readers.hpp"

#include <gtest/gtest.h>

namespace agora::crdt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// The character at `index` of a text, as UTF-8.
std::string char_at(const Type& text, std::uint64_t index) {
  const std::u16string units = to_utf16(text_to_string(text));
  return index < units.size() ? to_utf8(units.substr(index, 1)) : std::string();
}

TEST(RelativePosition, StaysOnItsCharacterWhileOthersEditAround) {
  Doc doc(1);
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"hello world"); });
  // An anchor on the 'w' (index 6), and one on the 'o' before the space (index 4, left assoc at 5).
  const RelativePosition on_w = relative_position_from_index(text, 6);
  const RelativePosition after_o = relative_position_from_index(text, 5, -1);

  Doc other(2);
  ASSERT_TRUE(other.apply_update(*doc.encode_state_as_update()));
  Type& remote_text = other.root("text", TypeKind::text);
  other.transact([&](Transaction& t) {
    TextEditor::insert(t, remote_text, 0, u">> ");
    TextEditor::erase(t, remote_text, 3 + 1, 2);        // "hello" -> "hlo"
    TextEditor::insert(t, remote_text, 3 + 3 + 1, u"big ");  // before "world"
  });
  ASSERT_TRUE(doc.apply_update(*other.encode_state_as_update()));
  ASSERT_EQ(text_to_string(text), ">> hlo big world");

  const auto w = absolute_position(doc, on_w);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->type, &text);
  EXPECT_EQ(char_at(text, w->index), "w");
  const auto o = absolute_position(doc, after_o);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(char_at(text, o->index - 1), "o");  // left-associated: just after the 'o'
  EXPECT_EQ(char_at(text, o->index), " ");
}

TEST(RelativePosition, DeletedAnchorFallsToWhereItsCharacterWas) {
  Doc doc(1);
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"abcdef"); });
  const RelativePosition on_d = relative_position_from_index(text, 3);
  doc.transact([&](Transaction& t) { TextEditor::erase(t, text, 2, 3); });  // "abf"
  const auto d = absolute_position(doc, on_d);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->index, 2u);
  EXPECT_EQ(char_at(text, d->index), "f");
}

TEST(RelativePosition, EndOfTypeFollowsTheEnd) {
  Doc doc(1);
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"ab"); });
  const RelativePosition end = relative_position_from_index(text, 2);
  EXPECT_FALSE(end.item.has_value());
  EXPECT_EQ(end.root_name, "text");
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 2, u"cd"); });
  EXPECT_EQ(absolute_position(doc, end)->index, 4u);
  const RelativePosition start = relative_position_from_index(text, 0, -1);
  EXPECT_FALSE(start.item.has_value());
  doc.transact([&](Transaction& t) { TextEditor::insert(t, text, 0, u"x"); });
  EXPECT_EQ(absolute_position(doc, start)->index, 0u);
}

TEST(RelativePosition, EncodingRoundTripsAndRefusesGarbage) {
  RelativePosition position;
  position.item = Id{(std::uint64_t{1} << 40) + 3, 77};
  position.assoc = -1;
  auto decoded = decode_relative_position(encode_relative_position(position));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, position);
  EXPECT_FALSE(decode_relative_position(Bytes{}));
  EXPECT_FALSE(decode_relative_position(Bytes{0, 5}));  // truncated id
  EXPECT_FALSE(decode_relative_position(Bytes{7, 1}));  // unknown kind
  // Without an assoc, as older Yjs versions wrote them, it reads as 0.
  auto old = decode_relative_position(Bytes{1, 1, 't'});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->root_name, "t");
  EXPECT_EQ(old->assoc, 0);
  EXPECT_FALSE(relative_position_from_json("{\"assoc\":0}"));
  EXPECT_FALSE(relative_position_from_json("{\"item\":{\"client\":-1,\"clock\":0}}"));
}

TEST(RelativePosition, UnknownItemsPointNowhere) {
  Doc doc(1);
  RelativePosition position;
  position.item = Id{99, 0};
  EXPECT_FALSE(absolute_position(doc, position).has_value());
  position = RelativePosition{};
  position.type = Id{99, 0};
  EXPECT_FALSE(absolute_position(doc, position).has_value());
}

}  // namespace
}  // namespace agora::crdt
