#include "collab/import.hpp"

#include "collab/document_content.hpp"
#include "crdt/any.hpp"
#include "crdt/content.hpp"
#include "crdt/editing.hpp"
#include "crdt/html.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <fmt/format.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

// GCC 12 reports std::variant members of crdt::Any as maybe-uninitialized when an Any is built
// from a temporary inside emplace_back (a known false positive of its inliner); nothing here
// reads uninitialised memory, which the ASan+UBSan run would catch.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace agora::collab {

namespace {

// Nesting beyond this is flattened to its text: TipTap would struggle with it, and hostile
// input must not exhaust the stack.
constexpr int kMaxDepth = 64;

// ---------------------------------------------------------------------------------------------
// The document being built: ProseMirror nodes with y-prosemirror's attribute and mark values.

struct Run {
  std::string text;             // UTF-8
  crdt::TextAttributes marks;   // mark name -> JSON value, as y-prosemirror stores marks
};

struct Node {
  std::string type;  // "paragraph", ...; empty for a run of text
  std::vector<std::pair<std::string, crdt::Any>> attrs;
  std::vector<Node> children;
  std::vector<Run> runs;  // for a run of text

  bool is_text() const { return type.empty(); }
};

// What an importer gathers while walking its input: blocks, and the inline content of the
// block being written.
class Builder {
 public:
  // Starts a block; inline content added until close() goes into it.
  void open(std::string type, std::vector<std::pair<std::string, crdt::Any>> attrs = {}) {
    flush_orphan_inlines();
    stack_.push_back(Node{std::move(type), std::move(attrs), {}, {}});
  }
  void close() {
    Node node = std::move(stack_.back());
    stack_.pop_back();
    // A list item, cell or quote whose inline content had no paragraph gets one, as TipTap's
    // schema wants blocks there.
    if (!node.is_text() && needs_block_children(node.type)) wrap_inlines(node);
    parent().children.push_back(std::move(node));
  }
  // Adds text with the marks in force.
  void text(std::string_view text) {
    if (text.empty()) return;
    Node& block = inline_parent();
    if (block.children.empty() || !block.children.back().is_text()) block.children.push_back(Node{});
    std::vector<Run>& runs = block.children.back().runs;
    if (!runs.empty() && runs.back().marks == marks_) {
      runs.back().text += text;
    } else {
      runs.push_back(Run{std::string(text), marks_});
    }
  }
  // An inline node such as hardBreak or image.
  void inline_node(std::string type, std::vector<std::pair<std::string, crdt::Any>> attrs = {}) {
    inline_parent().children.push_back(Node{std::move(type), std::move(attrs), {}, {}});
  }
  void push_mark(std::string name, std::string json) { marks_.emplace_back(std::move(name), std::move(json)); }
  void pop_mark() { marks_.pop_back(); }
  bool in_block() const { return !stack_.empty(); }

  // The finished document as an update of a new Doc's content.
  Result<std::vector<std::uint8_t>> finish() {
    while (!stack_.empty()) close();
    flush_orphan_inlines();
    auto doc = new_doc();
    crdt::Type& content = doc->root(kContentRoot, crdt::TypeKind::xml_fragment);
    try {
      doc->transact([&](crdt::Transaction& t) { write_children(t, root_, content); });
    } catch (const std::exception& e) {
      return fail(ErrorKind::invalid_input, fmt::format("the document could not be built: {}", e.what()));
    }
    auto state = doc->encode_state_as_update();
    if (!state) return fail(ErrorKind::internal, state.error().message);
    return std::move(*state);
  }

 private:
  static bool needs_block_children(std::string_view type) {
    return type == "listItem" || type == "taskItem" || type == "blockquote" ||
           type == "tableCell" || type == "tableHeader";
  }
  static bool takes_inlines(std::string_view type) {
    return type == "paragraph" || type == "heading" || type == "codeBlock";
  }

