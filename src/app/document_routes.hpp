#pragma once
// The document page with its collaborative editor, and the JSON API the editor calls: comment
// threads and image uploads. A person proves who they are by their session (signed in), or by
// the signed collaboration token (`agora collab token`): ?token= on the page, and
// `Authorization: Bearer` on API calls. The page gives a signed-in reader's editor a token of
// its own. Access is the stronger of the person's grant on the document and their role on its
// space (collab::document_role).

#include "auth/audit_log.hpp"
#include "auth/policy.hpp"
#include "auth/signed_token.hpp"
#include "collab/service.hpp"
#include "base/clock.hpp"
#include "http/router.hpp"
#include "http/templates.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace agora::app {

/// What the document routes use; everything must outlive the router.
struct DocumentSite {
  const http::Templates& templates;
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  /// Verifies collaboration tokens: made with the key collab::kTokenKeyName.
  const auth::TokenSigner& tokens;
  /// Where uploaded images are kept.
  store::BlobStore& blobs;
  /// The collaboration service, through which a restored version reaches open editors.
  collab::Service& collab;
  /// Where views of documents in OFFICIAL-SENSITIVE spaces are recorded.
  auth::AuditLog& audit_log;
};

/// The path of the Hocuspocus endpoint the editor connects to (see collab_routes.cpp).
inline constexpr std::string_view kCollabWebSocketPath = "/collab/ws";

/// Adds GET /documents/{id}, GET /documents/{id}/images/{blob} and the /api/documents/{id}/...
/// routes for comments, images and versions.
void add_document_routes(http::Router& router, const DocumentSite& site);

}  // namespace agora::app
