#include "collab/export.hpp"

#include "collab/document_content.hpp"
#include "crdt/html.hpp"

#include <fmt/format.h>

namespace agora::collab {

Result<std::string> export_as(const crdt::Doc& doc, std::string_view format) {
  const crdt::Type* content = doc.find_root(kContentRoot);
  if (format == "html") return content ? crdt::xml_to_html(*content) : std::string();
  if (format == "text") return content ? crdt::xml_to_plain_text(*content) : std::string();
  if (format == "markdown") return content ? crdt::xml_to_markdown(*content) : std::string();
  return fail(ErrorKind::invalid_input,
              fmt::format("unknown export format \"{}\"; choose yjs, html, markdown or text",
                          format));
}

}  // namespace agora::collab
