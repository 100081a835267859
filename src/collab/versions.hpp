#pragma once
// Version history: named snapshots of a document, restoring one as a new edit that
// collaborators merge, and comparing two as highlighted HTML.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "collab/document_store.hpp"
#include "crdt/doc.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agora::collab {

/// Records the document's stored state as a version named `label` by `author_id`.
Result<Version> save_version(store::Database& database, const base::Clock& clock,
                             std::int64_t document_id, std::int64_t author_id,
                             std::string_view label);

/// The update that makes `current`'s content (the "default" fragment) what `target`'s is: it
/// removes today's blocks and inserts copies of the target's, as an edit by a new client, so
/// that collaborators merge it like any other. Empty when nothing needs to change.
Result<std::vector<std::uint8_t>> restore_update(const crdt::Doc& current, const crdt::Doc& target);

/// HTML showing how `newer` differs from `older`, block by block: unchanged blocks as they are,
/// removed ones in <div class="agora-diff-removed">, added ones in <div class="agora-diff-added">
/// and a changed paragraph as its words with <del> and <ins>. Each change starts with visually
/// hidden text ("Removed:", "Added:", "Changed:") for screen readers.
std::string compare_html(const crdt::Doc& older, const crdt::Doc& newer);

}  // namespace agora::collab
