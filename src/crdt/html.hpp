#pragma once
// Publishing readers for documents written by TipTap / ProseMirror through y-prosemirror: an
// XmlFragment whose XmlElements are named by node type (attributes = node attrs as JSON values)
// and whose XmlTexts carry the marks as formatting attributes ({markName: mark.attrs}).

#include "crdt/type.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace agora::crdt {

/// Elements nested deeper than this are not rendered as markup: their visible text is emitted
/// flat (escaped in HTML), so hostile trees cannot exhaust the stack or the reader's patience.
inline constexpr int kMaxRenderDepth = 256;

/// The URL a link may point to, as a browser would read it (controls and tabs dropped), or
/// nullopt unless it is http, https, mailto, tel or relative. Exports and imports use it alike.
std::optional<std::string> safe_link_url(std::string_view url);
/// The same for an image's source: http, https or relative only.
std::optional<std::string> safe_image_url(std::string_view url);

/// Sanitized HTML of an XmlFragment (or of one XmlElement or XmlText) for publishing. Only an
/// allow-list of elements and attributes is ever written, every text and attribute value is
/// escaped, URLs are limited to safe schemes, unknown nodes are replaced by their content and
/// unknown marks are ignored; deleted content and embeds are skipped.
std::string xml_to_html(const Type& fragment);

/// Plain text of an XmlFragment (or XmlElement or XmlText) for search and previews, in UTF-8:
/// top-level blocks are separated by a blank line, list items and blocks inside them by one
/// newline (no bullets or checkboxes), hard breaks become newlines, table cells are joined by
/// tabs and rows by newlines, images give their alt text; no leading or trailing separators.
std::string xml_to_plain_text(const Type& fragment);

/// Markdown (CommonMark with GitHub's tables, strikethrough and task lists) of an XmlFragment
/// (or XmlElement or XmlText), for export. Text is backslash-escaped so it never turns into
/// markup; links and images keep only safe URLs; underline, which Markdown lacks, is dropped;
/// unknown nodes give their content. Ends with a newline unless empty.
std::string xml_to_markdown(const Type& fragment);

}  // namespace agora::crdt
