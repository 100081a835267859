#pragma once
// Turning stored content into a live crdt::Doc, and folding a log into a snapshot. Shared by the
// rooms, the compactor and the command line, so every reader sees the same document.

#include "base/result.hpp"
#include "collab/document_store.hpp"
#include "crdt/doc.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <memory>

namespace agora::collab {

/// The root the TipTap editor keeps its content in (Collaboration's default field).
inline constexpr std::string_view kContentRoot = "default";

/// A Doc holding `content`, with Agora's root types declared before anything is applied (Yjs's
/// formatting cleanup, and so the bytes, depend on knowing a root's type). A stored update that
/// no longer applies is an error naming its log id: the store is corrupt.
Result<std::unique_ptr<crdt::Doc>> build_doc(const StoredContent& content);

/// A fresh empty Doc with Agora's roots declared and a random client id.
std::unique_ptr<crdt::Doc> new_doc();

/// Reads a document's content and returns it as a Doc.
Result<std::unique_ptr<crdt::Doc>> load_doc(store::Database& database, const base::Clock& clock,
                                            std::int64_t document_id);

/// Folds the document's log into its snapshot; returns how many log rows it folded (0 when
/// another process compacted it first or the log was empty).
Result<std::size_t> compact_document(store::Database& database, const base::Clock& clock,
                                     std::int64_t document_id);

/// `bytes` as the span the crdt library takes.
inline std::span<const std::uint8_t> as_bytes(std::string_view bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

}  // namespace agora::collab
