#pragma once
// The collaboration schema: documents, their update logs, snapshots and named versions, comment
// threads and uploaded images.

#include "store/migrations.hpp"

#include <span>

namespace agora::collab {

/// collab's migrations, oldest first: 3 creates documents, document_updates,
/// document_snapshots and document_versions; 4 adds comment_threads, comments and
/// document_images.
std::span<const store::Migration> migrations();

}  // namespace agora::collab
