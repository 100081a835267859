#include "collab/versions.hpp"

#include "collab/document_content.hpp"
#include "crdt/editing.hpp"
#include "crdt/readers.hpp"

#include <gtest/gtest.h>

namespace agora::collab {
namespace {

// Appends a paragraph holding `text` (bold when asked) to the document's content.
std::vector<std::uint8_t> add_paragraph(crdt::Doc& doc, std::u16string_view text, bool bold = false) {
  crdt::Type& content = doc.root(kContentRoot, crdt::TypeKind::xml_fragment);
  return doc.transact([&](crdt::Transaction& t) {
    crdt::Type& paragraph = crdt::XmlEditor::insert_element(t, content, content.length(), "paragraph");
    crdt::Type& run = crdt::XmlEditor::insert_text(t, paragraph, 0);
    if (bold) {
      crdt::TextEditor::insert(t, run, 0, text, {{"bold", "{}"}});
    } else {
      crdt::TextEditor::insert(t, run, 0, text);
    }
  });
}

std::string content_of(const crdt::Doc& doc) {
  const crdt::Type* content = doc.find_root(kContentRoot);
  return content ? crdt::xml_to_string(*content) : "";
}

std::unique_ptr<crdt::Doc> copy_of(const crdt::Doc& doc) {
  auto copy = new_doc();
  EXPECT_TRUE(copy->apply_update(doc.encode_state_as_update().value()));
  return copy;
}

TEST(Versions, RestoreMakesTheContentWhatTheVersionHeld) {
  auto doc = new_doc();
  add_paragraph(*doc, u"one");
  add_paragraph(*doc, u"two", true);
  const auto version = copy_of(*doc);
  const std::string then = content_of(*version);

  // Later edits: a paragraph removed, one added.
  crdt::Type& content = doc->root(kContentRoot, crdt::TypeKind::xml_fragment);
  doc->transact([&](crdt::Transaction& t) { crdt::XmlEditor::erase(t, content, 0, 1); });
  add_paragraph(*doc, u"three");
  ASSERT_NE(content_of(*doc), then);

  auto update = restore_update(*doc, *version);
  ASSERT_TRUE(update) << update.error().message;
  ASSERT_FALSE(update->empty());
  ASSERT_TRUE(doc->apply_update(*update));
  EXPECT_EQ(content_of(*doc), then);
  EXPECT_EQ(then, "<paragraph>one</paragraph><paragraph><bold>two</bold></paragraph>");
}

TEST(Versions, ARestoreMergesWithEditsMadeMeanwhile) {
  auto doc = new_doc();
  add_paragraph(*doc, u"one");
  const auto version = copy_of(*doc);
  add_paragraph(*doc, u"later");

  // Another editor, in sync before the restore, adds a paragraph while it is made.
  auto other = copy_of(*doc);
  const auto concurrent = add_paragraph(*other, u"concurrent");

  auto update = restore_update(*doc, *version);
  ASSERT_TRUE(update);
  ASSERT_TRUE(doc->apply_update(*update));
  ASSERT_TRUE(doc->apply_update(concurrent));
  ASSERT_TRUE(other->apply_update(*update));
  EXPECT_EQ(content_of(*doc), content_of(*other));
  EXPECT_EQ(content_of(*doc), "<paragraph>one</paragraph><paragraph>concurrent</paragraph>");
}

TEST(Versions, RestoringTheCurrentContentChangesNothing) {
  auto doc = new_doc();
  add_paragraph(*doc, u"same");
  const auto version = copy_of(*doc);
  auto update = restore_update(*doc, *version);
  ASSERT_TRUE(update);
  EXPECT_TRUE(update->empty());
}

TEST(Versions, CompareMarksRemovedAddedAndChangedBlocks) {
  auto older = new_doc();
  add_paragraph(*older, u"kept");
  add_paragraph(*older, u"the quick fox");
  add_paragraph(*older, u"gone <b>");
  auto newer = copy_of(*older);
  crdt::Type& content = newer->root(kContentRoot, crdt::TypeKind::xml_fragment);
  newer->transact([&](crdt::Transaction& t) { crdt::XmlEditor::erase(t, content, 1, 2); });
  add_paragraph(*newer, u"the slow fox");

  const std::string html = compare_html(*older, *newer);
  EXPECT_EQ(html,
            "<p>kept</p>"
            "<div class=\"agora-diff-changed\"><span class=\"govuk-visually-hidden\">Changed: "
            "</span><p>the <del>quick</del><ins>slow</ins> fox</p></div>"
            "<div class=\"agora-diff-removed\"><span class=\"govuk-visually-hidden\">Removed: "
            "</span><del><p>gone &lt;b&gt;</p></del></div>");
  EXPECT_EQ(compare_html(*older, *older), "<p>kept</p><p>the quick fox</p><p>gone &lt;b&gt;</p>");
}

}  // namespace
}  // namespace agora::collab