  // Inline content directly in a container becomes a paragraph.
  static void wrap_inlines(Node& node) {
    std::vector<Node> children;
    Node paragraph{"paragraph", {}, {}, {}};
    auto flush = [&] {
      if (paragraph.children.empty()) return;
      children.push_back(std::move(paragraph));
      paragraph = Node{"paragraph", {}, {}, {}};
    };
    for (Node& child : node.children) {
      const bool inline_child = child.is_text() || child.type == "hardBreak" || child.type == "image";
      if (inline_child) {
        paragraph.children.push_back(std::move(child));
      } else {
        flush();
        children.push_back(std::move(child));
      }
    }
    flush();
    if (children.empty()) children.push_back(Node{"paragraph", {}, {}, {}});
    node.children = std::move(children);
  }

  Node& parent() { return stack_.empty() ? root_ : stack_.back(); }

  // Where inline content goes: the open block if it takes inlines, else a new paragraph.
  Node& inline_parent() {
    if (!stack_.empty() && (takes_inlines(stack_.back().type) || needs_block_children(stack_.back().type)))
      return stack_.back();
    if (!orphan_) orphan_ = Node{"paragraph", {}, {}, {}};
    return *orphan_;
  }
  void flush_orphan_inlines() {
    if (!orphan_) return;
    Node node = std::move(*orphan_);
    orphan_.reset();
    parent().children.push_back(std::move(node));
  }

  static void write_children(crdt::Transaction& t, const Node& from, crdt::Type& to) {
    std::uint64_t index = 0;
    for (const Node& child : from.children) {
      if (child.is_text()) {
        crdt::Type& text = crdt::XmlEditor::insert_text(t, to, index++);
        std::uint64_t position = 0;
        for (const Run& run : child.runs) {
          const std::u16string units = crdt::to_utf16(run.text);
          crdt::TextEditor::insert(t, text, position, units, run.marks);
          position += units.size();
        }
        continue;
      }
      crdt::Type& element = crdt::XmlEditor::insert_element(t, to, index++, child.type);
      for (const auto& [key, value] : child.attrs) crdt::MapEditor::set(t, element, key, value);
      write_children(t, child, element);
    }
  }

