#pragma once
// `agora doc ...` and `agora collab token`: documents and access for operators and scripted
// tests, until the workspace pages create and share them.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::app {

/// Creates an empty document owned by the person with `owner_email`; returns its id.
Result<std::int64_t> create_document(store::Database& db, const base::Clock& clock,
                                     std::string_view owner_email, std::string_view title);
/// Creates a document owned by the person with `owner_email` holding `content`, in `format`
/// ("markdown" or "html"); returns its id.
Result<std::int64_t> import_document(store::Database& db, const base::Clock& clock,
                                     std::string_view owner_email, std::string_view title,
                                     std::string_view format, std::string_view content);
/// Gives the person with `email` `role` ("viewer", "commenter", "editor", "owner" or "none" to
/// remove it) on the document.
Result<> share_document(store::Database& db, const base::Clock& clock, std::int64_t document_id,
                        std::string_view email, std::string_view role);
/// A token with which the person with `email` may open the document's collaboration socket
/// during the next `ttl`. Access is still checked against their role when they connect.
Result<std::string> collab_token(store::Database& db, const base::Clock& clock,
                                 std::string_view email, std::int64_t document_id,
                                 std::chrono::seconds ttl);
/// The stored document in `format`: "yjs" (base64 of its Yjs v1 state), "html", "markdown" or "text".
Result<std::string> export_document(store::Database& db, const base::Clock& clock,
                                    std::int64_t document_id, std::string_view format);

}  // namespace agora::app
