#include "collab/migrations.hpp"

#include "auth/migrations.hpp"

namespace agora::collab {

namespace {

// A document's content is its snapshot (a Yjs v1 update holding everything up to
// through_update_id) followed by its log rows with larger ids, applied in id order. The log is
// appended to by group commit and folded into the snapshot by the compactor; a version keeps the
// whole state at the moment it was named, so restoring needs nothing else. Log ids must never be
// reused (SQLite's AUTOINCREMENT; PostgreSQL identities never are): after the compactor has
// folded every row, a reused id would hide the next update behind the snapshot.
constexpr std::string_view kDocumentsSqlite = R"sql(
CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES people (id),
  created_at INTEGER NOT NULL
);

CREATE TABLE document_updates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
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

// Comment threads are anchored to a range of the document's text by two Yjs relative positions,
// kept as the base64 of their encoding: the server never interprets them, the editors resolve
// them against the current document, so a thread stays on its words while others edit around
// them. The quoted text is kept as it was when the thread began, for when the words are gone.
// document_images records which document an uploaded image belongs to: blobs are shared and
// content-addressed, so reading one through a document must prove it was uploaded to it.
constexpr std::string_view kCommentsSqlite = R"sql(
CREATE TABLE comment_threads (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  author_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
  anchor_start TEXT NOT NULL,
  anchor_end TEXT NOT NULL,
  quote TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  resolved_by INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE INDEX comment_threads_by_document ON comment_threads (document_id, id);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  thread_id INTEGER NOT NULL REFERENCES comment_threads (id) ON DELETE CASCADE,
  author_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX comments_by_thread ON comments (thread_id, id);

CREATE TABLE document_images (
  document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  blob_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  uploaded_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (document_id, blob_id)
);
)sql";

constexpr std::string_view kCommentsPostgres = R"sql(
CREATE TABLE comment_threads (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  author_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
  anchor_start TEXT NOT NULL,
  anchor_end TEXT NOT NULL,
  quote TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  resolved_at BIGINT,
  resolved_by BIGINT REFERENCES people (id) ON DELETE SET NULL
);
CREATE INDEX comment_threads_by_document ON comment_threads (document_id, id);

CREATE TABLE comments (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  thread_id BIGINT NOT NULL REFERENCES comment_threads (id) ON DELETE CASCADE,
  author_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_thread ON comments (thread_id, id);

CREATE TABLE document_images (
  document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  blob_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  uploaded_by BIGINT REFERENCES people (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (document_id, blob_id)
);
)sql";

// Documents may live in a space (auth migration 5); a person's role on such a document is the
// stronger of their own grant on it and their role on the space (collab::document_role). NULL:
// a document outside any space, shared only by its own grants.
constexpr std::string_view kDocumentSpacesSqlite = R"sql(
ALTER TABLE documents ADD COLUMN space_id INTEGER REFERENCES spaces (id);
CREATE INDEX documents_by_space ON documents (space_id);
)sql";

constexpr std::string_view kDocumentSpacesPostgres = R"sql(
ALTER TABLE documents ADD COLUMN space_id BIGINT REFERENCES spaces (id);
CREATE INDEX documents_by_space ON documents (space_id);
)sql";

constexpr store::Migration kMigrations[] = {
    {3, "collab: documents, document_updates, document_snapshots, document_versions",
     kDocumentsSqlite, kDocumentsPostgres},
    {4, "collab: comment_threads, comments, document_images", kCommentsSqlite, kCommentsPostgres},
    {6, "collab: documents.space_id", kDocumentSpacesSqlite, kDocumentSpacesPostgres},
};

}  // namespace

std::span<const store::Migration> migrations() { return kMigrations; }

std::vector<store::Migration> schema() {
  return store::merge_migrations({auth::migrations(), migrations()});
}

}  // namespace agora::collab
