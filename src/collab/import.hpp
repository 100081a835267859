#pragma once
// Importing Markdown and HTML into a new document, as the TipTap editor's schema holds them
// (what y-prosemirror writes): paragraphs, headings, lists, task lists, quotes, code blocks,
// rules, tables, images, hard breaks; marks bold, italic, strike, code, link. Anything else
// keeps only its text. Raw HTML inside Markdown stays text, never markup.

#include "base/result.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace agora::collab {

/// The largest file accepted for import.
inline constexpr std::size_t kMaxImportBytes = 4 * 1024 * 1024;

/// A Yjs v1 update that fills a new document's content with `markdown` (CommonMark with GitHub's
/// tables, strikethrough, task lists and autolinks). invalid_input for oversized or non-UTF-8
/// input.
Result<std::vector<std::uint8_t>> import_markdown(std::string_view markdown);
/// The same from HTML; unsafe URLs are dropped, scripts and styles ignored.
Result<std::vector<std::uint8_t>> import_html(std::string_view html);

}  // namespace agora::collab
