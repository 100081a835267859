#pragma once
// A document's content in the formats people take away: sanitized HTML, Markdown, plain text.

#include "base/result.hpp"
#include "crdt/doc.hpp"

#include <string>
#include <string_view>

namespace agora::collab {

/// The document's editor content (the "default" XmlFragment) as "html", "markdown" or "text".
/// invalid_input naming the formats for any other.
Result<std::string> export_as(const crdt::Doc& doc, std::string_view format);

}  // namespace agora::collab
