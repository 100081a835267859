#pragma once
// The SQL behind a person's data download (issue 5 item 7) that no module's own store answers:
// what they own, wrote and uploaded across collab's tables, and audit records about them. Read
// only; the caller holds the connection.

#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agora::app {

/// A document the person owns.
struct OwnedDocument {
  std::int64_t id = 0;
  std::string title;
  std::chrono::system_clock::time_point created_at;
  std::optional<std::int64_t> space_id;
};

/// A comment the person wrote, with where it is.
struct AuthoredComment {
  std::int64_t id = 0;
  std::int64_t thread_id = 0;
  std::int64_t document_id = 0;
  std::string body;
  std::chrono::system_clock::time_point created_at;
};

/// An image the person uploaded into a document.
struct UploadedImage {
  std::int64_t document_id = 0;
  std::string blob_id;
  std::string content_type;
  std::chrono::system_clock::time_point created_at;
};

/// An audit record whose subject is the person (resource {"person", id}), whoever acted.
struct AuditMention {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point at;
  std::optional<std::int64_t> actor_id;
  std::string action;
  std::string outcome;
  std::string detail;
};

/// Reads what is held about one person.
class PersonalDataStore {
 public:
  /// `connection` must outlive the store.
  explicit PersonalDataStore(store::Connection& connection);

  /// Documents whose owner is `person_id`, oldest first.
  Result<std::vector<OwnedDocument>> documents_owned(std::int64_t person_id);
  /// Comments written by `person_id`, oldest first.
  Result<std::vector<AuthoredComment>> comments_by(std::int64_t person_id);
  /// Images uploaded by `person_id`, oldest first.
  Result<std::vector<UploadedImage>> images_uploaded_by(std::int64_t person_id);
  /// Up to `limit` audit records about `person_id` as a resource, newest first.
  Result<std::vector<AuditMention>> audit_about(std::int64_t person_id, std::int64_t limit);

 private:
  store::Connection& connection_;
};

}  // namespace agora::app
