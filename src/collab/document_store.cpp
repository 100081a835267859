#include "collab/document_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/space_store.hpp"

#include <fmt/format.h>

#include <charconv>

namespace agora::collab {

namespace {

constexpr std::size_t kMaxTitleLength = 200;
constexpr std::size_t kMaxLabelLength = 200;

Result<> check_text(std::string_view what, std::string_view text, std::size_t limit) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return fail(ErrorKind::invalid_input, fmt::format("the {} is empty", what));
  if (text.size() > limit) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the {} is {} bytes; the limit is {}", what, text.size(), limit));
  }
  return {};
}

Version version_from(const store::Row& row, bool with_state) {
  Version v;
  v.id = row.integer(0);
  v.document_id = row.integer(1);
  v.label = row.text(2);
  if (!row.is_null(3)) v.author_id = row.integer(3);
  v.created_at = base::from_unix_millis(row.integer(4));
  if (with_state) v.state = row.text(5);
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18 || text.front() == '0') return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

DocumentStore::DocumentStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<Document> DocumentStore::create(std::int64_t owner_id, std::string_view title,
                                       std::optional<std::int64_t> space_id) {
  AGORA_TRY(check_text("title", title, kMaxTitleLength));
  if (space_id) {
    // Checked first: on PostgreSQL a failed INSERT would abort the caller's transaction.
    auto space = connection_.query("SELECT 1 FROM spaces WHERE id = ?", {*space_id});
    if (!space) return space.error();
    if (space->empty())
      return fail(ErrorKind::not_found, fmt::format("there is no space {}", *space_id));
  }
  Document document;
  document.title = std::string(title);
  document.owner_id = owner_id;
  document.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  document.space_id = space_id;
  store::Value space_value = nullptr;
  if (space_id) space_value = *space_id;
  auto rows = connection_.query(
      "INSERT INTO documents (title, owner_id, created_at, space_id) VALUES (?, ?, ?, ?) "
      "RETURNING id",
      {document.title, owner_id, base::to_unix_millis(document.created_at), space_value});
  if (!rows) return rows.error();
  document.id = rows->front().integer(0);
  return document;
}

namespace {

constexpr std::string_view kDocumentColumns = "SELECT id, title, owner_id, created_at, space_id";

Document document_from(const store::Row& row) {
  Document document{row.integer(0), row.text(1), row.integer(2),
                    base::from_unix_millis(row.integer(3)), std::nullopt};
  if (!row.is_null(4)) document.space_id = row.integer(4);
  return document;
}

}  // namespace

