#pragma once
// The collaboration schema: documents, their update logs, snapshots and named versions.

#include "store/migrations.hpp"

#include <span>

namespace agora::collab {

/// collab's migrations, oldest first: 3 creates documents, document_updates,
/// document_snapshots and document_versions.
std::span<const store::Migration> migrations();

}  // namespace agora::collab
