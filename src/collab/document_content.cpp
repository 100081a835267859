#include "collab/document_content.hpp"

#include "base/random.hpp"

#include <fmt/format.h>

namespace agora::collab {

std::unique_ptr<crdt::Doc> new_doc() {
  // Yjs client ids are random 32-bit numbers; the server's own edits (restores) use one too.
  const auto client_id = static_cast<crdt::ClientId>(base::system_random().uniform(0xFFFFFFFFu));
  auto doc = std::make_unique<crdt::Doc>(client_id);
  doc->root(kContentRoot, crdt::TypeKind::xml_fragment);
  return doc;
}

Result<std::unique_ptr<crdt::Doc>> build_doc(const StoredContent& content) {
  auto doc = new_doc();
  if (!content.snapshot.empty()) {
    if (auto applied = doc->apply_update(as_bytes(content.snapshot)); !applied) {
      return fail(ErrorKind::corrupt,
                  fmt::format("the stored snapshot does not apply: {}", applied.error().message));
    }
  }
  for (const auto& [id, update] : content.updates) {
    if (auto applied = doc->apply_update(as_bytes(update)); !applied) {
      return fail(ErrorKind::corrupt, fmt::format("stored update {} does not apply: {}", id,
                                                  applied.error().message));
    }
  }
  return doc;
}

Result<std::unique_ptr<crdt::Doc>> load_doc(store::Database& database, const base::Clock& clock,
                                            std::int64_t document_id) {
  auto content = database.with_connection([&](store::Connection& c) {
    return DocumentStore(c, clock).content(document_id);
  });
  if (!content) return content.error();
  return build_doc(*content);
}

Result<std::size_t> compact_document(store::Database& database, const base::Clock& clock,
                                     std::int64_t document_id) {
  auto content = database.with_connection([&](store::Connection& c) {
    return DocumentStore(c, clock).content(document_id);
  });
  if (!content) return content.error();
  if (content->updates.empty()) return std::size_t{0};
  auto doc = build_doc(*content);
  if (!doc) return doc.error();
  auto state = (*doc)->encode_state_as_update();
  if (!state) return fail(ErrorKind::internal, state.error().message);
  const std::string snapshot(reinterpret_cast<const char*>(state->data()), state->size());
  const std::int64_t through = content->updates.back().first;
  auto replaced = database.transaction([&](store::Connection& c) {
    return DocumentStore(c, clock).replace_snapshot(document_id, snapshot, through,
                                                    content->snapshot_through);
  });
  if (!replaced) return replaced.error();
  return *replaced ? content->updates.size() : std::size_t{0};
}

}  // namespace agora::collab
