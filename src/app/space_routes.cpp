#include "app/space_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/request_principal.hpp"
#include "auth/space_store.hpp"
#include "base/logging.hpp"
#include "collab/document_store.hpp"
#include "collab/import.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace agora::app {

namespace {

namespace json = boost::json;
namespace log = base::log;
using auth::Classification;
using auth::Role;

constexpr std::size_t kMaxDocumentTitleBytes = 200;  // as collab::DocumentStore allows

// --- words
// ----------------------------------------------------------------------------------------

std::string_view role_key(Role role) {
  switch (role) {
    case Role::viewer:
      return "spaces.roles.viewer";
    case Role::commenter:
      return "spaces.roles.commenter";
    case Role::editor:
      return "spaces.roles.editor";
    case Role::owner:
      return "spaces.roles.owner";
  }
  return "spaces.roles.viewer";
}

std::string_view classification_key(Classification classification) {
  return classification == Classification::official_sensitive
             ? "spaces.classification.official_sensitive"
             : "spaces.classification.official";
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The four roles for a <select>, `chosen` selected.
json::array role_options(const http::Templates& templates, std::string_view language,
                         std::optional<Role> chosen) {
  json::array options;
  for (Role role : {Role::viewer, Role::commenter, Role::editor, Role::owner}) {
    options.push_back(json::object{{"value", auth::to_string(role)},
                                   {"label", templates.message(language, role_key(role))},
                                   {"selected", chosen == role}});
  }
  return options;
}

// --- answers
// --------------------------------------------------------------------------------------

http::Response private_page(std::string body, int status = 200) {
  auto response = http::Response::html(std::move(body), status);
  // Who may see a space changes as it is shared: never serve a stored copy.
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response failure_page(const SpaceSite& site, const http::Request& request,
                            const Error& error) {
  log::error("spaces.request_failed",
             {{"request_id", request.request_id}, {"error", error.message}});
  return error_page(site.templates, request, error.kind == ErrorKind::unavailable ? 503 : 500,
                    "the space could not be read or changed; try again in a moment");
}

http::Response not_found(const SpaceSite& site, const http::Request& request) {
  return error_page(site.templates, request, 404, "there is no such space");
}

// --- one space, as its reader may see it ---------------------------------------------------------

struct SpaceView {
  auth::Space space;
  std::string organisation_name;
  Role role = Role::viewer;
};

// The space at the request's {id} with the principal's role on it; nullopt when there is no such
// space or the principal has no role on it (the two look the same: 404).
Result<std::optional<SpaceView>> space_for(const SpaceSite& site, const http::Request& request,
                                           const auth::Principal& principal) {
  const auto space_id = collab::parse_id(request.param("id"));
  if (!space_id || !principal.signed_in()) return std::optional<SpaceView>();
  return site.database.with_connection(
      [&](store::Connection& c) -> Result<std::optional<SpaceView>> {
        auth::SpaceStore spaces(c, site.clock);
        auto role = spaces.role_of(principal.person_id, principal.organisation_id, *space_id);
        if (!role) return role.error();
        if (!*role) return std::optional<SpaceView>();
        auto space = spaces.find(*space_id);
        if (!space) return space.error();
        if (!*space) return std::optional<SpaceView>();
        auto organisation =
            auth::DirectoryStore(c, site.clock).find_organisation((*space)->organisation_id);
        if (!organisation) return organisation.error();
        SpaceView view{std::move(**space), *organisation ? (*organisation)->name : std::string(),
                       **role};
        return std::optional<SpaceView>(std::move(view));
      });
}

auth::Resource resource_of(const SpaceView& view) {
  return auth::Resource{"space", std::to_string(view.space.id), view.role};
}

bool allowed(const SpaceSite& site, const auth::Principal& principal, std::string_view action,
             const SpaceView& view) {
  return static_cast<bool>(site.policy.check(principal, action, resource_of(view)));
}

auth::AuditEvent space_event(const auth::Principal& principal, std::string action,
                             std::int64_t space_id, std::string detail = {}) {
  auto event = auth::AuditEvent::by(principal, std::move(action), "space", std::to_string(space_id),
                                    auth::AuditOutcome::success, std::move(detail));
  event.space_id = space_id;
  return event;
}

// OFFICIAL-SENSITIVE spaces are need-to-know: every view leaves a record. A view that cannot be
// recorded is not shown.
Result<> record_view(const SpaceSite& site, const auth::Principal& principal, const SpaceView& view,
                     std::string_view page) {
  if (view.space.classification != Classification::official_sensitive) return {};
  auto recorded =
      site.audit_log.append(space_event(principal, "space.view", view.space.id, std::string(page)));
  if (!recorded) return recorded.error();
  return {};
}

// The data every page of one space shows: its name, marking and banner.
json::object space_data(const SpaceSite& site, std::string_view language, const SpaceView& view) {
  const bool sensitive = view.space.classification == Classification::official_sensitive;
  return json::object{
      {"space_id", std::to_string(view.space.id)},
      {"space_name", view.space.name},
      {"space_description", view.space.description},
      {"has_description", !view.space.description.empty()},
      {"space_href", fmt::format("/spaces/{}", view.space.id)},
      {"members_href", fmt::format("/spaces/{}/members", view.space.id)},
      {"owner_organisation", view.organisation_name},
      {"classification",
       site.templates.message(language, classification_key(view.space.classification))},
      {"sensitive", sensitive},
      {"your_role", site.templates.message(language, role_key(view.role))},
  };
}

http::PageContext space_context(const SpaceSite& site, const http::Request& request,
                                std::string page_title, const SpaceView* view) {
  http::PageContext context = page_context(site.templates, request, std::move(page_title), true);
  const std::string& language = context.language;
  context.breadcrumbs.pop_back();  // the title goes last, after the space
  context.breadcrumbs.push_back({site.templates.message(language, "spaces.list.title"), "/spaces"});
  if (view != nullptr && context.title != view->space.name) {
    context.breadcrumbs.push_back({view->space.name, fmt::format("/spaces/{}", view->space.id)});
  }
  context.breadcrumbs.push_back({context.title, ""});
  return context;
}

// --- GET and POST /spaces
// -------------------------------------------------------------------------

// What was typed into the "Create a space" form, and what is wrong with it.
struct CreateForm {
  std::string name;
  std::string description;
  std::string classification = "OFFICIAL";
  std::string name_error, description_error, classification_error;
  std::vector<http::ErrorSummaryItem> errors;
};

http::Response spaces_page(const SpaceSite& site, const http::Request& request,
                           const CreateForm& form, int status) {
  const auth::Principal principal = auth::principal_of(request);
  const std::string language(http::choose_language(request));
  auto listed = site.database.with_connection([&](store::Connection& c) {
    return auth::SpaceStore(c, site.clock).list_for(principal.person_id, principal.organisation_id);
  });
  if (!listed) return failure_page(site, request, listed.error());

  json::array spaces;
  for (const auth::SpaceListing& listing : *listed) {
    spaces.push_back(json::object{
        {"href", fmt::format("/spaces/{}", listing.space.id)},
        {"name", listing.space.name},
        {"organisation", listing.organisation_name},
        {"classification",
         site.templates.message(language, classification_key(listing.space.classification))},
        {"sensitive", listing.space.classification == Classification::official_sensitive},
        {"role", site.templates.message(language, role_key(listing.role))},
    });
  }
  json::object data{
      {"spaces", std::move(spaces)},
      {"has_spaces", !listed->empty()},
      {"name", form.name},
      {"description", form.description},
      {"official_checked", form.classification != "OFFICIAL-SENSITIVE"},
      {"sensitive_checked", form.classification == "OFFICIAL-SENSITIVE"},
      {"name_error", form.name_error},
      {"has_name_error", !form.name_error.empty()},
      {"description_error", form.description_error},
      {"has_description_error", !form.description_error.empty()},
      {"classification_error", form.classification_error},
      {"has_classification_error", !form.classification_error.empty()},
  };
  http::PageContext context = page_context(
      site.templates, request, site.templates.message(language, "spaces.list.title"), true);
  context.errors = form.errors;
  return private_page(site.templates.render_page("spaces", data, context), status);
}

http::Response list_spaces(const SpaceSite& site, http::Request& request) {
  return spaces_page(site, request, CreateForm{}, 200);
}

http::Response create_space(const SpaceSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  const std::string language(http::choose_language(request));
  const auth::Resource own_organisation{"organisation", std::to_string(principal.organisation_id),
                                        std::nullopt};
  if (!site.policy.check(principal, auth::kSpaceCreate, own_organisation))
    return error_page(site.templates, request, 403, "you may not create spaces");

  CreateForm form;
  form.name = trimmed(request.form_field("name").value_or(""));
  form.description = trimmed(request.form_field("description").value_or(""));
  form.classification = request.form_field("classification").value_or("");
  const auto problem = [&](std::string& slot, std::string_view key, std::string field_id) {
    slot = site.templates.message(language, key);
    form.errors.push_back({slot, std::move(field_id)});
  };
  if (form.name.empty()) {
    problem(form.name_error, "spaces.errors.name_empty", "space-name");
  } else if (auth::character_count(form.name) > auth::kMaxSpaceNameLength) {
    problem(form.name_error, "spaces.errors.name_too_long", "space-name");
  }
  if (auth::character_count(form.description) > auth::kMaxSpaceDescriptionLength)
    problem(form.description_error, "spaces.errors.description_too_long", "space-description");
  const auto classification = auth::classification_from(form.classification);
  if (!classification) {
    form.classification = "OFFICIAL";
    problem(form.classification_error, "spaces.errors.classification", "space-classification");
  }
  if (!form.errors.empty()) return spaces_page(site, request, form, 400);

  auto created = site.database.transaction([&](store::Connection& c) -> Result<auth::Space> {
    auto space = auth::SpaceStore(c, site.clock)
                     .create({.organisation_id = principal.organisation_id,
                              .name = form.name,
                              .description = form.description,
                              .classification = *classification,
                              .created_by = principal.person_id});
    if (!space) return space.error();
    AGORA_TRY(site.audit_log.append_in(
        c, space_event(principal, "space.create", space->id,
                       std::string(auth::to_string(space->classification)))));
    return space;
  });
  if (!created && created.error().kind == ErrorKind::conflict) {
    problem(form.name_error, "spaces.errors.name_taken", "space-name");
    return spaces_page(site, request, form, 409);
  }
  if (!created) return failure_page(site, request, created.error());
  return see_other(fmt::format("/spaces/{}", created->id));
}

// --- GET /spaces/{id} and POST /spaces/{id}/documents
// ---------------------------------------------

struct DocumentForm {
  std::string document_title;
  std::string error;
  std::string file_error;
  std::vector<http::ErrorSummaryItem> errors;
};

http::Response space_page(const SpaceSite& site, const http::Request& request,
                          const auth::Principal& principal, const SpaceView& view,
                          const DocumentForm& form, int status) {
  const std::string language(http::choose_language(request));
  if (!allowed(site, principal, auth::kSpaceRead, view)) return not_found(site, request);
  if (auto recorded = record_view(site, principal, view, "space"); !recorded)
    return failure_page(site, request, recorded.error());

  struct Contents {
    std::vector<collab::Document> documents;
    auth::SpaceMembers members;
  };
  auto contents = site.database.with_connection([&](store::Connection& c) -> Result<Contents> {
    Contents got;
    auto documents = collab::DocumentStore(c, site.clock).in_space(view.space.id);
    if (!documents) return documents.error();
    got.documents = std::move(*documents);
    auto members = auth::SpaceStore(c, site.clock).members(view.space.id);
    if (!members) return members.error();
    got.members = std::move(*members);
    return got;
  });
  if (!contents) return failure_page(site, request, contents.error());

  json::array documents;
  for (const collab::Document& document : contents->documents) {
    documents.push_back(json::object{{"href", fmt::format("/documents/{}", document.id)},
                                     {"document_title", document.title}});
  }
  json::array owners;
  std::size_t guests = 0;
  for (const auth::PersonMember& person : contents->members.people) {
    if (person.role == Role::owner) owners.push_back(json::value(person.display_name));
    if (person.guest) ++guests;
  }
  json::array organisations;
  for (const auth::OrganisationMember& organisation : contents->members.organisations) {
    organisations.push_back(
        json::object{{"name", organisation.name},
                     {"role", site.templates.message(language, role_key(organisation.role))}});
  }

  json::object data = space_data(site, language, view);
  data["documents"] = std::move(documents);
  data["has_documents"] = !contents->documents.empty();
  data["can_edit"] = allowed(site, principal, auth::kSpaceEdit, view);
  data["document_title"] = form.document_title;
  data["document_error"] = form.error;
  data["has_document_error"] = !form.error.empty();
  data["file_error"] = form.file_error;
  data["owners"] = std::move(owners);
  data["people_count"] = std::to_string(contents->members.people.size());
  data["guest_count"] = std::to_string(guests);
  data["has_guests"] = guests > 0;
  data["organisations"] = std::move(organisations);
  data["has_organisations"] = !contents->members.organisations.empty();

  http::PageContext context = space_context(site, request, view.space.name, &view);
  context.errors = form.errors;
  return private_page(site.templates.render_page("space", data, context), status);
}

http::Response show_space(const SpaceSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto view = space_for(site, request, principal);
  if (!view) return failure_page(site, request, view.error());
  if (!*view) return not_found(site, request);
  return space_page(site, request, principal, **view, DocumentForm{}, 200);
}

http::Response create_document(const SpaceSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto view = space_for(site, request, principal);
  if (!view) return failure_page(site, request, view.error());
  if (!*view || !allowed(site, principal, auth::kSpaceRead, **view))
    return not_found(site, request);
  if (!allowed(site, principal, auth::kSpaceEdit, **view)) {
    return error_page(site.templates, request, 403,
                      "only the space's editors and owners may add documents");
  }
  const std::string language(http::choose_language(request));
  DocumentForm form;
  form.document_title = trimmed(request.form_field("document_title").value_or(""));
  // An optional Markdown or HTML file becomes the new document's content.
  Result<std::vector<std::uint8_t>> initial = std::vector<std::uint8_t>{};
  if (auto file = request.uploaded_file("document_file"); file && !file->filename.empty()) {
    const std::string name = file->filename;
    const auto ends_with = [&name](std::string_view suffix) {
      return name.size() >= suffix.size() &&
             std::equal(suffix.rbegin(), suffix.rend(), name.rbegin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
             });
    };
    const bool markdown = ends_with(".md") || ends_with(".markdown") || ends_with(".txt");
    const bool html = ends_with(".html") || ends_with(".htm");
    if (markdown || html) {
      initial = markdown ? collab::import_markdown(file->body) : collab::import_html(file->body);
    }
    if (!(markdown || html) || !initial) {
      form.file_error = site.templates.message(
          language, markdown || html ? "document_import.unreadable" : "document_import.wrong_kind");
      form.errors.push_back({form.file_error, "document-file"});
      return space_page(site, request, principal, **view, form, 400);
    }
    if (form.document_title.empty()) form.document_title = name.substr(0, name.rfind('.'));
  }
  if (form.document_title.empty()) {
    form.error = site.templates.message(language, "spaces.errors.document_title_empty");
  } else if (form.document_title.size() > kMaxDocumentTitleBytes) {
    form.error = site.templates.message(language, "spaces.errors.document_title_too_long");
  }
  if (!form.error.empty()) {
    form.errors.push_back({form.error, "document-title"});
    return space_page(site, request, principal, **view, form, 400);
  }

  const std::int64_t space_id = (*view)->space.id;
  auto document = site.database.transaction([&](store::Connection& c) -> Result<collab::Document> {
    // The creator's role on the document comes from the space: a grant of their own would
    // outlive their removal from the space.
    collab::DocumentStore documents(c, site.clock);
    auto created = documents.create(principal.person_id, form.document_title, space_id);
    if (!created) return created.error();
    if (!initial->empty()) {
      const collab::LogEntry entry{created->id, std::string(initial->begin(), initial->end())};
      AGORA_TRY(documents.append(std::span<const collab::LogEntry>(&entry, 1)));
    }
    auto event =
        auth::AuditEvent::by(principal, "document.create", "document", std::to_string(created->id));
    event.space_id = space_id;
    event.document_id = created->id;
    AGORA_TRY(site.audit_log.append_in(c, event));
    return created;
  });
  if (!document) return failure_page(site, request, document.error());
  return see_other(fmt::format("/documents/{}", document->id));
}

// --- GET and POST /spaces/{id}/members
// ------------------------------------------------------------

// What was typed into the two share forms, and what is wrong with it.
struct ShareForm {
  std::string email;
  std::string person_role = "viewer";
  std::string organisation;
  std::string organisation_role = "viewer";
  std::string email_error, person_role_error, organisation_error, organisation_role_error;
  std::string removal_error;
  std::vector<http::ErrorSummaryItem> errors;
  std::string notice;  // what was done, when it cannot be seen in the tables (an invitation sent)
};

http::Response members_page(const SpaceSite& site, const http::Request& request,
                            const auth::Principal& principal, const SpaceView& view,
                            const ShareForm& form, int status) {
  const std::string language(http::choose_language(request));
  if (!allowed(site, principal, auth::kSpaceRead, view)) return not_found(site, request);
  if (auto recorded = record_view(site, principal, view, "members"); !recorded)
    return failure_page(site, request, recorded.error());
  auto members = site.database.with_connection(
      [&](store::Connection& c) { return auth::SpaceStore(c, site.clock).members(view.space.id); });
  if (!members) return failure_page(site, request, members.error());
  const bool can_manage = allowed(site, principal, auth::kSpaceManage, view);

  json::array people;
  for (const auth::PersonMember& person : members->people) {
    people.push_back(json::object{
        {"person_id", std::to_string(person.person_id)},
        {"name", person.display_name},
        {"email", person.email},
        {"organisation", person.organisation_name},
        {"guest", person.guest},
        {"role", site.templates.message(language, role_key(person.role))},
        {"is_you", person.person_id == principal.person_id},
    });
  }
  json::array organisations;
  for (const auth::OrganisationMember& organisation : members->organisations) {
    organisations.push_back(json::object{
        {"organisation_id", std::to_string(organisation.organisation_id)},
        {"name", organisation.name},
        {"role", site.templates.message(language, role_key(organisation.role))},
    });
  }

  json::object data = space_data(site, language, view);
  data["people"] = std::move(people);
  data["organisations"] = std::move(organisations);
  data["has_organisations"] = !members->organisations.empty();
  data["can_manage"] = can_manage;
  data["email"] = form.email;
  data["organisation"] = form.organisation;
  data["person_roles"] = role_options(site.templates, language, auth::role_from(form.person_role));
  data["organisation_roles"] =
      role_options(site.templates, language, auth::role_from(form.organisation_role));
  const auto error_fields = [&](std::string_view name, const std::string& text) {
    data[fmt::format("{}_error", name)] = text;
    data[fmt::format("has_{}_error", name)] = !text.empty();
  };
  error_fields("email", form.email_error);
  error_fields("person_role", form.person_role_error);
  error_fields("organisation", form.organisation_error);
  error_fields("organisation_role", form.organisation_role_error);
  error_fields("removal", form.removal_error);
  data["notice"] = form.notice;

  http::PageContext context =
      space_context(site, request, site.templates.message(language, "spaces.members.title"), &view);
  context.errors = form.errors;
  return private_page(site.templates.render_page("space_members", data, context), status);
}

http::Response show_members(const SpaceSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto view = space_for(site, request, principal);
  if (!view) return failure_page(site, request, view.error());
  if (!*view) return not_found(site, request);
  return members_page(site, request, principal, **view, ShareForm{}, 200);
}

// One change an owner asked for on the members page.
struct ShareChange {
  bool to_organisation = false;
  std::int64_t target_id = 0;
  std::optional<Role> role;  // nullopt: remove the share
};

// An address the person form named that has no account yet.
struct GuestInvitation {
  bool has_account = false;  // the address has an account after all (perhaps suspended)
  std::string email;         // normalised
  std::string domain;        // empty when the address is malformed
  std::optional<auth::Organisation> home;  // the organisation owning `domain`
};

// Emails `guest` an invitation into the space as `role`, with the organisation owning their domain
// as their home, and says so on the members page. Their share appears once they accept.
http::Response invite_guest(const SpaceSite& site, const http::Request& request,
                            const auth::Principal& principal, const SpaceView& view, Role role,
                            const GuestInvitation& guest, ShareForm& form) {
  const std::string language(http::choose_language(request));
  auto sent = send_invitation(site.links, request,
                              Invitation{.email = guest.email,
                                         .organisation_id = guest.home->id,
                                         .space_id = view.space.id,
                                         .role = role,
                                         .space_name = view.space.name,
                                         .inviter_name = principal.display_name,
                                         .organisation_name = guest.home->name});
  if (!sent) {
    log::warn("spaces.invitation_not_sent",
              {{"request_id", request.request_id}, {"error", sent.error().message}});
    form.email_error = site.templates.message(language, "spaces.errors.invitation_not_sent");
    form.errors.push_back({form.email_error, "share-email"});
    return members_page(site, request, principal, view, form, 503);
  }
  // The form is for the next share; the banner says what happened to this one.
  ShareForm done;
  done.notice = fmt::format(
      fmt::runtime(site.templates.message(language, "spaces.members.invitation_sent")),
      guest.email, guest.home->name);
  return members_page(site, request, principal, view, done, 200);
}

http::Response change_members(const SpaceSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto found = space_for(site, request, principal);
  if (!found) return failure_page(site, request, found.error());
  if (!*found || !allowed(site, principal, auth::kSpaceRead, **found))
    return not_found(site, request);
  const SpaceView& view = **found;
  if (!allowed(site, principal, auth::kSpaceManage, view))
    return error_page(site.templates, request, 403, "only the space's owners may share it");

  const std::string language(http::choose_language(request));
  ShareForm form;
  const auto problem = [&](std::string& slot, std::string_view key, std::string field_id) {
    slot = site.templates.message(language, key);
    form.errors.push_back({slot, std::move(field_id)});
  };
  const auto refuse = [&](int status) {
    return members_page(site, request, principal, view, form, status);
  };

  // Resolve what the form names before changing anything, so each mistake gets its own message.
  const std::string change = request.form_field("change").value_or("");
  ShareChange wanted;
  GuestInvitation guest;
  if (change == "person" || change == "organisation") {
    wanted.to_organisation = change == "organisation";
    std::string& typed_role = wanted.to_organisation ? form.organisation_role : form.person_role;
    typed_role = request.form_field("role").value_or("");
    wanted.role = auth::role_from(typed_role);
    if (!wanted.role) {
      typed_role = "viewer";
      if (wanted.to_organisation) {
        problem(form.organisation_role_error, "spaces.errors.role", "share-organisation-role");
      } else {
        problem(form.person_role_error, "spaces.errors.role", "share-person-role");
      }
    }
    auto target = site.database.with_connection(
        [&](store::Connection& c) -> Result<std::optional<std::int64_t>> {
          auth::DirectoryStore directory(c, site.clock);
          if (wanted.to_organisation) {
            form.organisation = trimmed(request.form_field("organisation").value_or(""));
            if (form.organisation.empty()) return std::optional<std::int64_t>();
            auto organisation = directory.find_organisation_by_name(form.organisation);
            if (!organisation) return organisation.error();
            if (!*organisation) return std::optional<std::int64_t>();
            return std::optional<std::int64_t>((*organisation)->id);
          }
          form.email = trimmed(request.form_field("email").value_or(""));
          if (form.email.empty()) return std::optional<std::int64_t>();
          auto person = directory.find_person_by_email(form.email);
          if (!person) return person.error();
          if (*person) {
            guest.has_account = true;
            if ((*person)->status != auth::PersonStatus::active)
              return std::optional<std::int64_t>();
            return std::optional<std::int64_t>((*person)->id);
          }
          guest.email = auth::normalise_email(form.email);
          if (!auth::check_email(guest.email)) return std::optional<std::int64_t>();
          guest.domain = guest.email.substr(guest.email.rfind('@') + 1);
          auto home = directory.find_organisation_by_domain(guest.domain);
          if (!home) return home.error();
          guest.home = std::move(*home);
          return std::optional<std::int64_t>();
        });
    if (!target) return failure_page(site, request, target.error());
    if (wanted.to_organisation) {
      if (form.organisation.empty()) {
        problem(form.organisation_error, "spaces.errors.organisation_empty", "share-organisation");
      } else if (!*target) {
        problem(form.organisation_error, "spaces.errors.no_such_organisation",
                "share-organisation");
      } else if (view.space.classification == Classification::official_sensitive) {
        problem(form.organisation_error, "spaces.errors.need_to_know", "share-organisation");
      }
    } else if (form.email.empty()) {
      problem(form.email_error, "spaces.errors.email_empty", "share-email");
    } else if (!*target && guest.has_account) {
      problem(form.email_error, "spaces.errors.no_such_person", "share-email");
    } else if (!*target && guest.domain.empty()) {
      problem(form.email_error, "spaces.errors.email_invalid", "share-email");
    } else if (!*target && !guest.home) {
      const std::string unknown_domain =
          site.templates.message(language, "spaces.errors.no_organisation_for_domain");
      form.email_error = fmt::format(fmt::runtime(unknown_domain), guest.domain);
      form.errors.push_back({form.email_error, "share-email"});
    }
    if (!form.errors.empty()) return refuse(400);
    if (!*target) return invite_guest(site, request, principal, view, *wanted.role, guest, form);
    wanted.target_id = **target;
  } else if (change == "remove_person" || change == "remove_organisation") {
    wanted.to_organisation = change == "remove_organisation";
    const auto id = collab::parse_id(request.form_field("id").value_or(""));
    if (!id) return error_page(site.templates, request, 400, "say whose share to remove");
    wanted.target_id = *id;
  } else {
    return error_page(site.templates, request, 400,
                      "say what to change: person, organisation, remove_person or "
                      "remove_organisation");
  }

  auto changed = site.database.transaction([&](store::Connection& c) -> Result<> {
    auth::SpaceStore spaces(c, site.clock);
    if (wanted.to_organisation) {
      AGORA_TRY(spaces.share_with_organisation(view.space.id, wanted.target_id, wanted.role));
    } else {
      AGORA_TRY(spaces.share_with_person(view.space.id, wanted.target_id, wanted.role));
    }
    auto recorded = site.audit_log.append_in(
        c, space_event(principal, "space.share", view.space.id,
                       fmt::format("{} {}: {}", wanted.to_organisation ? "organisation" : "person",
                                   wanted.target_id,
                                   wanted.role ? auth::to_string(*wanted.role) : "none")));
    if (!recorded) return recorded.error();
    return {};
  });
  if (!changed) {
    switch (changed.error().kind) {
      case ErrorKind::conflict:  // the last owner, demoted by the share form or removed
        if (wanted.role) {
          problem(form.email_error, "spaces.errors.last_owner", "share-email");
        } else {
          problem(form.removal_error, "spaces.errors.last_owner", "members-people");
        }
        return refuse(409);
      case ErrorKind::permission_denied:  // became OFFICIAL-SENSITIVE meanwhile
        problem(form.organisation_error, "spaces.errors.need_to_know", "share-organisation");
        return refuse(403);
      case ErrorKind::not_found:
        return error_page(site.templates, request, 404, changed.error().message);
      default:
        return failure_page(site, request, changed.error());
    }
  }
  return see_other(fmt::format("/spaces/{}/members", view.space.id));
}

}  // namespace

void add_space_routes(http::Router& router, const SpaceSite& site) {
  // The Workspace's front door is the list of one's spaces.
  router.add("GET", "/workspace",
             [](http::Request&) {
               http::Response response = http::Response::html("", 303);
               response.headers.set("Location", "/spaces");
               return response;
             },
             {.action = std::string(auth::kSpaceCreate)});
  router.add("GET", "/spaces",
             [site](http::Request& request) { return list_spaces(site, request); },
             {.action = std::string(auth::kSpaceCreate)});
  router.add("POST", "/spaces",
             [site](http::Request& request) { return create_space(site, request); },
             {.action = std::string(auth::kSpaceCreate)});
  router.add("GET", "/spaces/{id}",
             [site](http::Request& request) { return show_space(site, request); },
             {.action = std::string(auth::kSpaceRead)});
  router.add("POST", "/spaces/{id}/documents",
             [site](http::Request& request) { return create_document(site, request); },
             {.action = std::string(auth::kSpaceEdit), .body_limit = collab::kMaxImportBytes + 64 * 1024});
  router.add("GET", "/spaces/{id}/members",
             [site](http::Request& request) { return show_members(site, request); },
             {.action = std::string(auth::kSpaceRead)});
  router.add("POST", "/spaces/{id}/members",
             [site](http::Request& request) { return change_members(site, request); },
             {.action = std::string(auth::kSpaceManage)});
}

}  // namespace agora::app
