#include "app/data_protection_routes.hpp"

#include "app/pages.hpp"
#include "app/personal_data_store.hpp"
#include "app/site_routes.hpp"
#include "app/zip_writer.hpp"
#include "auth/api_tokens.hpp"
#include "auth/directory_store.hpp"
#include "auth/group_store.hpp"
#include "auth/request_principal.hpp"
#include "auth/space_store.hpp"
#include "base/logging.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>
#include <set>
#include <variant>

namespace agora::app {

namespace {

namespace json = boost::json;

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

json::value optional_id(const std::optional<std::int64_t>& id) {
  return id ? json::value(*id) : json::value(nullptr);
}

std::string message(const DataProtectionSite& site, const http::Request& request,
                    std::string_view key) {
  return site.templates.message(http::choose_language(request), key);
}

std::string_view extension_of(std::string_view content_type) {
  if (content_type == "image/png") return ".png";
  if (content_type == "image/jpeg") return ".jpg";
  if (content_type == "image/gif") return ".gif";
  if (content_type == "image/webp") return ".webp";
  return ".bin";
}

// --- the download -----------------------------------------------------------------------------

struct Gathered {
  json::object data;
  std::vector<std::pair<std::string, std::string>> files;  // (name in the ZIP, blob id)
};

Result<Gathered> gather(const DataProtectionSite& site, const auth::Principal& principal) {
  Gathered out;
  auto loaded = site.database.with_connection([&](store::Connection& c) -> Result<> {
    auth::DirectoryStore directory(c, site.clock);
    auto person = directory.find_person(principal.person_id);
    if (!person) return person.error();
    if (!*person) return fail(ErrorKind::not_found, "the account no longer exists");
    const auth::Person& p = **person;
    json::object& data = out.data;
    data["format"] = "agora-personal-data/1";
    data["exported_at"] = iso_time(site.clock.now());
    data["profile"] = json::object{{"id", p.id},
                                   {"email", p.email},
                                   {"display_name", p.display_name},
                                   {"created_at", iso_time(p.created_at)},
                                   {"status", to_string(p.status)},
                                   {"organisation_admin", p.is_admin},
                                   {"has_password", !p.password_hash.empty()},
                                   {"two_factor", !p.totp_secret.empty()},
                                   {"external_id", p.external_id}};
    auto organisation = directory.find_organisation(p.organisation_id);
    if (!organisation) return organisation.error();
    if (*organisation) {
      json::array domains;
      for (const std::string& d : (*organisation)->email_domains) domains.emplace_back(d);
      data["organisation"] = json::object{{"id", (*organisation)->id},
                                          {"name", (*organisation)->name},
                                          {"kind", to_string((*organisation)->kind)},
                                          {"email_domains", std::move(domains)}};
    }

    auto sessions = auth::SessionStore(c, site.clock, site.limits).list(p.id);
    if (!sessions) return sessions.error();
    json::array session_list;
    for (const auth::Session& s : *sessions) {
      session_list.push_back(json::object{{"id", s.id},
                                          {"method", s.method},
                                          {"started_at", iso_time(s.created_at)},
                                          {"last_seen_at", iso_time(s.last_seen_at)},
                                          {"ip", s.ip},
                                          {"user_agent", s.user_agent}});
    }
    data["sessions"] = std::move(session_list);

    // Tokens without their secrets: Agora has only their hashes, and even those stay out.
    auto tokens = auth::ApiTokenStore(c, site.clock).list(p.id);
    if (!tokens) return tokens.error();
    json::array token_list;
    for (const auth::ApiToken& t : *tokens) {
      json::array scopes;
      for (const std::string& s : t.scopes) scopes.emplace_back(s);
      token_list.push_back(json::object{
          {"id", t.id},
          {"name", t.name},
          {"scopes", std::move(scopes)},
          {"created_at", iso_time(t.created_at)},
          {"expires_at", iso_time(t.expires_at)},
          {"last_used_at", t.last_used_at ? json::value(iso_time(*t.last_used_at)) : nullptr}});
    }
    data["api_tokens"] = std::move(token_list);

    auto spaces = auth::SpaceStore(c, site.clock).list_for(p.id, p.organisation_id);
    if (!spaces) return spaces.error();
    json::array space_list;
    for (const auth::SpaceListing& s : *spaces) {
      space_list.push_back(json::object{{"id", s.space.id},
                                        {"name", s.space.name},
                                        {"organisation", s.organisation_name},
                                        {"role", to_string(s.role)}});
    }
    data["spaces"] = std::move(space_list);

    auto groups = auth::GroupStore(c, site.clock).groups_of(p.id);
    if (!groups) return groups.error();
    json::array group_list;
    for (const std::string& g : *groups) group_list.emplace_back(g);
    data["groups"] = std::move(group_list);

    PersonalDataStore personal(c);
    auto documents = personal.documents_owned(p.id);
    if (!documents) return documents.error();
    json::array document_list;
    for (const OwnedDocument& d : *documents) {
      document_list.push_back(json::object{{"id", d.id},
                                           {"title", d.title},
                                           {"created_at", iso_time(d.created_at)},
                                           {"space_id", optional_id(d.space_id)}});
    }
    data["documents_owned"] = std::move(document_list);

    auto comments = personal.comments_by(p.id);
    if (!comments) return comments.error();
    json::array comment_list;
    for (const AuthoredComment& m : *comments) {
      comment_list.push_back(json::object{{"id", m.id},
                                          {"document_id", m.document_id},
                                          {"thread_id", m.thread_id},
                                          {"body", m.body},
                                          {"created_at", iso_time(m.created_at)}});
    }
    data["comments"] = std::move(comment_list);

    auto images = personal.images_uploaded_by(p.id);
    if (!images) return images.error();
    json::array image_list;
    std::set<std::string> named;
    for (const UploadedImage& i : *images) {
      std::string file = fmt::format("files/{}{}", i.blob_id, extension_of(i.content_type));
      image_list.push_back(json::object{{"document_id", i.document_id},
                                        {"content_type", i.content_type},
                                        {"uploaded_at", iso_time(i.created_at)},
                                        {"file", file}});
      // The same picture in two documents is one blob, so one file.
      if (named.insert(file).second) out.files.emplace_back(std::move(file), i.blob_id);
    }
    data["images"] = std::move(image_list);

    auto about = personal.audit_about(p.id, auth::kMaxAuditExport);
    if (!about) return about.error();
    json::array about_list;
    for (const AuditMention& a : *about) {
      about_list.push_back(json::object{{"id", a.id},
                                        {"time", iso_time(a.at)},
                                        {"by_person_id", optional_id(a.actor_id)},
                                        {"action", a.action},
                                        {"outcome", a.outcome},
                                        {"detail", a.detail}});
    }
    data["audit_about_you"] = std::move(about_list);
    return {};
  });
  if (!loaded) return loaded.error();

  // What they did, as the audit trail recorded it (its own transaction and lock).
  auth::AuditFilter filter;
  filter.person_id = principal.person_id;
  auto exported = site.audit.export_records(filter, auth::AuditFormat::json);
  if (!exported) return exported.error();
  boost::system::error_code ec;
  json::value records = json::parse(*exported, ec);
  if (ec || !records.is_object()) return fail(ErrorKind::internal, "the audit export is not JSON");
  out.data["audit_by_you"] = std::move(records.as_object()["records"]);
  return out;
}

http::Response download(const DataProtectionSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  auto gathered = gather(site, principal);
  if (!gathered) throw ErrorException(gathered.error());
  ZipWriter zip;
  if (auto added = zip.add("data.json", json::serialize(gathered->data)); !added)
    throw ErrorException(added.error());
  for (const auto& [name, blob_id] : gathered->files) {
    auto bytes = site.blobs.get(blob_id);
    if (!bytes) {
      // A missing picture must not withhold the rest of someone's data; say so in the log.
      base::log::warn("data_export.blob_missing", {{"blob", blob_id}, {"error", bytes.error().message}});
      continue;
    }
    if (auto added = zip.add(name, *bytes); !added) throw ErrorException(added.error());
  }
  auto logged = site.audit.append(auth::AuditEvent::by(principal, "account.data_export", "person",
                                                       std::to_string(principal.person_id)));
  if (!logged) throw ErrorException(logged.error());
  http::Response response = http::Response::with(200, "application/zip", zip.finish());
  response.headers.set("Content-Disposition",
                       fmt::format("attachment; filename=\"agora-data-{}.zip\"", principal.person_id));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

// --- erasure ------------------------------------------------------------------------------------

// The person `request` names, if an admin of their organisation is asking and they may be erased.
struct Target {
  auth::Principal admin;
  auth::Person person;
};

std::variant<Target, http::Response> target_of(const DataProtectionSite& site,
                                                const http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  const auth::Resource resource{"organisation", std::to_string(principal.organisation_id)};
  if (!site.policy.check(principal, auth::kOrganisationManage, resource))
    return error_page(site.templates, request, 403, "only your organisation's admins may do this");
  std::int64_t id = 0;
  const std::string_view text = request.param("id");
  if (std::from_chars(text.data(), text.data() + text.size(), id).ec != std::errc{})
    return error_page(site.templates, request, 404, "there is no such person");
  auto person = site.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.clock).find_person(id);
  });
  if (!person) throw ErrorException(person.error());
  // Someone in another organisation, or already erased, is someone who does not exist here.
  if (!*person || (*person)->organisation_id != principal.organisation_id ||
      (*person)->status == auth::PersonStatus::erased) {
    return error_page(site.templates, request, 404, "there is no such person");
  }
  if ((*person)->id == principal.person_id)
    return error_page(site.templates, request, 409, "ask another admin to erase your own account");
  return Target{principal, std::move(**person)};
}