  Node root_;
  std::vector<Node> stack_;
  std::optional<Node> orphan_;
  crdt::TextAttributes marks_;
};

std::string link_mark(const std::string& href) {
  return crdt::to_json(crdt::Any(crdt::Any::Object{{"href", crdt::Any(href)}}));
}

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or values beyond U+10FFFF.
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0, least = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F, least = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F, least = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07, least = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

Result<> check_input(std::string_view input) {
  if (input.size() > kMaxImportBytes) {
    return fail(ErrorKind::too_large, fmt::format("the file is {} bytes; the limit is {}",
                                                  input.size(), kMaxImportBytes));
  }
  if (!is_utf8(input)) return fail(ErrorKind::invalid_input, "the file is not UTF-8 text");
  return {};
}

// ---------------------------------------------------------------------------------------------
// Markdown.

struct CmarkDeleter {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};

// The text of a node's descendants (for image alt text and flattened deep nesting).
std::string cmark_text(cmark_node* node) {
  std::string out;
  cmark_iter* iter = cmark_iter_new(node);
  for (cmark_event_type ev; (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE;) {
    if (ev != CMARK_EVENT_ENTER) continue;
    cmark_node* n = cmark_iter_get_node(iter);
    if (const char* literal = cmark_node_get_literal(n); literal != nullptr) out += literal;
  }
  cmark_iter_free(iter);
  return out;
}

class MarkdownImporter {
 public:
  explicit MarkdownImporter(Builder& out) : out_(out) {}

  void children(cmark_node* node, int depth) {
    for (cmark_node* child = cmark_node_first_child(node); child != nullptr;
         child = cmark_node_next(child)) {
      visit(child, depth + 1);
    }
  }

  void visit(cmark_node* node, int depth) {
    if (depth > kMaxDepth) return out_.text(cmark_text(node));
    const std::string_view kind = cmark_node_get_type_string(node);
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_PARAGRAPH:
        return block(node, depth, "paragraph");
      case CMARK_NODE_HEADING:
        return block(node, depth, "heading",
                     {{"level", crdt::Any(static_cast<double>(cmark_node_get_heading_level(node)))}});
      case CMARK_NODE_BLOCK_QUOTE:
        return block(node, depth, "blockquote");
      case CMARK_NODE_LIST:
        return list(node, depth);
      case CMARK_NODE_ITEM:
        return block(node, depth, "listItem");
      case CMARK_NODE_CODE_BLOCK: {
        std::vector<std::pair<std::string, crdt::Any>> attrs;
        std::string info = cmark_node_get_fence_info(node) ? cmark_node_get_fence_info(node) : "";
        info = info.substr(0, info.find(' '));
        if (!info.empty()) attrs.emplace_back("language", crdt::Any(info));
        out_.open("codeBlock", std::move(attrs));
        std::string code = cmark_node_get_literal(node) ? cmark_node_get_literal(node) : "";
        if (!code.empty() && code.back() == '\n') code.pop_back();
        out_.text(code);
        out_.close();
        return;
      }
      case CMARK_NODE_THEMATIC_BREAK:
        out_.open("horizontalRule");
        out_.close();
        return;
      case CMARK_NODE_HTML_BLOCK:
        // Raw HTML is never trusted as markup: it stays visible as the text it is.
        return block_text(node, "paragraph");
      case CMARK_NODE_TEXT:
      case CMARK_NODE_HTML_INLINE:
        return out_.text(cmark_node_get_literal(node) ? cmark_node_get_literal(node) : "");
      case CMARK_NODE_SOFTBREAK:
        return out_.text(" ");
      case CMARK_NODE_LINEBREAK:
        return out_.inline_node("hardBreak");
      case CMARK_NODE_CODE:
        out_.push_mark("code", "{}");
        out_.text(cmark_node_get_literal(node) ? cmark_node_get_literal(node) : "");
        out_.pop_mark();
        return;
      case CMARK_NODE_EMPH:
        return marked(node, depth, "italic", "{}");
      case CMARK_NODE_STRONG:
        return marked(node, depth, "bold", "{}");
      case CMARK_NODE_LINK: {
        const auto href = crdt::safe_link_url(cmark_node_get_url(node) ? cmark_node_get_url(node) : "");
        if (!href) return children(node, depth);
        return marked(node, depth, "link", link_mark(*href));
      }
      case CMARK_NODE_IMAGE: {
        const auto src = crdt::safe_image_url(cmark_node_get_url(node) ? cmark_node_get_url(node) : "");
        if (!src) return out_.text(cmark_text(node));
        std::vector<std::pair<std::string, crdt::Any>> attrs{{"src", crdt::Any(*src)},
                                                             {"alt", crdt::Any(cmark_text(node))}};
        if (const char* title = cmark_node_get_title(node); title != nullptr && *title != '\0')
          attrs.emplace_back("title", crdt::Any(std::string(title)));
        return out_.inline_node("image", std::move(attrs));
      }
      default:
        break;
    }
    // GitHub's extensions.
    if (kind == "table") return table(node, depth);
    if (kind == "strikethrough") return marked(node, depth, "strike", "{}");
    children(node, depth);
  }

 private:
  void block(cmark_node* node, int depth, std::string type,
             std::vector<std::pair<std::string, crdt::Any>> attrs = {}) {
    out_.open(std::move(type), std::move(attrs));
    children(node, depth);
    out_.close();
  }

  void block_text(cmark_node* node, std::string type) {
    std::string text = cmark_node_get_literal(node) ? cmark_node_get_literal(node) : "";
    while (!text.empty() && text.back() == '\n') text.pop_back();
    out_.open(std::move(type));
    out_.text(text);
    out_.close();
  }

  void marked(cmark_node* node, int depth, std::string name, std::string json) {
    out_.push_mark(std::move(name), std::move(json));
    children(node, depth);
    out_.pop_mark();
  }

  void list(cmark_node* node, int depth) {
    bool tasks = false;
    for (cmark_node* item = cmark_node_first_child(node); item != nullptr; item = cmark_node_next(item))
      tasks = tasks || std::string_view(cmark_node_get_type_string(item)) == "tasklist";
    if (tasks) {
      out_.open("taskList");
      for (cmark_node* item = cmark_node_first_child(node); item != nullptr; item = cmark_node_next(item)) {
        out_.open("taskItem", {{"checked", crdt::Any(cmark_gfm_extensions_get_tasklist_item_checked(item))}});
        children(item, depth + 1);
        out_.close();
      }
      out_.close();
      return;
    }
    if (cmark_node_get_list_type(node) == CMARK_ORDERED_LIST) {
      return block(node, depth, "orderedList",
                   {{"start", crdt::Any(static_cast<double>(cmark_node_get_list_start(node)))}});
    }
    block(node, depth, "bulletList");
  }

  void table(cmark_node* node, int depth) {
    out_.open("table");
    for (cmark_node* row = cmark_node_first_child(node); row != nullptr; row = cmark_node_next(row)) {
      const bool header = cmark_gfm_extensions_get_table_row_is_header(row) != 0;
      out_.open("tableRow");
      for (cmark_node* cell = cmark_node_first_child(row); cell != nullptr; cell = cmark_node_next(cell)) {
        out_.open(header ? "tableHeader" : "tableCell",
                  {{"colspan", crdt::Any(1.0)}, {"rowspan", crdt::Any(1.0)}});
        out_.open("paragraph");
        children(cell, depth + 2);
        out_.close();
        out_.close();
      }
      out_.close();
    }
    out_.close();
  }

  Builder& out_;
};

// ---------------------------------------------------------------------------------------------
// HTML.

std::string_view name_of(const xmlNode* node) {
  return node->name ? std::string_view(reinterpret_cast<const char*>(node->name)) : std::string_view();
}

std::optional<std::string> attribute_of(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

// HTML collapses runs of white space into one space outside <pre>.
std::string collapse_space(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    if (space && out.empty()) out += ' ';
    space = false;
    out += c;
  }
  if (space) out += ' ';
  return out;
}

std::optional<double> small_number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    std::size_t used = 0;
    const int value = std::stoi(*text, &used);
    if (used != text->size() || value < 1 || value > 1000) return std::nullopt;
    return static_cast<double>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

class HtmlImporter {
 public:
  explicit HtmlImporter(Builder& out) : out_(out) {}

