#pragma once
// The document page with its collaborative editor, and the JSON API the editor calls: comment
// threads and image uploads. Until sign-in exists (issue 5) a person proves who they are with
// the signed collaboration token (`agora collab token`): ?token= on the page, and
// `Authorization: Bearer` on API calls.

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
};

/// The path of the Hocuspocus endpoint the editor connects to (see collab_routes.cpp).
inline constexpr std::string_view kCollabWebSocketPath = "/collab/ws";

/// Adds GET /documents/{id}, GET /documents/{id}/images/{blob} and the /api/documents/{id}/...
/// routes for comments, images and versions.
void add_document_routes(http::Router& router, const DocumentSite& site);

}  // namespace agora::app
