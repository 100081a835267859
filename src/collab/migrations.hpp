#pragma once
// The collaboration schema: documents, their update logs, snapshots and named versions, comment
// threads and uploaded images.

#include "store/migrations.hpp"

#include <span>
#include <vector>

namespace agora::collab {

/// collab's migrations, oldest first: 3 creates documents, document_updates,
/// document_snapshots and document_versions; 4 adds comment_threads, comments and
/// document_images.
std::span<const store::Migration> migrations();

/// The whole schema collab works on: auth's migrations (people, grants) and its own, merged.
std::vector<store::Migration> schema();

}  // namespace agora::collab