  void children(const xmlNode* node, int depth) {
    for (const xmlNode* child = node->children; child != nullptr; child = child->next) visit(child, depth + 1);
  }

  void visit(const xmlNode* node, int depth) {
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      const std::string_view text(reinterpret_cast<const char*>(node->content));
      if (preformatted_ > 0) return out_.text(text);
      std::string collapsed = collapse_space(text);
      // White space between blocks is not content.
      if (collapsed == " " && !out_.in_block()) return;
      return out_.text(collapsed);
    }
    if (node->type != XML_ELEMENT_NODE) return;
    if (depth > kMaxDepth) return out_.text(text_of(node));
    const std::string_view name = name_of(node);
    if (name == "script" || name == "style" || name == "head" || name == "template" ||
        name == "noscript" || name == "iframe" || name == "object") {
      return;
    }
    if (name == "p") return block(node, depth, "paragraph");
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
      return block(node, depth, "heading", {{"level", crdt::Any(static_cast<double>(name[1] - '0'))}});
    }
    if (name == "blockquote") return block(node, depth, "blockquote");
    if (name == "ul") {
      const bool tasks = attribute_of(node, "data-type") == "taskList";
      return block(node, depth, tasks ? "taskList" : "bulletList");
    }
    if (name == "ol") {
      return block(node, depth, "orderedList",
                   {{"start", crdt::Any(small_number(attribute_of(node, "start")).value_or(1.0))}});
    }
    if (name == "li") {
      if (auto checked = attribute_of(node, "data-checked")) {
        return block(node, depth, "taskItem", {{"checked", crdt::Any(*checked == "true")}});
      }
      return block(node, depth, "listItem");
    }
    if (name == "pre") {
      std::vector<std::pair<std::string, crdt::Any>> attrs;
      for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
        if (child->type != XML_ELEMENT_NODE || name_of(child) != "code") continue;
        if (auto css = attribute_of(child, "class"); css && css->starts_with("language-"))
          attrs.emplace_back("language", crdt::Any(css->substr(9)));
      }
      out_.open("codeBlock", std::move(attrs));
      ++preformatted_;
      out_.text(text_of(node));
      --preformatted_;
      out_.close();
      return;
    }
    if (name == "hr") {
      out_.open("horizontalRule");
      out_.close();
      return;
    }
    if (name == "br") return out_.inline_node("hardBreak");
    if (name == "img") {
      const auto src = crdt::safe_image_url(attribute_of(node, "src").value_or(""));
      if (!src) return;
      std::vector<std::pair<std::string, crdt::Any>> attrs{
          {"src", crdt::Any(*src)}, {"alt", crdt::Any(attribute_of(node, "alt").value_or(""))}};
      if (auto title = attribute_of(node, "title")) attrs.emplace_back("title", crdt::Any(*title));
      return out_.inline_node("image", std::move(attrs));
    }
    if (name == "table") return table(node, depth);
    if (name == "strong" || name == "b") return marked(node, depth, "bold", "{}");
    if (name == "em" || name == "i") return marked(node, depth, "italic", "{}");
    if (name == "u") return marked(node, depth, "underline", "{}");
    if (name == "s" || name == "strike" || name == "del") return marked(node, depth, "strike", "{}");
    if (name == "code") return marked(node, depth, "code", "{}");
    if (name == "a") {
      const auto href = crdt::safe_link_url(attribute_of(node, "href").value_or(""));
      if (!href) return children(node, depth);
      return marked(node, depth, "link", link_mark(*href));
    }
    // Anything else (div, span, section, body, unknown tags) gives its content.
    children(node, depth);
  }

 private:
  static std::string text_of(const xmlNode* node) {
    xmlChar* text = xmlNodeGetContent(node);
    if (text == nullptr) return {};
    std::string out(reinterpret_cast<const char*>(text));
    xmlFree(text);
    return out;
  }

  void block(const xmlNode* node, int depth, std::string type,
             std::vector<std::pair<std::string, crdt::Any>> attrs = {}) {
    out_.open(std::move(type), std::move(attrs));
    children(node, depth);
    out_.close();
  }

  void marked(const xmlNode* node, int depth, std::string name, std::string json) {
    out_.push_mark(std::move(name), std::move(json));
    children(node, depth);
    out_.pop_mark();
  }

  // Rows from the table and its thead/tbody/tfoot, cells from th and td.
  void table(const xmlNode* node, int depth) {
    out_.open("table");
    auto rows = [&](const xmlNode* parent, auto& self) -> void {
      for (const xmlNode* child = parent->children; child != nullptr; child = child->next) {
        if (child->type != XML_ELEMENT_NODE) continue;
        const std::string_view name = name_of(child);
        if (name == "thead" || name == "tbody" || name == "tfoot") {
          self(child, self);
        } else if (name == "tr") {
          out_.open("tableRow");
          for (const xmlNode* cell = child->children; cell != nullptr; cell = cell->next) {
            if (cell->type != XML_ELEMENT_NODE) continue;
            const std::string_view cell_name = name_of(cell);
            if (cell_name != "td" && cell_name != "th") continue;
            out_.open(cell_name == "th" ? "tableHeader" : "tableCell",
                      {{"colspan", crdt::Any(small_number(attribute_of(cell, "colspan")).value_or(1.0))},
                       {"rowspan", crdt::Any(small_number(attribute_of(cell, "rowspan")).value_or(1.0))}});
            children(cell, depth + 3);
            out_.close();
          }
          out_.close();
        }
      }
    };
    rows(node, rows);
    out_.close();
  }

  Builder& out_;
  int preformatted_ = 0;
};

}  // namespace

Result<std::vector<std::uint8_t>> import_markdown(std::string_view markdown) {
  AGORA_TRY(check_input(markdown));
  static std::once_flag registered;
  std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
  std::unique_ptr<cmark_parser, CmarkDeleter> parser(cmark_parser_new(CMARK_OPT_DEFAULT));
  for (const char* name : {"table", "strikethrough", "tasklist", "autolink"}) {
    if (cmark_syntax_extension* extension = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), extension);
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, CmarkDeleter> document(cmark_parser_finish(parser.get()));
  Builder builder;
  MarkdownImporter(builder).children(document.get(), 0);
  return builder.finish();
}

Result<std::vector<std::uint8_t>> import_html(std::string_view html) {
  AGORA_TRY(check_input(html));
  const int options = HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET;
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> document(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", options),
      xmlFreeDoc);
  Builder builder;
  if (document) {
    if (const xmlNode* root = xmlDocGetRootElement(document.get())) HtmlImporter(builder).visit(root, 0);
  }
  return builder.finish();
}

}  // namespace agora::collab
