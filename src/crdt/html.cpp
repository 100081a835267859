#include "crdt/html.hpp"

#include "crdt/any.hpp"
#include "crdt/error.hpp"
#include "crdt/item.hpp"
#include "crdt/readers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace agora::crdt {

namespace {

// ---------------------------------------------------------------------------------------------
// The schema: TipTap's node and mark names, and prosemirror-schema-basic's / -list's / -tables'
// snake_case names for the same nodes, so documents from plain ProseMirror editors render too.

enum class Node {
  paragraph,
  heading,
  bullet_list,
  ordered_list,
  list_item,
  task_list,
  task_item,
  blockquote,
  code_block,
  hard_break,
  horizontal_rule,
  table,
  table_row,
  table_header,
  table_cell,
  image,
  unknown,
};

Node node_of(std::string_view name) {
  static constexpr std::pair<std::string_view, Node> kNames[] = {
      {"paragraph", Node::paragraph},
      {"heading", Node::heading},
      {"bulletList", Node::bullet_list},
      {"bullet_list", Node::bullet_list},
      {"orderedList", Node::ordered_list},
      {"ordered_list", Node::ordered_list},
      {"listItem", Node::list_item},
      {"list_item", Node::list_item},
      {"taskList", Node::task_list},
      {"taskItem", Node::task_item},
      {"blockquote", Node::blockquote},
      {"codeBlock", Node::code_block},
      {"code_block", Node::code_block},
      {"hardBreak", Node::hard_break},
      {"hard_break", Node::hard_break},
      {"horizontalRule", Node::horizontal_rule},
      {"horizontal_rule", Node::horizontal_rule},
      {"table", Node::table},
      {"tableRow", Node::table_row},
      {"table_row", Node::table_row},
      {"tableHeader", Node::table_header},
      {"table_header", Node::table_header},
      {"tableCell", Node::table_cell},
      {"table_cell", Node::table_cell},
      {"image", Node::image},
  };
  for (const auto& [known, node] : kNames)
    if (known == name) return node;
  return Node::unknown;
}

// Marks in the order they nest, outermost first: a fixed order keeps the output deterministic
// and lets runs that share their outer marks share the open tags.
enum class Mark : std::uint8_t { link, bold, italic, underline, strike, code };
constexpr std::size_t kMarkCount = 6;
constexpr std::array<std::string_view, kMarkCount> kMarkTags = {"a", "strong", "em",
                                                                "u", "s",      "code"};

std::optional<Mark> mark_of(std::string_view key) {
  // y-prosemirror stores marks that may overlap themselves as "name--" + an 8-character hash.
  if (key.size() > 10 && key.substr(key.size() - 10, 2) == "--" &&
      std::all_of(key.end() - 8, key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=';
      })) {
    key.remove_suffix(10);
  }
  if (key == "link") return Mark::link;
  if (key == "bold" || key == "strong") return Mark::bold;
  if (key == "italic" || key == "em") return Mark::italic;
  if (key == "underline") return Mark::underline;
  if (key == "strike") return Mark::strike;
  if (key == "code") return Mark::code;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Attribute values.

// The current value of an element attribute (y-prosemirror writes node attrs as ContentAny).
std::optional<Any> attribute(const Type& element, const std::string& key) {
  const auto found = element.entries().find(key);
  if (found == element.entries().end() || found->second->deleted()) return std::nullopt;
  const Content& content = found->second->content;
  if (const auto* any = content.get<AnyContent>(); any != nullptr && !any->values.empty())
    return any->values.back();
  if (const auto* json = content.get<JsonContent>(); json != nullptr && !json->values.empty()) {
    try {
      return parse_json(json->values.back());
    } catch (const DecodeError&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Copies, because attribute() values are temporaries.
std::optional<std::string> as_string(const std::optional<Any>& value) {
  if (!value) return std::nullopt;
  if (const auto* text = std::get_if<std::string>(&value->value)) return *text;
  return std::nullopt;
}

// An integral number, or a string of decimal digits (attributes parsed from pasted HTML).
std::optional<std::int64_t> as_integer(const std::optional<Any>& value) {
  if (!value) return std::nullopt;
  if (const auto* number = std::get_if<double>(&value->value)) {
    if (!std::isfinite(*number) || std::trunc(*number) != *number || std::fabs(*number) > 1e15)
      return std::nullopt;
    return static_cast<std::int64_t>(*number);
  }
  if (const auto* big = std::get_if<Any::BigInt>(&value->value)) return big->value;
  if (const auto* text = std::get_if<std::string>(&value->value)) {
    std::string_view digits = *text;
    const bool negative = !digits.empty() && digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    std::int64_t result = 0;
    for (char c : digits) result = result * 10 + (c - '0');
    return negative ? -result : result;
  }
  return std::nullopt;
}

// Whether a mark's value switches it on: y-prosemirror writes mark.attrs (often {}), other
// writers true; null and false mean the mark is off.
bool is_on(const Any& value) {
  return !std::holds_alternative<Any::Undefined>(value.value) &&
         !std::holds_alternative<std::nullptr_t>(value.value) &&
         !(std::holds_alternative<bool>(value.value) && !std::get<bool>(value.value));
}

int heading_level(const std::optional<Any>& value) {
  double level = 1;
  if (value) {
    if (const auto* number = std::get_if<double>(&value->value)) {
      level = *number;
    } else if (const auto integer = as_integer(value)) {
      level = static_cast<double>(*integer);
    }
  }
  if (!(level >= 1)) return 1;  // also NaN
  if (level > 6) return 6;
  return static_cast<int>(level);
}

bool is_checked(const std::optional<Any>& value) {
  if (!value) return false;
  if (const auto* flag = std::get_if<bool>(&value->value)) return *flag;
  return as_string(value) == "true";
}

// A code block's language, when it is a plain identifier that is safe in a class name.
std::optional<std::string> code_language(const std::optional<Any>& value) {
  std::optional<std::string> language = as_string(value);
  if (!language || language->empty() || language->size() > 32) return std::nullopt;
  const bool plain = std::all_of(language->begin(), language->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '+' || c == '-';
  });
  return plain ? language : std::nullopt;
}

enum class UrlUse { link, image };

// The URL to write, or nothing when it is not safe: only http, https (and mailto, tel for
// links) or a relative reference. Browsers skip leading and trailing controls and spaces and
// drop tabs and newlines anywhere ("java\tscript:"), so the check runs on the URL as a browser
// would read it, and that cleaned URL is what gets written.
std::optional<std::string> safe_url(std::string_view raw, UrlUse use) {
  while (!raw.empty() && static_cast<unsigned char>(raw.front()) <= 0x20) raw.remove_prefix(1);
  while (!raw.empty() && static_cast<unsigned char>(raw.back()) <= 0x20) raw.remove_suffix(1);
  std::string url;
  url.reserve(raw.size());
  for (char c : raw)
    if (c != '\t' && c != '\n' && c != '\r') url += c;
  if (url.empty()) return std::nullopt;
  // A colon before any '/', '?' or '#' names a scheme; refusing every scheme not on the list
  // is stricter than browsers, which treat some malformed schemes as relative paths.
  const std::size_t delimiter = url.find_first_of(":/?#");
  if (delimiter == std::string::npos || url[delimiter] != ':') return url;
  std::string scheme = url.substr(0, delimiter);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  if (scheme == "http" || scheme == "https") return url;
  if (use == UrlUse::link && (scheme == "mailto" || scheme == "tel")) return url;
  return std::nullopt;
}

// The safe href of a link mark's value ({href, target, rel, class}), if any.
std::optional<std::string> link_href(const Any& value) {
  const auto* object = std::get_if<Any::Object>(&value.value);
  if (object == nullptr) return std::nullopt;
  const std::string* href = nullptr;
  for (const auto& [key, field] : *object)  // the last duplicate wins, as in JSON.parse
    if (key == "href") href = std::get_if<std::string>(&field.value);
  if (href == nullptr) return std::nullopt;
  return safe_url(*href, UrlUse::link);
}

// ---------------------------------------------------------------------------------------------
// Shared traversal helpers.

const Type* child_type(const Item& item) {
  if (!item.visible()) return nullptr;
  const auto* nested = item.content.get<TypeContent>();
  return nested != nullptr ? nested->type.get() : nullptr;
}

// The visible text of every XmlText under `root`, in document order. Iterative, so it is the
// fallback for trees nested deeper than kMaxRenderDepth.
std::string subtree_text(const Type& root) {
  if (root.kind() == TypeKind::xml_text) return text_to_string(root);
  std::string out;
  std::vector<const Item*> resume{root.start()};
  while (!resume.empty()) {
    const Item* item = resume.back();
    resume.pop_back();
    for (; item != nullptr; item = item->right) {
      const Type* child = child_type(*item);
      if (child == nullptr) continue;
      if (child->kind() == TypeKind::xml_text) {
        out += text_to_string(*child);
      } else if (child->kind() == TypeKind::xml_element) {
        resume.push_back(item->right);
        resume.push_back(child->start());
        break;
      }
    }
  }
  return out;
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':  // an HTML parser reads NUL as U+FFFD; write that
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTML.

struct OpenMark {
  Mark mark;
  std::string href;  // links only: two different links are two different marks
  bool operator==(const OpenMark&) const = default;
};

// The known, switched-on marks of a delta run, in nesting order.
std::vector<OpenMark> marks_of(const std::vector<std::pair<std::string, std::string>>& attributes) {
  std::array<std::optional<OpenMark>, kMarkCount> found;
  for (const auto& [key, json] : attributes) {
    const std::optional<Mark> mark = mark_of(key);
    if (!mark) continue;
    Any value;
    try {
      value = parse_json(json);
    } catch (const DecodeError&) {
      continue;
    }
    if (*mark == Mark::link) {
      if (std::optional<std::string> href = link_href(value))
        found[0] = OpenMark{Mark::link, std::move(*href)};
    } else if (is_on(value)) {
      found[static_cast<std::size_t>(*mark)] = OpenMark{*mark, {}};
    }
  }
  std::vector<OpenMark> marks;
  for (auto& mark : found)
    if (mark) marks.push_back(std::move(*mark));
  return marks;
}

class HtmlWriter {
 public:
  void children(const Type& parent, int depth) {
    for (const Item* item = parent.start(); item != nullptr; item = item->right) {
      const Type* child = child_type(*item);
      if (child == nullptr) continue;
      if (child->kind() == TypeKind::xml_element) {
        element(*child, depth + 1);
      } else if (child->kind() == TypeKind::xml_text) {
        inline_text(*child);
      }
    }
  }

  void element(const Type& element, int depth) {
    if (depth > kMaxRenderDepth) {
      append_escaped(out_, subtree_text(element));
      return;
    }
    switch (node_of(element.name())) {
      case Node::paragraph:
        return wrap(element, depth, "<p>", "</p>");
      case Node::heading: {
        const char digit = static_cast<char>('0' + heading_level(attribute(element, "level")));
        const std::string open = std::string("<h") + digit + '>';
        const std::string close = std::string("</h") + digit + '>';
        return wrap(element, depth, open, close);
      }
      case Node::bullet_list:
        return wrap(element, depth, "<ul>", "</ul>");
      case Node::ordered_list: {
        std::string open = "<ol";
        const auto start = as_integer(attribute(element, "start"));
        if (start && *start != 1 && *start > -1'000'000'000 && *start < 1'000'000'000)
          open += " start=\"" + std::to_string(*start) + '"';
        return wrap(element, depth, open + '>', "</ol>");
      }
      case Node::list_item:
        return wrap(element, depth, "<li>", "</li>");
      case Node::task_list:
        return wrap(element, depth, "<ul class=\"task-list\">", "</ul>");
      case Node::task_item: {
        const bool checked = is_checked(attribute(element, "checked"));
        return wrap(element, depth,
                    checked ? "<li class=\"task-item\"><input type=\"checkbox\" disabled checked>"
                            : "<li class=\"task-item\"><input type=\"checkbox\" disabled>",
                    "</li>");
      }
      case Node::blockquote:
        return wrap(element, depth, "<blockquote>", "</blockquote>");
      case Node::code_block: {
        std::string open = "<pre><code";
        if (const auto language = code_language(attribute(element, "language")))
          open += " class=\"language-" + *language + '"';
        return wrap(element, depth, open + '>', "</code></pre>");
      }
      case Node::hard_break:
        out_ += "<br>";
        return;
      case Node::horizontal_rule:
        out_ += "<hr>";
        return;
      case Node::table:
        return wrap(element, depth, "<table>", "</table>");
      case Node::table_row:
        return wrap(element, depth, "<tr>", "</tr>");
      case Node::table_header:
        return wrap(element, depth, "<th" + spans(element) + '>', "</th>");
      case Node::table_cell:
        return wrap(element, depth, "<td" + spans(element) + '>', "</td>");
      case Node::image:
        return image(element);
      case Node::unknown:
        return children(element, depth);
    }
  }

  void inline_text(const Type& text) {
    std::vector<OpenMark> open;
    for (const DeltaOp& op : text_to_delta(text)) {
      const auto* run = std::get_if<std::u16string>(&op.insert);
      if (run == nullptr) continue;  // embeds and nested types render nothing
      const std::vector<OpenMark> wanted = marks_of(op.attributes);
      std::size_t common = 0;
      while (common < open.size() && common < wanted.size() && open[common] == wanted[common])
        ++common;
      while (open.size() > common) {
        close_mark(open.back().mark);
        open.pop_back();
      }
      for (std::size_t i = common; i < wanted.size(); ++i) {
        open_mark(wanted[i]);
        open.push_back(wanted[i]);
      }
      append_escaped(out_, to_utf8(*run));
    }
    while (!open.empty()) {
      close_mark(open.back().mark);
      open.pop_back();
    }
  }

  std::string take() { return std::move(out_); }

 private:
  void wrap(const Type& element, int depth, std::string_view open, std::string_view close) {
    out_ += open;
    children(element, depth);
    out_ += close;
  }

  // colspan and rowspan, written only when they are integers above 1 (1 is the default).
  static std::string spans(const Type& cell) {
    std::string out;
    for (const char* key : {"colspan", "rowspan"}) {
      const auto span = as_integer(attribute(cell, key));
      if (span && *span > 1 && *span <= 65534)
        out += std::string(" ") + key + "=\"" + std::to_string(*span) + '"';
    }
    return out;
  }

  void image(const Type& element) {
    const std::optional<std::string> src = as_string(attribute(element, "src"));
    if (!src) return;
    const std::optional<std::string> url = safe_url(*src, UrlUse::image);
    if (!url) return;
    out_ += "<img src=\"";
    append_escaped(out_, *url);
    out_ += "\" alt=\"";
    if (const auto alt = as_string(attribute(element, "alt"))) append_escaped(out_, *alt);
    out_ += '"';
    if (const auto title = as_string(attribute(element, "title")); title && !title->empty()) {
      out_ += " title=\"";
      append_escaped(out_, *title);
      out_ += '"';
    }
    out_ += '>';
  }

  void open_mark(const OpenMark& mark) {
    if (mark.mark == Mark::link) {
      out_ += "<a href=\"";
      append_escaped(out_, mark.href);
      out_ += "\" rel=\"noopener noreferrer\">";
      return;
    }
    out_ += '<';
    out_ += kMarkTags[static_cast<std::size_t>(mark.mark)];
    out_ += '>';
  }

  void close_mark(Mark mark) {
    out_ += "</";
    out_ += kMarkTags[static_cast<std::size_t>(mark)];
    out_ += '>';
  }

  std::string out_;
};

// ---------------------------------------------------------------------------------------------
// Plain text.

// Separators between pieces of text, weakest first; of several requested in a row only the
// strongest is written, and only once text follows.
enum class Gap : std::uint8_t { none, space, newline, blank_line };

class TextWriter {
 public:
  void children(const Type& parent, int depth, Gap gap) {
    for (const Item* item = parent.start(); item != nullptr; item = item->right) {
      const Type* child = child_type(*item);
      if (child == nullptr) continue;
      if (child->kind() == TypeKind::xml_element) {
        element(*child, depth + 1, gap);
      } else if (child->kind() == TypeKind::xml_text) {
        write(text_to_string(*child));
      } else {
        continue;
      }
      request(gap);
    }
  }

  // `gap` is what separates the children of the element's parent; unknown nodes pass it on.
  void element(const Type& element, int depth, Gap gap) {
    if (depth > kMaxRenderDepth) return write(subtree_text(element));
    switch (node_of(element.name())) {
      case Node::paragraph:
      case Node::heading:
      case Node::code_block:
        return children(element, depth, Gap::none);
      case Node::bullet_list:
      case Node::ordered_list:
      case Node::task_list:
      case Node::list_item:
      case Node::task_item:
        return children(element, depth, Gap::newline);
      case Node::blockquote:
        return children(element, depth, Gap::blank_line);
      case Node::hard_break:
        return request(Gap::newline);
      case Node::horizontal_rule:
        return;
      case Node::table:
        return write_table(table_text(element, depth));
      case Node::table_row:
        return write_table(row_text(element, depth));
      case Node::table_header:
      case Node::table_cell:
        return children(element, depth, Gap::space);
      case Node::image:
        if (const auto alt = as_string(attribute(element, "alt"))) write(*alt);
        return;
      case Node::unknown:
        return children(element, depth, gap);
    }
  }

  void write(std::string_view text) {
    if (text.empty()) return;
    if (!out_.empty()) {
      static constexpr std::string_view kGaps[] = {"", " ", "\n", "\n\n"};
      out_ += kGaps[static_cast<std::size_t>(pending_)];
    }
    pending_ = Gap::none;
    out_ += text;
  }

  void request(Gap gap) { pending_ = std::max(pending_, gap); }

  std::string take() { return std::move(out_); }

 private:
  // Rows joined by newlines; every element child of the table counts as a row.
  static std::string table_text(const Type& table, int depth) {
    std::string out;
    bool first = true;
    for (const Item* item = table.start(); item != nullptr; item = item->right) {
      const Type* row = child_type(*item);
      if (row == nullptr || row->kind() != TypeKind::xml_element) continue;
      if (!first) out += '\n';
      first = false;
      out += row_text(*row, depth + 1);
    }
    return out;
  }

  // Cells joined by tabs; a cell's own newlines and tabs become spaces to keep the columns.
  static std::string row_text(const Type& row, int depth) {
    if (depth > kMaxRenderDepth) return subtree_text(row);
    std::string out;
    bool first = true;
    for (const Item* item = row.start(); item != nullptr; item = item->right) {
      const Type* cell = child_type(*item);
      if (cell == nullptr || cell->kind() != TypeKind::xml_element) continue;
      if (!first) out += '\t';
      first = false;
      TextWriter writer;
      if (depth + 1 > kMaxRenderDepth) {
        writer.write(subtree_text(*cell));
      } else {
        writer.children(*cell, depth + 1, Gap::space);
      }
      std::string text = writer.take();
      std::replace_if(
          text.begin(), text.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
      out += text;
    }
    return out;
  }

  // A table whose cells are all empty adds nothing but separators.
  void write_table(const std::string& text) {
    if (text.find_first_not_of("\t\n") != std::string::npos) write(text);
  }

  std::string out_;
  Gap pending_ = Gap::none;
};

// ---------------------------------------------------------------------------------------------
// Markdown (CommonMark with GitHub's tables, strikethrough and task lists).

// Backslash-escapes what Markdown would read as syntax inside a line of text.
std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (std::string_view("\\`*_[]<>~|!").find(c) != std::string_view::npos) out += '\\';
    if (c == '\n') {
      out += ' ';  // a paragraph's text has no newlines of its own; hard breaks are nodes
      continue;
    }
    out += c;
  }
  return out;
}

// Escapes what would start a block if it began a line: "# ", "- ", "+ ", "> ", "1. ", "===".
std::string escape_line_start(std::string line) {
  std::size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  if (digits > 0 && digits < line.size() && (line[digits] == '.' || line[digits] == ')'))
    return line.insert(digits, "\\");
  if (!line.empty() && std::string_view("#-+=>").find(line.front()) != std::string_view::npos)
    return "\\" + line;
  return line;
}

// Prefixes every line of `block`: `first` on the first line, `rest` on the others (empty
// lines get `rest` without trailing spaces).
std::string prefix_lines(std::string_view block, std::string_view first, std::string_view rest) {
  std::string out;
  bool at_start = true;
  bool first_line = true;
  for (std::size_t i = 0; i <= block.size(); ++i) {
    const bool end_of_line = i == block.size() || block[i] == '\n';
    if (at_start) {
      std::string_view prefix = first_line ? first : rest;
      if (end_of_line) {
        while (!prefix.empty() && prefix.back() == ' ') prefix.remove_suffix(1);
      }
      out += prefix;
      at_start = false;
      first_line = false;
    }
    if (i == block.size()) break;
    out += block[i];
    if (block[i] == '\n') at_start = true;
  }
  return out;
}

class MarkdownWriter {
 public:
  // The blocks among `parent`'s children, separated by a blank line (or one newline if tight).
  std::string blocks(const Type& parent, int depth, bool tight) {
    std::string out;
    std::string inlines;  // text directly inside a container, gathered into one paragraph
    auto flush_inlines = [&] {
      if (inlines.empty()) return;
      add_block(out, escape_line_start(std::move(inlines)), tight);
      inlines.clear();
    };
    for (const Item* item = parent.start(); item != nullptr; item = item->right) {
      const Type* child = child_type(*item);
      if (child == nullptr) continue;
      if (child->kind() == TypeKind::xml_text) {
        inlines += inline_text(*child);
      } else if (child->kind() == TypeKind::xml_element) {
        flush_inlines();
        add_block(out, block(*child, depth + 1), tight);
      }
    }
    flush_inlines();
    return out;
  }

  // One block element as Markdown, without a trailing newline.
  std::string block(const Type& element, int depth) {
    if (depth > kMaxRenderDepth) return escape_line_start(escape_markdown(subtree_text(element)));
    switch (node_of(element.name())) {
      case Node::paragraph:
        return escape_line_start(inlines(element, depth));
      case Node::heading:
        return std::string(static_cast<std::size_t>(heading_level(attribute(element, "level"))),
                           '#') +
               ' ' + inlines(element, depth);
      case Node::bullet_list:
      case Node::ordered_list:
      case Node::task_list:
        return list(element, depth);
      case Node::list_item:
      case Node::task_item:
        return prefix_lines(blocks(element, depth, true), "- ", "  ");
      case Node::blockquote:
        return prefix_lines(blocks(element, depth, false), "> ", "> ");
      case Node::code_block: {
        const std::string code = subtree_text(element);
        std::string fence = "```";
        while (code.find(fence) != std::string::npos) fence += '`';
        return fence + code_language(attribute(element, "language")).value_or("") + '\n' + code +
               '\n' + fence;
      }
      case Node::horizontal_rule:
        return "---";
      case Node::table:
        return table(element, depth);
      case Node::hard_break:
      case Node::image:
        return inlines_of(element, depth);
      case Node::table_row:
      case Node::table_header:
      case Node::table_cell:
      case Node::unknown:
        return blocks(element, depth, false);
    }
    return {};
  }

 private:
  static void add_block(std::string& out, const std::string& block, bool tight) {
    if (block.empty()) return;
    if (!out.empty()) out += tight ? "\n" : "\n\n";
    out += block;
  }

  // The inline content of a paragraph-like element: texts, hard breaks, images.
  std::string inlines(const Type& element, int depth) {
    std::string out;
    for (const Item* item = element.start(); item != nullptr; item = item->right) {
      const Type* child = child_type(*item);
      if (child == nullptr) continue;
      if (child->kind() == TypeKind::xml_text) {
        out += inline_text(*child);
      } else if (child->kind() == TypeKind::xml_element) {
        out += inlines_of(*child, depth + 1);
      }
    }
    return out;
  }

  // An element met inside a paragraph.
  std::string inlines_of(const Type& element, int depth) {
    switch (node_of(element.name())) {
      case Node::hard_break:
        return "\\\n";
      case Node::image: {
        const auto src = as_string(attribute(element, "src"));
        const auto url = src ? safe_url(*src, UrlUse::image) : std::nullopt;
        if (!url) return {};
        return "![" + escape_markdown(as_string(attribute(element, "alt")).value_or("")) + "](<" +
               escape_markdown(*url) + ">)";
      }
      default:
        return depth > kMaxRenderDepth ? escape_markdown(subtree_text(element))
                                       : inlines(element, depth);
    }
  }

  std::string inline_text(const Type& text) {
    std::string out;
    for (const DeltaOp& op : text_to_delta(text)) {
      const auto* run = std::get_if<std::u16string>(&op.insert);
      if (run == nullptr) continue;
      const std::string utf8 = to_utf8(*run);
      // Delimiters must touch the text they mark, so spaces at either end stay outside.
      const std::size_t first = utf8.find_first_not_of(' ');
      if (first == std::string::npos) {
        out += utf8;
        continue;
      }
      const std::size_t last = utf8.find_last_not_of(' ');
      const std::string_view core = std::string_view(utf8).substr(first, last - first + 1);
      const std::vector<OpenMark> marks = marks_of(op.attributes);
      std::string open, close, body;
      bool code = false;
      for (const OpenMark& mark : marks) {
        switch (mark.mark) {
          case Mark::link:
            open += "[";
            close = "](<" + escape_markdown(mark.href) + ">)" + close;
            break;
          case Mark::bold:
            open += "**";
            close = "**" + close;
            break;
          case Mark::italic:
            // '*' rather than '_': only asterisks may open or close inside a word.
            open += "*";
            close = "*" + close;
            break;
          case Mark::strike:
            open += "~~";
            close = "~~" + close;
            break;
          case Mark::code:
            code = true;
            break;
          case Mark::underline:
            break;  // Markdown has no underline
        }
      }
      if (code) {
        std::string ticks = "`";
        while (core.find(ticks) != std::string_view::npos) ticks += '`';
        const bool pad = core.front() == '`' || core.back() == '`';
        body = ticks + (pad ? " " : "") + std::string(core) + (pad ? " " : "") + ticks;
      } else {
        body = escape_markdown(core);
      }
      out += utf8.substr(0, first) + open + body + close + utf8.substr(last + 1);
    }
    return out;
  }

  std::string list(const Type& list, int depth) {
    const Node kind = node_of(list.name());
    std::int64_t number = 1;
    if (kind == Node::ordered_list) {
      const auto start = as_integer(attribute(list, "start"));
      if (start && *start >= 0 && *start < 1'000'000'000) number = *start;
    }
    std::string out;
    for (const Item* item = list.start(); item != nullptr; item = item->right) {
      const Type* entry = child_type(*item);
      if (entry == nullptr || entry->kind() != TypeKind::xml_element) continue;
      std::string marker = "- ";
      if (kind == Node::ordered_list) {
        marker = std::to_string(number++) + ". ";
      } else if (node_of(entry->name()) == Node::task_item) {
        marker = is_checked(attribute(*entry, "checked")) ? "- [x] " : "- [ ] ";
      }
      const std::string body = depth + 1 > kMaxRenderDepth
                                   ? escape_markdown(subtree_text(*entry))
                                   : blocks(*entry, depth + 1, true);
      if (!out.empty()) out += '\n';
      out += prefix_lines(body.empty() ? std::string() : body, marker,
                          std::string(marker.size(), ' '));
    }
    return out;
  }

  std::string table(const Type& table, int depth) {
    std::vector<std::vector<std::string>> rows;
    std::size_t columns = 0;
    for (const Item* item = table.start(); item != nullptr; item = item->right) {
      const Type* row = child_type(*item);
      if (row == nullptr || row->kind() != TypeKind::xml_element) continue;
      std::vector<std::string> cells;
      for (const Item* c = row->start(); c != nullptr; c = c->right) {
        const Type* cell = child_type(*c);
        if (cell == nullptr || cell->kind() != TypeKind::xml_element) continue;
        // A cell is one line in Markdown: its blocks are joined by spaces.
        std::string text = depth + 2 > kMaxRenderDepth ? escape_markdown(subtree_text(*cell))
                                                       : blocks(*cell, depth + 2, true);
        std::replace(text.begin(), text.end(), '\n', ' ');
        cells.push_back(std::move(text));
      }
      columns = std::max(columns, cells.size());
      rows.push_back(std::move(cells));
    }
    if (rows.empty() || columns == 0) return {};
    std::string out;
    auto write_row = [&](const std::vector<std::string>& cells) {
      out += '|';
      for (std::size_t i = 0; i < columns; ++i) {
        out += ' ';
        if (i < cells.size()) out += cells[i];
        out += " |";
      }
      out += '\n';
    };
    write_row(rows.front());
    out += '|';
    for (std::size_t i = 0; i < columns; ++i) out += " --- |";
    out += '\n';
    for (std::size_t r = 1; r < rows.size(); ++r) write_row(rows[r]);
    out.pop_back();
    return out;
  }
};

}  // namespace

std::optional<std::string> safe_link_url(std::string_view url) {
  return safe_url(url, UrlUse::link);
}

std::optional<std::string> safe_image_url(std::string_view url) {
  return safe_url(url, UrlUse::image);
}

std::string xml_to_html(const Type& fragment) {
  HtmlWriter writer;
  switch (fragment.kind()) {
    case TypeKind::xml_fragment:
      writer.children(fragment, 0);
      break;
    case TypeKind::xml_element:
      writer.element(fragment, 1);
      break;
    case TypeKind::xml_text:
      writer.inline_text(fragment);
      break;
    default:
      break;
  }
  return writer.take();
}

std::string xml_to_plain_text(const Type& fragment) {
  TextWriter writer;
  switch (fragment.kind()) {
    case TypeKind::xml_fragment:
      writer.children(fragment, 0, Gap::blank_line);
      break;
    case TypeKind::xml_element:
      writer.element(fragment, 1, Gap::blank_line);
      break;
    case TypeKind::xml_text:
      writer.write(text_to_string(fragment));
      break;
    default:
      break;
  }
  return writer.take();
}

std::string xml_to_markdown(const Type& fragment) {
  MarkdownWriter writer;
  std::string out;
  switch (fragment.kind()) {
    case TypeKind::xml_fragment:
      out = writer.blocks(fragment, 0, false);
      break;
    case TypeKind::xml_element:
      out = writer.block(fragment, 1);
      break;
    case TypeKind::xml_text:
      out = escape_markdown(text_to_string(fragment));
      break;
    default:
      break;
  }
  if (!out.empty()) out += '\n';
  return out;
}

}  // namespace agora::crdt