Result<std::optional<Document>> DocumentStore::find(std::int64_t id) {
  auto rows =
      connection_.query(fmt::format("{} FROM documents WHERE id = ?", kDocumentColumns), {id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Document>();
  return std::optional<Document>(document_from(rows->front()));
}

Result<std::vector<Document>> DocumentStore::in_space(std::int64_t space_id) {
  auto rows = connection_.query(
      fmt::format("{} FROM documents WHERE space_id = ? ORDER BY title, id", kDocumentColumns),
      {space_id});
  if (!rows) return rows.error();
  std::vector<Document> documents;
  documents.reserve(rows->size());
  for (const store::Row& row : *rows) documents.push_back(document_from(row));
  return documents;
}

Result<std::optional<auth::Role>> document_role(store::Connection& connection,
                                                const base::Clock& clock, std::int64_t person_id,
                                                std::int64_t organisation_id,
                                                const Document& document) {
  // A suspended (deprovisioned) or erased person keeps their grants for the record but may use
  // none of them: open sockets are re-checked through here and closed.
  auto person = auth::DirectoryStore(connection, clock).find_person(person_id);
  if (!person) return person.error();
  if (!*person || (*person)->status != auth::PersonStatus::active) {
    return std::optional<auth::Role>{};
  }
  auto own = auth::GrantStore(connection, clock).role_of(person_id, "document", document.id);
  if (!own) return own.error();
  if (!document.space_id) return *own;
  auto through_space =
      auth::SpaceStore(connection, clock).role_of(person_id, organisation_id, *document.space_id);
  if (!through_space) return through_space.error();
  return auth::stronger_role(*own, *through_space);
}

Result<std::vector<std::int64_t>> DocumentStore::append(std::span<const LogEntry> entries) {
  std::vector<std::int64_t> ids;
  ids.reserve(entries.size());
  for (const LogEntry& entry : entries) {
    auto rows = connection_.query(
        "INSERT INTO document_updates (document_id, data) VALUES (?, ?) RETURNING id",
        {entry.document_id, store::Bytes{entry.update}});
    if (!rows) return rows.error();
    ids.push_back(rows->front().integer(0));
  }
  return ids;
}

Result<StoredContent> DocumentStore::content(std::int64_t document_id) {
  StoredContent content;
  auto snapshot = connection_.query(
      "SELECT data, through_update_id FROM document_snapshots WHERE document_id = ?",
      {document_id});
  if (!snapshot) return snapshot.error();
  if (!snapshot->empty()) {
    content.snapshot = snapshot->front().text(0);
    content.snapshot_through = snapshot->front().integer(1);
  }
  auto updates = connection_.query(
      "SELECT id, data FROM document_updates WHERE document_id = ? AND id > ? ORDER BY id",
      {document_id, content.snapshot_through});
  if (!updates) return updates.error();
  content.updates.reserve(updates->size());
  for (const store::Row& row : *updates) content.updates.emplace_back(row.integer(0), row.text(1));
  return content;
}

Result<bool> DocumentStore::replace_snapshot(std::int64_t document_id, std::string_view snapshot,
                                             std::int64_t through,
                                             std::int64_t expected_through) {
  const std::int64_t now = base::to_unix_millis(clock_.now());
  if (expected_through == 0) {
    auto inserted = connection_.execute(
        "INSERT INTO document_snapshots (document_id, data, through_update_id, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (document_id) DO NOTHING",
        {document_id, store::Bytes{std::string(snapshot)}, through, now});
    if (!inserted) return inserted.error();
    if (*inserted == 0) return false;
  } else {
    auto updated = connection_.execute(
        "UPDATE document_snapshots SET data = ?, through_update_id = ?, updated_at = ? "
        "WHERE document_id = ? AND through_update_id = ?",
        {store::Bytes{std::string(snapshot)}, through, now, document_id, expected_through});
    if (!updated) return updated.error();
    if (*updated == 0) return false;
  }
  AGORA_TRY(connection_.execute("DELETE FROM document_updates WHERE document_id = ? AND id <= ?",
                                {document_id, through}));
  return true;
}

Result<Version> DocumentStore::add_version(std::int64_t document_id, std::string_view label,
                                           std::int64_t author_id, std::string state) {
  AGORA_TRY(check_text("version name", label, kMaxLabelLength));
  Version v;
  v.document_id = document_id;
  v.label = std::string(label);
  v.author_id = author_id;
  v.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  auto rows = connection_.query(
      "INSERT INTO document_versions (document_id, label, author_id, created_at, state) "
      "VALUES (?, ?, ?, ?, ?) RETURNING id",
      {document_id, v.label, author_id, base::to_unix_millis(v.created_at), store::Bytes{state}});
  if (!rows) return rows.error();
  v.id = rows->front().integer(0);
  v.state = std::move(state);
  return v;
}

Result<std::vector<Version>> DocumentStore::versions(std::int64_t document_id) {
  auto rows = connection_.query(
      "SELECT id, document_id, label, author_id, created_at FROM document_versions "
      "WHERE document_id = ? ORDER BY id DESC",
      {document_id});
  if (!rows) return rows.error();
  std::vector<Version> out;
  for (const store::Row& row : *rows) out.push_back(version_from(row, false));
  return out;
}

Result<std::optional<Version>> DocumentStore::version(std::int64_t document_id,
                                                      std::int64_t version_id) {
  auto rows = connection_.query(
      "SELECT id, document_id, label, author_id, created_at, state FROM document_versions "
      "WHERE document_id = ? AND id = ?",
      {document_id, version_id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Version>();
  return std::optional<Version>(version_from(rows->front(), true));
}

}  // namespace agora::collab