http::Response confirm_erasure(const DataProtectionSite& site, http::Request& request) {
  auto target = target_of(site, request);
  if (auto* refused = std::get_if<http::Response>(&target)) return std::move(*refused);
  const auth::Person& person = std::get<Target>(target).person;
  http::PageContext context =
      page_context(site.templates, request, message(site, request, "data_protection.erase.title"), true);
  json::object data{{"id", person.id}, {"name", person.display_name}, {"email", person.email}};
  auto response = http::Response::html(site.templates.render_page("erase_person", data, context));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

http::Response erase(const DataProtectionSite& site, http::Request& request) {
  auto target = target_of(site, request);
  if (auto* refused = std::get_if<http::Response>(&target)) return std::move(*refused);
  const Target& t = std::get<Target>(target);
  if (request.form_field("confirm").value_or("") != "erase") return see_other(
      fmt::format("/admin/people/{}/erase", t.person.id));
  auto done = site.database.transaction([&](store::Connection& c) -> Result<> {
    AGORA_TRY(auth::DirectoryStore(c, site.clock).erase_person(t.person.id, kFormerMemberName));
    // The audit trail is never rewritten (its hash chain would break, and it is the record that
    // the erasure happened); the detail names no one.
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent::by(t.admin, "admin.person_erase", "person",
                                std::to_string(t.person.id), auth::AuditOutcome::success,
                                "personal data erased")));
    return {};
  });
  if (!done) throw ErrorException(done.error());
  return see_other("/admin/people");
}

}  // namespace

void add_data_protection_routes(http::Router& router, const DataProtectionSite& site) {
  auto route = [&site](http::Response (*handler)(const DataProtectionSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  router.add("GET", "/account/data", route(download),
             {.action = std::string(auth::kAccountManage)});
  const std::string manage(auth::kOrganisationManage);
  router.add("GET", "/admin/people/{id}/erase", route(confirm_erasure), {.action = manage});
  router.add("POST", "/admin/people/{id}/erase", route(erase), {.action = manage});
}

}  // namespace agora::app
