#include "collab/migrations.hpp"

namespace agora::collab {

namespace {

// A document's content is its snapshot (a Yjs v1 update holding everything up to
// through_update_id) followed by its log rows with larger ids, applied in id order. The log is
// appended to by group commit and folded into the snapshot by the compactor; a version keeps the
// whole state at the moment it was named, so restoring needs nothing else.
constexpr std::string_view kDocumentsSqlite = R"sql(
CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES people (id),
  created_at INTEGER NOT NULL
);

CREATE TABLE document_updates (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  data BLOB NOT NULL
);
CREATE INDEX document_updates_by_document ON document_updates (document_id, id);

CREATE TABLE document_snapshots (
  document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
  data BLOB NOT NULL,
  through_update_id INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE document_versions (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  author_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  state BLOB NOT NULL
);
CREATE INDEX document_versions_by_document ON document_versions (document_id, id);
)sql";

constexpr std::string_view kDocumentsPostgres = R"sql(
CREATE TABLE documents (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title TEXT NOT NULL,
  owner_id BIGINT NOT NULL REFERENCES people (id),
  created_at BIGINT NOT NULL
);

CREATE TABLE document_updates (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  data BYTEA NOT NULL
);
CREATE INDEX document_updates_by_document ON document_updates (document_id, id);

CREATE TABLE document_snapshots (
  document_id BIGINT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
  data BYTEA NOT NULL,
  through_update_id BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE document_versions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  author_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  state BYTEA NOT NULL
);
CREATE INDEX document_versions_by_document ON document_versions (document_id, id);
)sql";

constexpr store::Migration kMigrations[] = {
    {3, "collab: documents, document_updates, document_snapshots, document_versions",
     kDocumentsSqlite, kDocumentsPostgres},
};

}  // namespace

std::span<const store::Migration> migrations() { return kMigrations; }

}  // namespace agora::collab
