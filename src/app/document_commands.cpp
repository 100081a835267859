#include "app/document_commands.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/signed_token.hpp"
#include "base/base64.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"
#include "collab/export.hpp"
#include "collab/import.hpp"
#include "collab/service.hpp"

#include <fmt/format.h>

namespace agora::app {

namespace {

Result<auth::Person> person_with_email(store::Connection& c, const base::Clock& clock,
                                       std::string_view email) {
  auto person = auth::DirectoryStore(c, clock).find_person_by_email(email);
  if (!person) return person.error();
  if (!*person) {
    return fail(ErrorKind::invalid_input,
                fmt::format("nobody has the email address {}; `agora demo load` creates the demo "
                            "staff",
                            email));
  }
  return std::move(**person);
}

Result<collab::Document> existing_document(store::Connection& c, const base::Clock& clock,
                                           std::int64_t document_id) {
  auto document = collab::DocumentStore(c, clock).find(document_id);
  if (!document) return document.error();
  if (!*document) {
    return fail(ErrorKind::invalid_input, fmt::format("there is no document {}", document_id));
  }
  return std::move(**document);
}

}  // namespace

Result<std::int64_t> create_document(store::Database& db, const base::Clock& clock,
                                     std::string_view owner_email, std::string_view title) {
  return import_document(db, clock, owner_email, title, "", "");
}

Result<std::int64_t> import_document(store::Database& db, const base::Clock& clock,
                                     std::string_view owner_email, std::string_view title,
                                     std::string_view format, std::string_view content) {
  Result<std::vector<std::uint8_t>> initial = std::vector<std::uint8_t>{};
  if (format == "markdown") {
    initial = collab::import_markdown(content);
  } else if (format == "html") {
    initial = collab::import_html(content);
  } else if (!format.empty()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("unknown import format \"{}\"; choose markdown or html", format));
  }
  if (!initial) return initial.error();
  return db.transaction([&](store::Connection& c) -> Result<std::int64_t> {
    auto owner = person_with_email(c, clock, owner_email);
    if (!owner) return owner.error();
    collab::DocumentStore documents(c, clock);
    auto document = documents.create(owner->id, title);
    if (!document) return document.error();
    AGORA_TRY(auth::GrantStore(c, clock).set_role("document", document->id, owner->id,
                                                  auth::Role::owner));
    if (!initial->empty()) {
      const collab::LogEntry entry{document->id,
                                   std::string(initial->begin(), initial->end())};
      AGORA_TRY(documents.append(std::span<const collab::LogEntry>(&entry, 1)));
    }
    return document->id;
  });
}

Result<> share_document(store::Database& db, const base::Clock& clock, std::int64_t document_id,
                        std::string_view email, std::string_view role) {
  std::optional<auth::Role> new_role;
  if (role != "none") {
    new_role = auth::role_from(role);
    if (!new_role) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("unknown role \"{}\"; choose viewer, commenter, editor, owner or none",
                              role));
    }
  }
  return db.transaction([&](store::Connection& c) -> Result<> {
    auto person = person_with_email(c, clock, email);
    if (!person) return person.error();
    AGORA_TRY(existing_document(c, clock, document_id));
    return auth::GrantStore(c, clock).set_role("document", document_id, person->id, new_role);
  });
}

Result<std::string> collab_token(store::Database& db, const base::Clock& clock,
                                 std::string_view email, std::int64_t document_id,
                                 std::chrono::seconds ttl) {
  return db.transaction([&](store::Connection& c) -> Result<std::string> {
    auto person = person_with_email(c, clock, email);
    if (!person) return person.error();
    AGORA_TRY(existing_document(c, clock, document_id));
    auto key = auth::load_or_create_server_key(c, collab::kTokenKeyName);
    if (!key) return key.error();
    return auth::TokenSigner(std::move(*key))
        .sign(auth::TokenClaims{std::string(collab::kTokenPurpose), person->id,
                                std::to_string(document_id), clock.now() + ttl});
  });
}

Result<std::string> export_document(store::Database& db, const base::Clock& clock,
                                    std::int64_t document_id, std::string_view format) {
  auto found = db.with_connection(
      [&](store::Connection& c) { return existing_document(c, clock, document_id); });
  if (!found) return found.error();
  auto doc = collab::load_doc(db, clock, document_id);
  if (!doc) return doc.error();
  if (format == "yjs") {
    auto state = (*doc)->encode_state_as_update();
    if (!state) return fail(ErrorKind::internal, state.error().message);
    return base::to_base64(*state);
  }
  auto exported = collab::export_as(**doc, format);
  if (!exported) return exported.error();
  return std::move(*exported);
}

}  // namespace agora::app
