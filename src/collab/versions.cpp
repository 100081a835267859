#include "collab/versions.hpp"

#include "collab/document_content.hpp"
#include "crdt/any.hpp"
#include "crdt/editing.hpp"
#include "crdt/html.hpp"
#include "crdt/item.hpp"
#include "crdt/readers.hpp"
#include "http/message.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace agora::collab {

namespace {

// Deeper trees are not copied further: the HTML export stops rendering at the same depth.
constexpr int kMaxCopyDepth = crdt::kMaxRenderDepth;

// The visible children of an Xml type that are themselves types, in order.
std::vector<const crdt::Type*> children_of(const crdt::Type& parent) {
  std::vector<const crdt::Type*> out;
  for (const crdt::Item* item = parent.start(); item != nullptr; item = item->right) {
    if (!item->visible()) continue;
    if (const auto* nested = item->content.get<crdt::TypeContent>()) out.push_back(nested->type.get());
  }
  return out;
}

// The current value of an element attribute as y-prosemirror writes it (one `any`).
std::optional<crdt::Any> attribute_value(const crdt::Item& item) {
  if (item.deleted()) return std::nullopt;
  if (const auto* any = item.content.get<crdt::AnyContent>(); any && !any->values.empty())
    return any->values.back();
  if (const auto* json = item.content.get<crdt::JsonContent>(); json && !json->values.empty()) {
    try {
      return crdt::parse_json(json->values.back());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void copy_text(crdt::Transaction& t, const crdt::Type& from, crdt::Type& to) {
  std::uint64_t position = 0;
  for (const crdt::DeltaOp& op : crdt::text_to_delta(from)) {
    if (const auto* run = std::get_if<std::u16string>(&op.insert)) {
      crdt::TextEditor::insert(t, to, position, *run, op.attributes);
      position += run->size();
    } else if (const auto* embed = std::get_if<crdt::Any>(&op.insert)) {
      crdt::TextEditor::insert_embed(t, to, position, crdt::to_json(*embed), op.attributes);
      position += 1;
    }
  }
}

void copy_children(crdt::Transaction& t, const crdt::Type& from, crdt::Type& to, int depth) {
  if (depth > kMaxCopyDepth) return;
  std::uint64_t index = 0;
  for (const crdt::Type* child : children_of(from)) {
    if (child->kind() == crdt::TypeKind::xml_element) {
      crdt::Type& element = crdt::XmlEditor::insert_element(t, to, index++, child->name());
      // Attributes in a stable order, so a restore is the same update wherever it is made.
      std::vector<std::pair<std::string, const crdt::Item*>> attributes(child->entries().begin(),
                                                                        child->entries().end());
      std::sort(attributes.begin(), attributes.end());
      for (const auto& [key, item] : attributes) {
        if (auto value = attribute_value(*item)) crdt::MapEditor::set(t, element, key, *value);
      }
      copy_children(t, *child, element, depth + 1);
    } else if (child->kind() == crdt::TypeKind::xml_text) {
      copy_text(t, *child, crdt::XmlEditor::insert_text(t, to, index++));
    }
  }
}

// --- comparing ---------------------------------------------------------------------------

struct Block {
  std::string html;
  std::string text;
  bool paragraph_like = false;
};

std::vector<Block> blocks_of(const crdt::Doc& doc) {
  std::vector<Block> out;
  const crdt::Type* content = doc.find_root(kContentRoot);
  if (content == nullptr) return out;
  for (const crdt::Type* child : children_of(*content)) {
    if (child->kind() != crdt::TypeKind::xml_element && child->kind() != crdt::TypeKind::xml_text)
      continue;
    Block block{crdt::xml_to_html(*child), crdt::xml_to_plain_text(*child), false};
    block.paragraph_like = child->kind() == crdt::TypeKind::xml_element &&
                           (child->name() == "paragraph" || child->name() == "heading");
    out.push_back(std::move(block));
  }
  return out;
}

// Longest common subsequence of two lists, as pairs of matching indices; quadratic, so callers
// keep the lists modest.
template <typename T, typename Equal>
std::vector<std::pair<std::size_t, std::size_t>> common_subsequence(const std::vector<T>& a,
                                                                    const std::vector<T>& b,
                                                                    Equal equal) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::uint32_t> table((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return table[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      at(i, j) = equal(a[i], b[j]) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::size_t i = 0, j = 0;
  while (i < n && j < m) {
    if (equal(a[i], b[j])) {
      pairs.emplace_back(i++, j++);
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      ++i;
    } else {
      ++j;
    }
  }
  return pairs;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    const bool space = text[i] == ' ' || text[i] == '\n';
    while (j < text.size() && (text[j] == ' ' || text[j] == '\n') == space) ++j;
    words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

constexpr std::size_t kMaxDiffCells = 4'000'000;

// A changed paragraph: its words, with removed ones in <del> and added ones in <ins>.
std::string word_diff(const std::string& before, const std::string& after) {
  const std::vector<std::string> a = words_of(before), b = words_of(after);
  std::string out = "<div class=\"agora-diff-changed\"><span class=\"govuk-visually-hidden\">"
                    "Changed: </span><p>";
  auto run = [&](std::string_view tag, const std::vector<std::string>& words, std::size_t from,
                 std::size_t to) {
    if (from >= to) return;
    out += '<';
    out += tag;
    out += '>';
    for (std::size_t k = from; k < to; ++k) out += http::escape_html(words[k]);
    out += "</";
    out += tag;
    out += '>';
  };
  if (a.size() * b.size() > kMaxDiffCells) {
    run("del", a, 0, a.size());
    run("ins", b, 0, b.size());
  } else {
    std::size_t i = 0, j = 0;
    auto pairs = common_subsequence(a, b, [](const std::string& x, const std::string& y) { return x == y; });
    pairs.emplace_back(a.size(), b.size());
    for (const auto& [pi, pj] : pairs) {
      run("del", a, i, pi);
      run("ins", b, j, pj);
      if (pi < a.size()) out += http::escape_html(a[pi]);
      i = pi + 1;
      j = pj + 1;
    }
  }
  out += "</p></div>";
  return out;
}

void removed(std::string& out, const Block& block) {
  out += "<div class=\"agora-diff-removed\"><span class=\"govuk-visually-hidden\">Removed: "
         "</span><del>";
  out += block.html;
  out += "</del></div>";
}

void added(std::string& out, const Block& block) {
  out += "<div class=\"agora-diff-added\"><span class=\"govuk-visually-hidden\">Added: "
         "</span><ins>";
  out += block.html;
  out += "</ins></div>";
}

}  // namespace

Result<Version> save_version(store::Database& database, const base::Clock& clock,
                             std::int64_t document_id, std::int64_t author_id,
                             std::string_view label) {
  auto doc = load_doc(database, clock, document_id);
  if (!doc) return doc.error();
  auto state = (*doc)->encode_state_as_update();
  if (!state) return fail(ErrorKind::internal, state.error().message);
  std::string bytes(reinterpret_cast<const char*>(state->data()), state->size());
  return database.transaction([&](store::Connection& c) {
    return DocumentStore(c, clock).add_version(document_id, label, author_id, bytes);
  });
}

Result<std::vector<std::uint8_t>> restore_update(const crdt::Doc& current, const crdt::Doc& target) {
  const crdt::Type* target_content = target.find_root(kContentRoot);
  auto scratch = new_doc();
  auto state = current.encode_state_as_update();
  if (!state) return fail(ErrorKind::internal, state.error().message);
  if (auto applied = scratch->apply_update(*state); !applied) {
    return fail(ErrorKind::internal, applied.error().message);
  }
  crdt::Type& content = scratch->root(kContentRoot, crdt::TypeKind::xml_fragment);
  const crdt::Type* now = current.find_root(kContentRoot);
  if (now != nullptr && target_content != nullptr &&
      crdt::xml_to_string(*now) == crdt::xml_to_string(*target_content)) {
    return std::vector<std::uint8_t>{};
  }
  try {
    return scratch->transact([&](crdt::Transaction& t) {
      if (content.length() > 0) crdt::XmlEditor::erase(t, content, 0, content.length());
      if (target_content != nullptr) copy_children(t, *target_content, content, 1);
    });
  } catch (const std::exception& e) {
    return fail(ErrorKind::internal, fmt::format("the version could not be copied: {}", e.what()));
  }
}

std::string compare_html(const crdt::Doc& older, const crdt::Doc& newer) {
  const std::vector<Block> a = blocks_of(older), b = blocks_of(newer);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  if (a.size() * b.size() <= kMaxDiffCells) {
    pairs = common_subsequence(a, b, [](const Block& x, const Block& y) { return x.html == y.html; });
  }
  pairs.emplace_back(a.size(), b.size());
  std::string out;
  std::size_t i = 0, j = 0;
  for (const auto& [pi, pj] : pairs) {
    // Between two unchanged blocks: pair removed and added paragraphs one to one as changes.
    while (i < pi && j < pj && a[i].paragraph_like && b[j].paragraph_like) {
      out += word_diff(a[i++].text, b[j++].text);
    }
    while (i < pi) removed(out, a[i++]);
    while (j < pj) added(out, b[j++]);
    if (pi < a.size()) out += a[pi].html;
    i = pi + 1;
    j = pj + 1;
  }
  return out;
}

}  // namespace agora::collab
