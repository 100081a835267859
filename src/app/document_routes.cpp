#include "app/document_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/request_principal.hpp"
#include "auth/space_store.hpp"
#include "base/logging.hpp"
#include "collab/comment_store.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"
#include "collab/export.hpp"
#include "collab/image_store.hpp"
#include "collab/service.hpp"
#include "collab/versions.hpp"

#include "http/server.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace agora::app {

namespace {

namespace log = base::log;
namespace json = boost::json;
using collab::parse_id;

// --- who may do what ----------------------------------------------------------------------------

// What the person a token names may do with one document, as the policy decided.
struct Access {
  auth::Person person;
  std::string organisation_name;
  collab::Document document;
  std::optional<auth::Space> space;  // the space the document lives in, if any
  std::optional<auth::Role> role;
  bool can_comment = false;
  bool can_edit = false;
  bool signed_in = false;  // proved by the session rather than a token

  bool sensitive() const {
    return space && space->classification == auth::Classification::official_sensitive;
  }
};

// Why a request was refused: the status, the server's words (JSON answers and logs) and the
// catalogue key of what the page tells the reader to do (empty: use the generic error page).
struct Denial {
  int status = 403;
  std::string message;
  std::string_view page_reason;
};

using AccessOrDenial = std::variant<Access, Denial>;

// A document id as it appears in a path: a positive decimal number.
// The token of an `Authorization: Bearer T` header, or empty.
std::string bearer_token(const http::Request& request) {
  std::string_view header = request.headers.get("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return std::string(header);
}

std::string_view verb_of(std::string_view action) {
  if (action == auth::kDocumentComment) return "comment on";
  if (action == auth::kDocumentEdit) return "change";
  return "read";
}

// The one access check every document route makes. The person is the one a signed-in session
// names when no token is sent, else the one the token names: the token must be genuine and
// unexpired, and be for this document. The document must exist (404); the person must exist;
// and auth::Policy must allow `action` on the document with the role collab::document_role finds
// for them now (their own grant or their space's; a revoked grant wins over an unexpired token).
AccessOrDenial check_access(const DocumentSite& site, const http::Request& request,
                            std::string_view token, std::int64_t document_id,
                            std::string_view action) {
  const auth::Principal session = auth::principal_of(request);
  const bool by_session = token.empty() && session.signed_in() && !session.api_token;
  if (token.empty() && !by_session) {
    return Denial{403,
                  "no token: sign in, open the document from a link with ?token=, or send "
                  "Authorization: Bearer TOKEN",
                  "document.denied.no_token"};
  }
  auth::TokenClaims claims;
  if (by_session) {
    claims.person_id = session.person_id;
    claims.resource_id = std::to_string(document_id);
  } else {
    auto verified = site.tokens.verify(token, collab::kTokenPurpose, site.clock.now());
    if (!verified) {
      return Denial{403, fmt::format("{}; ask for a new link", verified.error().message),
                    "document.denied.bad_token"};
    }
    claims = std::move(*verified);
  }

  struct Facts {
    std::optional<collab::Document> document;
    std::optional<auth::Space> space;
    std::optional<auth::Person> person;
    std::string organisation_name;
    std::optional<auth::Role> role;
  };
  auto facts = site.database.with_connection([&](store::Connection& c) -> Result<Facts> {
    Facts f;
    auto document = collab::DocumentStore(c, site.clock).find(document_id);
    if (!document) return document.error();
    f.document = std::move(*document);
    auth::DirectoryStore directory(c, site.clock);
    auto person = directory.find_person(claims.person_id);
    if (!person) return person.error();
    f.person = std::move(*person);
    if (!f.document || !f.person) return f;
    auto organisation = directory.find_organisation(f.person->organisation_id);
    if (!organisation) return organisation.error();
    if (*organisation) f.organisation_name = (*organisation)->name;
    auto role =
        collab::document_role(c, site.clock, f.person->id, f.person->organisation_id, *f.document);
    if (!role) return role.error();
    f.role = *role;
    if (f.document->space_id) {
      auto space = auth::SpaceStore(c, site.clock).find(*f.document->space_id);
      if (!space) return space.error();
      f.space = std::move(*space);
    }
    return f;
  });
  if (!facts) {
    log::warn("document.access_check_failed", {{"error", facts.error().message}});
    return Denial{503, "the server could not check your access; try again in a moment", {}};
  }
  // A token for another document must not tell whether this one exists (tests/auth/leaks.test.mjs),
  // so it is refused before the document is looked at.
  if (claims.resource_id != std::to_string(document_id)) {
    return Denial{403, "the token is for another document", "document.denied.bad_token"};
  }
  if (!facts->document) return Denial{404, fmt::format("there is no document {}", document_id), {}};
  if (!facts->person) {
    return Denial{403, "the token names someone who no longer exists", "document.denied.bad_token"};
  }

  const auto principal = auth::Principal::person(facts->person->id, facts->person->organisation_id,
                                                 request.remote_address);
  // Someone signed in who has no role learns nothing, not even that the document exists.
  if (by_session && !facts->role)
    return Denial{404, fmt::format("there is no document {}", document_id), {}};
  const auth::Resource resource{"document", std::to_string(document_id), facts->role};
  if (auto decision = site.policy.check(principal, action, resource); !decision) {
    return Denial{
        403, fmt::format("you may not {} this document ({})", verb_of(action), decision.reason),
        "document.denied.no_access"};
  }
  Access access;
  access.person = std::move(*facts->person);
  access.organisation_name = std::move(facts->organisation_name);
  access.document = std::move(*facts->document);
  access.space = std::move(facts->space);
  access.role = facts->role;
  access.signed_in = by_session;
  access.can_comment =
      static_cast<bool>(site.policy.check(principal, auth::kDocumentComment, resource));
  access.can_edit = static_cast<bool>(site.policy.check(principal, auth::kDocumentEdit, resource));
  return access;
}

// --- JSON answers -----------------------------------------------------------------------------

http::Response json_response(const json::value& body, int status = 200) {
  auto response = http::Response::json(json::serialize(body), status);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response json_error(const http::Request& request, int status, std::string_view message) {
  return json_response(
      json::object{{"error", json::object{{"status", status},
                                          {"message", message},
                                          {"request_id", request.request_id}}}},
      status);
}

http::Response json_failure(const http::Request& request, const Error& error) {
  const int status = http::status_for(error.kind);
  if (status >= 500) {
    log::error("document.request_failed",
               {{"request_id", request.request_id}, {"error", error.message}});
    return json_error(request, status, "the server could not do this; try again in a moment");
  }
  return json_error(request, status, error.message);
}

// Names of the people a list of threads mentions, looked up once each.
class PeopleNames {
 public:
  PeopleNames(store::Connection& connection, const base::Clock& clock)
      : directory_(connection, clock) {}

  // {"id", "name", "organisation"} of the person, or null once they have been erased.
  Result<json::value> person(std::optional<std::int64_t> id) {
    if (!id) return json::value(nullptr);
    if (auto it = known_.find(*id); it != known_.end()) return it->second;
    auto person = directory_.find_person(*id);
    if (!person) return person.error();
    json::value value(nullptr);
    if (*person) {
      std::string organisation;
      auto found = directory_.find_organisation((*person)->organisation_id);
      if (!found) return found.error();
      if (*found) organisation = (*found)->name;
      value = json::object{{"id", *id},
                           {"name", (*person)->display_name},
                           {"organisation", organisation}};
    }
    known_.emplace(*id, value);
    return value;
  }

 private:
  auth::DirectoryStore directory_;
  std::map<std::int64_t, json::value> known_;
};

Result<json::value> thread_json(const collab::CommentThread& thread, PeopleNames& names) {
  json::array comments;
  for (const collab::Comment& comment : thread.comments) {
    auto author = names.person(comment.author_id);
    if (!author) return author.error();
    comments.push_back(json::object{{"id", comment.id},
                                    {"body", comment.body},
                                    {"created_at", base::to_unix_millis(comment.created_at)},
                                    {"author", *author}});
  }
  auto author = names.person(thread.author_id);
  if (!author) return author.error();
  auto resolved_by = names.person(thread.resolved_by);
  if (!resolved_by) return resolved_by.error();
  json::value resolved_at(nullptr);
  if (thread.resolved_at) resolved_at = base::to_unix_millis(*thread.resolved_at);
  return json::object{{"id", thread.id},
                      {"anchor_start", thread.anchor_start},
                      {"anchor_end", thread.anchor_end},
                      {"quote", thread.quote},
                      {"created_at", base::to_unix_millis(thread.created_at)},
                      {"author", *author},
                      {"resolved", thread.resolved()},
                      {"resolved_at", resolved_at},
                      {"resolved_by", *resolved_by},
                      {"comments", std::move(comments)}};
}

// The request body as a JSON object whose `fields` are all text.
Result<std::map<std::string, std::string>> text_fields(const http::Request& request,
                                                       std::initializer_list<std::string_view> fields) {
  std::string wanted;
  for (std::string_view field : fields) wanted += (wanted.empty() ? "" : ", ") + std::string(field);
  const auto refuse = [&] {
    return fail(ErrorKind::invalid_input,
                fmt::format("send a JSON object with {} as text", wanted));
  };
  boost::system::error_code ec;
  const json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return refuse();
  std::map<std::string, std::string> out;
  for (std::string_view field : fields) {
    const json::value* value = body.get_object().if_contains(field);
    if (value == nullptr || !value->is_string()) return refuse();
    out.emplace(field, std::string(value->get_string()));
  }
  return out;
}

// An unsafe request made by another site's page is refused. The bearer token already keeps other
// sites out (they cannot set the header), but DESIGN.md asks every unsafe request to have its
// Origin checked, and this costs nothing.
bool from_this_site(const http::Request& request) {
  const std::string_view origin = request.headers.get("Origin");
  if (origin.empty()) return true;  // not sent by a browser
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  return origin.substr(scheme_end + 3) == request.headers.get("Host");
}

// An API route: checks the Origin of unsafe requests and access for `action`, then runs `body`.
using ApiBody = std::function<Result<http::Response>(const http::Request&, const Access&)>;

http::Handler api_route(const DocumentSite& site, std::string_view action, ApiBody body) {
  return [site, action = std::string(action), body = std::move(body)](http::Request& request) {
    if (request.method != "GET" && request.method != "HEAD" && !from_this_site(request))
      return json_error(request, 403, "requests from other sites are refused");
    const auto document_id = parse_id(request.param("id"));
    if (!document_id) return json_error(request, 404, "there is no such document");
    AccessOrDenial checked =
        check_access(site, request, bearer_token(request), *document_id, action);
    if (const auto* denial = std::get_if<Denial>(&checked))
      return json_error(request, denial->status, denial->message);
    auto response = body(request, std::get<Access>(checked));
    if (!response) return json_failure(request, response.error());
    return std::move(*response);
  };
}

std::optional<std::int64_t> thread_param(const http::Request& request) {
  return parse_id(request.param("thread"));
}

// --- the page ---------------------------------------------------------------------------------

// Each person's colour for their caret and in the list of who is here. Every one carries white
// text at 4.5:1 or more (WCAG 2.2 AA), so names on carets stay readable.
constexpr std::array<std::string_view, 12> kPersonColours{
    "#1d70b8", "#00703c", "#4c2c92", "#b3261e", "#912b88", "#6f3c00",
    "#005a6e", "#505a5f", "#003078", "#a4005b", "#5a5a00", "#8c4a00"};

std::string_view colour_for(std::int64_t person_id) {
  return kPersonColours[static_cast<std::size_t>(person_id) % kPersonColours.size()];
}

std::string_view role_message_key(const Access& access) {
  if (access.can_edit) return "document.role.editor";
  if (access.can_comment) return "document.role.commenter";
  return "document.role.viewer";
}

// The exported HTML links uploaded images by their URL alone, which an <img> cannot fetch without
// the token (until sign-in brings a cookie). For the page shown without JavaScript, the token of
// the page's own address is added to those links, and only to those.
std::string with_image_tokens(std::string html, std::int64_t document_id, std::string_view token) {
  const std::string prefix = fmt::format("src=\"/documents/{}/images/", document_id);
  const std::string suffix = "?token=" + http::escape_html(token);
  std::size_t at = 0;
  while ((at = html.find(prefix, at)) != std::string::npos) {
    const std::size_t id_start = at + prefix.size();
    const std::size_t quote = html.find('"', id_start);
    if (quote == std::string::npos) break;
    if (store::is_blob_id(std::string_view(html).substr(id_start, quote - id_start))) {
      html.insert(quote, suffix);
      at = quote + suffix.size();
    } else {
      at = quote;
    }
  }
  return html;
}

// How long the token minted for a signed-in reader's editor lasts: a working day, so an open
// editor can reconnect; it grants nothing the reader's current role does not.
constexpr std::chrono::hours kSignedInTokenLifetime{8};

http::PageContext document_context(const DocumentSite& site, const http::Request& request,
                                   std::string title, const std::optional<auth::Space>& space) {
  http::PageContext context = page_context(site.templates, request, std::move(title), true);
  if (space) {
    context.breadcrumbs.insert(context.breadcrumbs.end() - 1,
                               {space->name, fmt::format("/spaces/{}", space->id)});
  }
  return context;
}

http::Response private_page(std::string body, int status) {
  auto response = http::Response::html(std::move(body), status);
  // The page carries the person's token: keep it out of caches and out of Referer headers.
  // ("strict-origin", not "no-referrer": under the latter browsers send "Origin: null" with the
  // page's own requests, which the Origin check refuses.)
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("Referrer-Policy", "strict-origin");
  return response;
}

http::Response denied_page(const DocumentSite& site, const http::Request& request,
                           const Denial& denial) {
  if (denial.page_reason.empty())
    return error_page(site.templates, request, denial.status, denial.message);
  const std::string language(http::choose_language(request));
  http::PageContext context;
  context.language = language;
  context.request_id = request.request_id;
  context.current_path = request.path;
  context.title = site.templates.message(language, "document.denied.heading");
  json::object data{{"denied", true},
                    {"denied_reason", site.templates.message(language, denial.page_reason)}};
  return private_page(site.templates.render_page("document", data, context), denial.status);
}

http::Response document_page(const DocumentSite& site, http::Request& request) {
  const auto document_id = parse_id(request.param("id"));
  if (!document_id) return error_page(site.templates, request, 404, "there is no such document");
  const std::string token = request.query_param("token").value_or("");
  AccessOrDenial checked = check_access(site, request, token, *document_id, auth::kDocumentRead);
  if (const auto* denial = std::get_if<Denial>(&checked))
    return denied_page(site, request, *denial);
  const Access& access = std::get<Access>(checked);
  // Documents in OFFICIAL-SENSITIVE spaces are need-to-know: every view leaves a record, and a
  // view that cannot be recorded is not shown.
  if (access.sensitive()) {
    const auth::Principal viewer = auth::Principal::person(
        access.person.id, access.person.organisation_id, request.remote_address);
    auto event = auth::AuditEvent::by(viewer, "document.view", "document",
                                      std::to_string(access.document.id));
    event.user_agent = std::string(request.headers.get("User-Agent"));
    event.space_id = access.space->id;
    event.document_id = access.document.id;
    if (auto recorded = site.audit_log.append(event); !recorded) {
      log::error("document.audit_failed",
                 {{"document", *document_id}, {"error", recorded.error().message}});
      return error_page(site.templates, request, 503,
                        "the view could not be recorded in the audit trail; try again");
    }
  }
  // A signed-in reader's editor still needs a token for the collaboration socket and the API;
  // it stands for this person and this document only, and every use re-checks their role.
  const std::string editor_token =
      access.signed_in
          ? site.tokens.sign(auth::TokenClaims{std::string(collab::kTokenPurpose), access.person.id,
                                               std::to_string(access.document.id),
                                               site.clock.now() + kSignedInTokenLifetime})
          : token;

  auto doc = collab::load_doc(site.database, site.clock, *document_id);
  if (!doc) {
    log::error("document.load_failed",
               {{"document", *document_id}, {"error", doc.error().message}});
    return error_page(site.templates, request, 500, "the document could not be loaded");
  }
  auto html = collab::export_as(**doc, "html");
  if (!html) {
    log::error("document.export_failed",
               {{"document", *document_id}, {"error", html.error().message}});
    return error_page(site.templates, request, 500, "the document could not be shown");
  }

  const std::string language(http::choose_language(request));
  const bool read_only = !access.can_edit;
  json::object data{
      {"denied", false},
      {"document_id", std::to_string(*document_id)},
      {"person_id", std::to_string(access.person.id)},
      {"document_title", access.document.title},
      {"token", editor_token},
      {"websocket_path", kCollabWebSocketPath},
      {"user_name", access.person.display_name},
      {"organisation_name", access.organisation_name},
      {"user_colour", colour_for(access.person.id)},
      {"read_only", read_only ? "true" : "false"},
      {"can_comment", access.can_comment ? "true" : "false"},
      {"is_read_only", read_only},
      {"role_label", site.templates.message(language, role_message_key(access))},
      {"has_content", !html->empty()},
      {"content_html", with_image_tokens(std::move(*html), *document_id, editor_token)},
      {"sensitive", access.sensitive()},
      {"in_space", access.space.has_value()},
      {"space_name", access.space ? access.space->name : std::string()},
      {"space_href", access.space ? fmt::format("/spaces/{}", access.space->id) : std::string()},
  };
  auto context = document_context(site, request, access.document.title, access.space);
  return private_page(site.templates.render_page("document", data, context), 200);
}

// --- images -----------------------------------------------------------------------------------

Result<http::Response> upload_image(const DocumentSite& site, const http::Request& request,
                                    const Access& access) {
  auto type = collab::check_image(request.headers.get("Content-Type"), request.body);
  if (!type) return type.error();
  auto blob_id = site.blobs.put(request.body);
  if (!blob_id) return blob_id.error();
  AGORA_TRY(site.database.with_connection([&](store::Connection& c) {
    return collab::ImageStore(c, site.clock)
        .record(access.document.id, *blob_id, *type, access.person.id);
  }));
  return json_response(
      json::object{{"url", fmt::format("/documents/{}/images/{}", access.document.id, *blob_id)}},
      201);
}

http::Response image(const DocumentSite& site, http::Request& request) {
  const auto document_id = parse_id(request.param("id"));
  const std::string blob_id(request.param("blob"));
  if (!document_id || !store::is_blob_id(blob_id))
    return error_page(site.templates, request, 404, "there is no such image");
  // The editor fetches images with the Authorization header; the page without JavaScript links
  // them with ?token=, since an <img> cannot send a header.
  std::string token = bearer_token(request);
  if (token.empty()) token = request.query_param("token").value_or("");
  AccessOrDenial checked = check_access(site, request, token, *document_id, auth::kDocumentRead);
  if (const auto* denial = std::get_if<Denial>(&checked))
    return error_page(site.templates, request, denial->status, denial->message);

  auto found = site.database.with_connection([&](store::Connection& c) {
    return collab::ImageStore(c, site.clock).find(*document_id, blob_id);
  });
  if (!found) {
    log::error("document.image_lookup_failed", {{"error", found.error().message}});
    return error_page(site.templates, request, 503, "the image could not be looked up");
  }
  if (!*found) return error_page(site.templates, request, 404, "there is no such image");
  auto bytes = site.blobs.get(blob_id);
  if (!bytes) {
    log::error("document.image_read_failed", {{"blob", blob_id}, {"error", bytes.error().message}});
    return error_page(site.templates, request, 500, "the image could not be read");
  }
  auto response = http::Response::with(200, (*found)->content_type, std::move(*bytes));
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Content-Disposition", "inline");
  // Private: reading it needed a token; the bytes never change under their hash.
  response.headers.set("Cache-Control", "private, max-age=3600");
  return response;
}

// --- comments ---------------------------------------------------------------------------------

Result<http::Response> thread_answer(const DocumentSite& site, std::int64_t document_id,
                                     std::int64_t thread_id, int status) {
  return site.database.with_connection([&](store::Connection& c) -> Result<http::Response> {
    auto thread = collab::CommentStore(c, site.clock).thread(document_id, thread_id);
    if (!thread) return thread.error();
    if (!*thread)
      return fail(ErrorKind::not_found, fmt::format("there is no comment thread {}", thread_id));
    PeopleNames names(c, site.clock);
    auto body = thread_json(**thread, names);
    if (!body) return body.error();
    return json_response(json::object{{"thread", std::move(*body)}}, status);
  });
}

Result<http::Response> list_threads(const DocumentSite& site, const Access& access) {
  return site.database.with_connection([&](store::Connection& c) -> Result<http::Response> {
    auto threads = collab::CommentStore(c, site.clock).threads(access.document.id);
    if (!threads) return threads.error();
    PeopleNames names(c, site.clock);
    json::array list;
    for (const collab::CommentThread& thread : *threads) {
      auto item = thread_json(thread, names);
      if (!item) return item.error();
      list.push_back(std::move(*item));
    }
    return json_response(json::object{{"threads", std::move(list)},
                                      {"can_comment", access.can_comment}});
  });
}

Result<http::Response> start_thread(const DocumentSite& site, const http::Request& request,
                                    const Access& access) {
  auto fields = text_fields(request, {"anchor_start", "anchor_end", "quote", "body"});
  if (!fields) return fields.error();
  collab::NewThread thread{(*fields)["anchor_start"], (*fields)["anchor_end"], (*fields)["quote"],
                           (*fields)["body"]};
  auto started = site.database.transaction([&](store::Connection& c) {
    return collab::CommentStore(c, site.clock).start_thread(access.document.id, access.person.id, thread);
  });
  if (!started) return started.error();
  return thread_answer(site, access.document.id, started->id, 201);
}

Result<http::Response> reply(const DocumentSite& site, const http::Request& request,
                             const Access& access) {
  const auto thread_id = thread_param(request);
  if (!thread_id) return fail(ErrorKind::not_found, "there is no such comment thread");
  auto fields = text_fields(request, {"body"});
  if (!fields) return fields.error();
  auto added = site.database.transaction([&](store::Connection& c) {
    return collab::CommentStore(c, site.clock)
        .reply(access.document.id, *thread_id, access.person.id, (*fields)["body"]);
  });
  if (!added) return added.error();
  return thread_answer(site, access.document.id, *thread_id, 201);
}

Result<http::Response> set_resolved(const DocumentSite& site, const http::Request& request,
                                    const Access& access, bool resolved) {
  const auto thread_id = thread_param(request);
  if (!thread_id) return fail(ErrorKind::not_found, "there is no such comment thread");
  auto changed = site.database.transaction([&](store::Connection& c) {
    return collab::CommentStore(c, site.clock)
        .set_resolved(access.document.id, *thread_id, access.person.id, resolved);
  });
  if (!changed) return changed.error();
  return thread_answer(site, access.document.id, *thread_id, 200);
}

// --- versions ---------------------------------------------------------------------------------

Result<json::value> version_json(const collab::Version& version, PeopleNames& names) {
  auto author = names.person(version.author_id);
  if (!author) return author.error();
  return json::object{{"id", version.id},
                      {"label", version.label},
                      {"created_at", base::to_unix_millis(version.created_at)},
                      {"author", *author}};
}

Result<http::Response> list_versions(const DocumentSite& site, const Access& access) {
  return site.database.with_connection([&](store::Connection& c) -> Result<http::Response> {
    auto versions = collab::DocumentStore(c, site.clock).versions(access.document.id);
    if (!versions) return versions.error();
    PeopleNames names(c, site.clock);
    json::array list;
    for (const collab::Version& version : *versions) {
      auto item = version_json(version, names);
      if (!item) return item.error();
      list.push_back(std::move(*item));
    }
    return json_response(json::object{{"versions", std::move(list)},
                                      {"can_edit", access.can_edit}});
  });
}

Result<http::Response> name_version(const DocumentSite& site, const http::Request& request,
                                    const Access& access) {
  auto fields = text_fields(request, {"label"});
  if (!fields) return fields.error();
  auto saved = collab::save_version(site.database, site.clock, access.document.id,
                                    access.person.id, (*fields)["label"]);
  if (!saved) return saved.error();
  return site.database.with_connection([&](store::Connection& c) -> Result<http::Response> {
    PeopleNames names(c, site.clock);
    auto body = version_json(*saved, names);
    if (!body) return body.error();
    return json_response(json::object{{"version", std::move(*body)}}, 201);
  });
}

// The stored state of version `which` of the document: a version id, or "current".
Result<std::string> state_of(const DocumentSite& site, std::int64_t document_id,
                             std::string_view which) {
  if (which == "current") {
    auto doc = collab::load_doc(site.database, site.clock, document_id);
    if (!doc) return doc.error();
    auto state = (*doc)->encode_state_as_update();
    if (!state) return fail(ErrorKind::internal, state.error().message);
    return std::string(state->begin(), state->end());
  }
  const auto version_id = parse_id(which);
  if (!version_id) {
    return fail(ErrorKind::not_found,
                fmt::format("there is no version \"{}\"; give a version id or \"current\"", which));
  }
  auto version = site.database.with_connection([&](store::Connection& c) {
    return collab::DocumentStore(c, site.clock).version(document_id, *version_id);
  });
  if (!version) return version.error();
  if (!*version) return fail(ErrorKind::not_found, fmt::format("there is no version {}", *version_id));
  return std::move((*version)->state);
}

Result<std::unique_ptr<crdt::Doc>> doc_of(const DocumentSite& site, std::int64_t document_id,
                                          std::string_view which) {
  if (which == "current") return collab::load_doc(site.database, site.clock, document_id);
  auto state = state_of(site, document_id, which);
  if (!state) return state.error();
  collab::StoredContent content;
  content.snapshot = std::move(*state);
  return collab::build_doc(content);
}

Result<http::Response> version_html(const DocumentSite& site, const http::Request& request,
                                    const Access& access) {
  auto doc = doc_of(site, access.document.id, request.param("version"));
  if (!doc) return doc.error();
  auto html = collab::export_as(**doc, "html");
  if (!html) return html.error();
  return json_response(json::object{{"html", std::move(*html)}});
}

Result<http::Response> compare_versions(const DocumentSite& site, const http::Request& request,
                                        const Access& access) {
  const std::string from = request.query_param("from").value_or("");
  const std::string to = request.query_param("to").value_or("current");
  if (from.empty()) {
    return fail(ErrorKind::invalid_input, "say which version to compare from: ?from=ID&to=ID");
  }
  auto older = doc_of(site, access.document.id, from);
  if (!older) return older.error();
  auto newer = doc_of(site, access.document.id, to);
  if (!newer) return newer.error();
  return json_response(json::object{{"html", collab::compare_html(**older, **newer)}});
}

// The current document as a file to download: Markdown, HTML or plain text.
Result<http::Response> export_document(const DocumentSite& site, const http::Request& request,
                                       const Access& access) {
  const std::string format = request.query_param("format").value_or("markdown");
  struct Kind {
    std::string_view format, content_type, extension;
  };
  static constexpr Kind kKinds[] = {{"markdown", "text/markdown; charset=utf-8", "md"},
                                    {"html", "text/html; charset=utf-8", "html"},
                                    {"text", "text/plain; charset=utf-8", "txt"}};
  const Kind* kind = nullptr;
  for (const Kind& k : kKinds) {
    if (k.format == format) kind = &k;
  }
  if (kind == nullptr) {
    return fail(ErrorKind::invalid_input,
                fmt::format("unknown format \"{}\"; choose markdown, html or text", format));
  }
  auto doc = collab::load_doc(site.database, site.clock, access.document.id);
  if (!doc) return doc.error();
  auto body = collab::export_as(**doc, format);
  if (!body) return body.error();
  auto response = http::Response::with(200, std::string(kind->content_type), std::move(*body));
  // An attachment, never rendered in the site's origin; the name is the id, never user text.
  response.headers.set("Content-Disposition",
                       fmt::format("attachment; filename=\"document-{}.{}\"", access.document.id,
                                   kind->extension));
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Cache-Control", "no-store");
  return response;
}

Result<http::Response> restore_version(const DocumentSite& site, const http::Request& request,
                                       const Access& access) {
  auto state = state_of(site, access.document.id, request.param("version"));
  if (!state) return state.error();
  AGORA_TRY(site.collab.restore(access.document.id, collab::as_bytes(*state)));
  log::info("document.version_restored", {{"document", access.document.id},
                                          {"version", std::string(request.param("version"))},
                                          {"person", access.person.id}});
  return json_response(json::object{{"restored", true}});
}

}  // namespace

void add_document_routes(http::Router& router, const DocumentSite& site) {
  // Every route here authenticates by token and its handler asks auth::Policy (check_access) for
  // the document action it performs. The router's authorize middleware lets only public actions
  // through for anonymous principals, so the routes are registered under kCollabConnect: "the
  // route authenticates by token; the handler asks the policy".
  const std::string action(auth::kCollabConnect);

  router.add("GET", "/documents/{id}",
             [site](http::Request& request) { return document_page(site, request); },
             {.action = action});
  router.add("GET", "/documents/{id}/images/{blob}",
             [site](http::Request& request) { return image(site, request); }, {.action = action});

  router.add("GET", "/api/documents/{id}/comments",
             api_route(site, auth::kDocumentRead,
                       [site](const http::Request&, const Access& access) {
                         return list_threads(site, access);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/comments",
             api_route(site, auth::kDocumentComment,
                       [site](const http::Request& request, const Access& access) {
                         return start_thread(site, request, access);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/comments/{thread}/replies",
             api_route(site, auth::kDocumentComment,
                       [site](const http::Request& request, const Access& access) {
                         return reply(site, request, access);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/comments/{thread}/resolve",
             api_route(site, auth::kDocumentComment,
                       [site](const http::Request& request, const Access& access) {
                         return set_resolved(site, request, access, true);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/comments/{thread}/reopen",
             api_route(site, auth::kDocumentComment,
                       [site](const http::Request& request, const Access& access) {
                         return set_resolved(site, request, access, false);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/images",
             api_route(site, auth::kDocumentEdit,
                       [site](const http::Request& request, const Access& access) {
                         return upload_image(site, request, access);
                       }),
             {.action = action, .body_limit = collab::kMaxImageBytes});

  // Version history: anyone who may read lists, views and compares versions; editors name and
  // restore them (a restore is a new edit that collaborators merge).
  router.add("GET", "/api/documents/{id}/versions",
             api_route(site, auth::kDocumentRead,
                       [site](const http::Request&, const Access& access) {
                         return list_versions(site, access);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/versions",
             api_route(site, auth::kDocumentEdit,
                       [site](const http::Request& request, const Access& access) {
                         return name_version(site, request, access);
                       }),
             {.action = action});
  router.add("GET", "/api/documents/{id}/versions/{version}",
             api_route(site, auth::kDocumentRead,
                       [site](const http::Request& request, const Access& access) {
                         return version_html(site, request, access);
                       }),
             {.action = action});
  router.add("POST", "/api/documents/{id}/versions/{version}/restore",
             api_route(site, auth::kDocumentEdit,
                       [site](const http::Request& request, const Access& access) {
                         return restore_version(site, request, access);
                       }),
             {.action = action});
  router.add("GET", "/api/documents/{id}/export",
             api_route(site, auth::kDocumentRead,
                       [site](const http::Request& request, const Access& access) {
                         return export_document(site, request, access);
                       }),
             {.action = action});
  router.add("GET", "/api/documents/{id}/compare",
             api_route(site, auth::kDocumentRead,
                       [site](const http::Request& request, const Access& access) {
                         return compare_versions(site, request, access);
                       }),
             {.action = action});
}

}  // namespace agora::app
