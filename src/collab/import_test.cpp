#include "collab/import.hpp"

#include "collab/document_content.hpp"
#include "collab/export.hpp"

#include <gtest/gtest.h>

namespace agora::collab {
namespace {

// The HTML export of a new document filled by `update`.
std::string html_of(const Result<std::vector<std::uint8_t>>& update) {
  EXPECT_TRUE(update) << (update ? "" : update.error().message);
  if (!update) return {};
  auto doc = new_doc();
  EXPECT_TRUE(doc->apply_update(*update));
  return export_as(*doc, "html").value();
}

TEST(Import, MarkdownBecomesTheEditorsNodesAndMarks) {
  const std::string html = html_of(import_markdown(
      "# Plan\n\nSee **bold**, *em*, ~~gone~~, `code` and [minutes](https://example.org/m).\n\n"
      "- [x] done\n- [ ] todo\n\n1. one\n2. two\n   - nested\n\n> quoted\n\n"
      "```js\nlet x = 1 < 2;\n```\n\n| A | B |\n| --- | --- |\n| 1 | 2 |\n\n"
      "![logo](https://example.org/a.png) line  \nbreak\n\n---\n"));
  EXPECT_EQ(html,
            "<h1>Plan</h1><p>See <strong>bold</strong>, <em>em</em>, <s>gone</s>, <code>code</code> "
            "and <a href=\"https://example.org/m\" rel=\"noopener noreferrer\">minutes</a>.</p>"
            "<ul class=\"task-list\"><li class=\"task-item\"><input type=\"checkbox\" disabled "
            "checked><p>done</p></li><li class=\"task-item\"><input type=\"checkbox\" disabled><p>"
            "todo</p></li></ul><ol><li><p>one</p></li><li><p>two</p><ul><li><p>nested</p></li></ul>"
            "</li></ol><blockquote><p>quoted</p></blockquote><pre><code class=\"language-js\">let x "
            "= 1 &lt; 2;</code></pre><table><tr><th><p>A</p></th><th><p>B</p></th></tr><tr><td><p>1"
            "</p></td><td><p>2</p></td></tr></table><p><img src=\"https://example.org/a.png\" "
            "alt=\"logo\"> line<br>break</p><hr>");
}

TEST(Import, RawHtmlInMarkdownStaysTextAndUnsafeLinksLoseTheirTarget) {
  const std::string html = html_of(import_markdown(
      "<script>alert(1)</script>\n\nA [link](javascript:alert(1)) and <b>tag</b> "
      "![img](data:image/png;base64,AAAA)\n"));
  EXPECT_EQ(html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>A link and &lt;b&gt;tag&lt;/b&gt; "
            "img</p>");
}

TEST(Import, HtmlKeepsKnownStructureDropsScriptsAndWrapsLooseText) {
  const std::string html = html_of(import_html(
      "<h2>Hi</h2><p>Some <i>text</i><script>alert(1)</script> and "
      "<a href=\" javascript:x\">link</a> <a href=\"https://a.example/\">ok</a></p>"
      "<div><span>inside a div</span></div>"
      "<ul data-type=\"taskList\"><li data-checked=\"true\"><p>done</p></li></ul>"
      "<table><tbody><tr><th>A</th></tr><tr><td colspan=\"2\" rowspan=\"x\">b</td></tr></tbody>"
      "</table><pre><code class=\"language-py\">a  =  1\n</code></pre><img src=\"javascript:x\">"));
  EXPECT_EQ(html,
            "<h2>Hi</h2><p>Some <em>text</em> and link <a href=\"https://a.example/\" "
            "rel=\"noopener noreferrer\">ok</a></p><p>inside a div</p><ul class=\"task-list\"><li "
            "class=\"task-item\"><input type=\"checkbox\" disabled checked><p>done</p></li></ul>"
            "<table><tr><th><p>A</p></th></tr><tr><td colspan=\"2\"><p>b</p></td></tr></table>"
            "<pre><code class=\"language-py\">a  =  1\n</code></pre>");
}

TEST(Import, DeepNestingIsFlattenedNotFatal) {
  std::string markdown(100'000, '>');
  markdown += " deep\n";
  auto update = import_markdown(markdown);
  ASSERT_TRUE(update) << update.error().message;
  // Within libxml2's own nesting limit the text survives our flattening...
  std::string nested;
  for (int i = 0; i < 200; ++i) nested += "<blockquote>";
  EXPECT_NE(html_of(import_html(nested + "deep")).find("deep"), std::string::npos);
  // ...and far beyond it the parser gives up on the rest, which is refused by nobody: the
  // import still succeeds with what was read.
  std::string hostile;
  for (int i = 0; i < 20'000; ++i) hostile += "<blockquote>";
  EXPECT_TRUE(import_html(hostile + "deep"));
}

TEST(Import, RefusesOversizedAndNonUtf8Files) {
  auto big = import_markdown(std::string(kMaxImportBytes + 1, 'a'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::too_large);
  auto binary = import_html(std::string("\xff\xfe<p>x</p>", 10));
  ASSERT_FALSE(binary);
  EXPECT_EQ(binary.error().message, "the file is not UTF-8 text");
}

TEST(Import, EmptyInputGivesAnEmptyDocument) {
  EXPECT_EQ(html_of(import_markdown("")), "");
  EXPECT_EQ(html_of(import_html("")), "");
}

}  // namespace
}  // namespace agora::collab
