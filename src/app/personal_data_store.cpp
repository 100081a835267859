#include "app/personal_data_store.hpp"

#include "base/clock.hpp"

#include <string>

namespace agora::app {

PersonalDataStore::PersonalDataStore(store::Connection& connection) : connection_(connection) {}

Result<std::vector<OwnedDocument>> PersonalDataStore::documents_owned(std::int64_t person_id) {
  auto rows = connection_.query(
      "SELECT id, title, created_at, space_id FROM documents WHERE owner_id = ? ORDER BY id",
      {person_id});
  if (!rows) return rows.error();
  std::vector<OwnedDocument> out;
  for (const store::Row& row : *rows) {
    OwnedDocument d;
    d.id = row.integer(0);
    d.title = row.text(1);
    d.created_at = base::from_unix_millis(row.integer(2));
    if (!row.is_null(3)) d.space_id = row.integer(3);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<AuthoredComment>> PersonalDataStore::comments_by(std::int64_t person_id) {
  auto rows = connection_.query(
      "SELECT c.id, c.thread_id, t.document_id, c.body, c.created_at FROM comments c "
      "JOIN comment_threads t ON t.id = c.thread_id WHERE c.author_id = ? ORDER BY c.id",
      {person_id});
  if (!rows) return rows.error();
  std::vector<AuthoredComment> out;
  for (const store::Row& row : *rows) {
    out.push_back(AuthoredComment{row.integer(0), row.integer(1), row.integer(2), row.text(3),
                                  base::from_unix_millis(row.integer(4))});
  }
  return out;
}

Result<std::vector<UploadedImage>> PersonalDataStore::images_uploaded_by(std::int64_t person_id) {
  auto rows = connection_.query(
      "SELECT document_id, blob_id, content_type, created_at FROM document_images "
      "WHERE uploaded_by = ? ORDER BY created_at, document_id",
      {person_id});
  if (!rows) return rows.error();
  std::vector<UploadedImage> out;
  for (const store::Row& row : *rows) {
    out.push_back(UploadedImage{row.integer(0), row.text(1), row.text(2),
                                base::from_unix_millis(row.integer(3))});
  }
  return out;
}

Result<std::vector<AuditMention>> PersonalDataStore::audit_about(std::int64_t person_id,
                                                                 std::int64_t limit) {
  auto rows = connection_.query(
      "SELECT id, at, person_id, action, outcome, detail FROM audit_log "
      "WHERE resource_kind = 'person' AND resource_id = ? ORDER BY id DESC LIMIT ?",
      {std::to_string(person_id), limit});
  if (!rows) return rows.error();
  std::vector<AuditMention> out;
  for (const store::Row& row : *rows) {
    AuditMention m;
    m.id = row.integer(0);
    m.at = base::from_unix_millis(row.integer(1));
    if (!row.is_null(2)) m.actor_id = row.integer(2);
    m.action = row.text(3);
    m.outcome = row.text(4);
    m.detail = row.text(5);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace agora::app
