#pragma once
// SQL for documents and their content: the update log, the snapshot it is compacted into, and
// named versions. Works on a connection the caller holds, so calls can share a transaction.

#include "auth/model.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::collab {

/// The id written as `text` in a URL or a protocol frame: a positive decimal number without
/// leading zeros, so that each id has one spelling; nullopt for anything else.
std::optional<std::int64_t> parse_id(std::string_view text);

/// A co-edited document.
struct Document {
  std::int64_t id = 0;
  std::string title;
  std::int64_t owner_id = 0;
  std::chrono::system_clock::time_point created_at;
  std::optional<std::int64_t> space_id;  // the space it lives in, if any
};

/// One update to append to a document's log.
struct LogEntry {
  std::int64_t document_id = 0;
  std::string update;  // Yjs v1 update bytes
};

/// What is stored of a document's content: apply `snapshot` (if not empty), then `updates` in order.
struct StoredContent {
  std::string snapshot;
  std::int64_t snapshot_through = 0;  // the last log id folded into the snapshot; 0: none
  std::vector<std::pair<std::int64_t, std::string>> updates;  // (log id, v1 update)
};

/// A named version of a document.
struct Version {
  std::int64_t id = 0;
  std::int64_t document_id = 0;
  std::string label;
  std::optional<std::int64_t> author_id;  // nullopt once the author has been erased
  std::chrono::system_clock::time_point created_at;
  std::string state;  // the whole document as a Yjs v1 update at that moment
};

/// Reads and writes documents.
class DocumentStore {
 public:
  /// Uses `connection` for every call and `clock` for timestamps; both must outlive the store.
  DocumentStore(store::Connection& connection, const base::Clock& clock);

  /// Adds an empty document, in `space_id` when given. invalid_input for an empty title or one
  /// over 200 bytes; not_found for a space that does not exist.
  Result<Document> create(std::int64_t owner_id, std::string_view title,
                          std::optional<std::int64_t> space_id = std::nullopt);
  /// The document with `id`, or nullopt.
  Result<std::optional<Document>> find(std::int64_t id);
  /// The documents in space `space_id`, by title.
  Result<std::vector<Document>> in_space(std::int64_t space_id);

  /// Appends `entries` to their documents' logs and returns their log ids, in order.
  Result<std::vector<std::int64_t>> append(std::span<const LogEntry> entries);
  /// Everything stored of the document's content.
  Result<StoredContent> content(std::int64_t document_id);
  /// Replaces the snapshot with `snapshot`, which holds everything up to log id `through`, and
  /// deletes the log rows it folds in. Returns false, changing nothing, when the stored snapshot
  /// is no longer the one at `expected_through` (someone else compacted first).
  Result<bool> replace_snapshot(std::int64_t document_id, std::string_view snapshot,
                                std::int64_t through, std::int64_t expected_through);

  /// Records a named version and returns it with its id.
  Result<Version> add_version(std::int64_t document_id, std::string_view label,
                              std::int64_t author_id, std::string state);
  /// The document's versions, newest first, without their states (state is left empty).
  Result<std::vector<Version>> versions(std::int64_t document_id);
  /// One version with its state, or nullopt.
  Result<std::optional<Version>> version(std::int64_t document_id, std::int64_t version_id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

/// What `person_id` (of `organisation_id`) may do with `document`: the stronger of their own
/// grant on the document and their role on its space (auth::SpaceStore::role_of), or nullopt.
/// Every place that decides access to a document asks this, so space members are never
/// forgotten by one of them.
Result<std::optional<auth::Role>> document_role(store::Connection& connection,
                                                const base::Clock& clock, std::int64_t person_id,
                                                std::int64_t organisation_id,
                                                const Document& document);

}  // namespace agora::collab
