#include "app/audit_routes.hpp"

#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/request_principal.hpp"
#include "base/logging.hpp"

#include <fmt/format.h>
#include "http/server.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace agora::app {

namespace {

namespace json = boost::json;
namespace log = base::log;
using namespace std::chrono;

// --- UK time ------------------------------------------------------------------------------------

bool is_british_summer_time(sys_time<milliseconds> utc) {
  const year y = year_month_day(floor<days>(utc)).year();
  const sys_time<milliseconds> starts = sys_days(y / March / Sunday[last]) + 1h;
  const sys_time<milliseconds> ends = sys_days(y / October / Sunday[last]) + 1h;
  return utc >= starts && utc < ends;
}

// --- the filter form ----------------------------------------------------------------------------

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

std::optional<std::int64_t> positive_number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// "2025-03-27" (what <input type="date"> sends) or "27/3/2025".
std::optional<year_month_day> parse_date(std::string_view text) {
  int parts[3] = {0, 0, 0};
  char separator = text.find('/') != std::string_view::npos ? '/' : '-';
  std::size_t part = 0;
  for (std::string_view rest = text;; ++part) {
    if (part == 3) return std::nullopt;
    const std::size_t at = rest.find(separator);
    const std::string_view digits = rest.substr(0, at);
    if (digits.empty() || digits.size() > 4) return std::nullopt;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), parts[part]);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + 1);
  }
  if (part != 2) return std::nullopt;
  const bool iso = separator == '-';
  const int y = iso ? parts[0] : parts[2];
  const int m = parts[1];
  const int d = iso ? parts[2] : parts[0];
  if (y < 2000 || y > 9999) return std::nullopt;
  const year_month_day date{year(y), month(static_cast<unsigned>(m)),
                            day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  return date;
}

// The filters as typed, what they mean, and what is wrong with them.
struct FilterForm {
  std::string person, space, document, from, to;
  std::optional<std::int64_t> before;
  auth::AuditFilter filter;
  std::vector<http::ErrorSummaryItem> errors;
  std::string person_error, space_error, document_error, from_error, to_error;

  bool filtered() const {
    return !person.empty() || !space.empty() || !document.empty() || !from.empty() || !to.empty();
  }
};

// Reads the query string. Always limits the filter to `organisation_id`: an admin sees only
// their own organisation's records whatever the query says.
Result<FilterForm> read_filters(const AuditSite& site, const http::Request& request,
                                std::string_view language, std::int64_t organisation_id) {
  FilterForm form;
  const auto param = [&](std::string_view name) {
    return trimmed(request.query_param(name).value_or(""));
  };
  form.person = param("person");
  form.space = param("space");
  form.document = param("document");
  form.from = param("from");
  form.to = param("to");
  form.before = positive_number(param("before"));
  form.filter.organisation_id = organisation_id;
  form.filter.before_id = form.before;

  const auto problem = [&](std::string& slot, std::string_view key, std::string field_id) {
    slot = site.templates.message(language, key);
    form.errors.push_back({slot, std::move(field_id)});
  };
  if (!form.person.empty()) {
    if (form.person.find('@') == std::string::npos) {
      problem(form.person_error, "audit.errors.person", "audit-person");
    } else {
      auto person = site.database.with_connection([&](store::Connection& c) {
        return auth::DirectoryStore(c, site.clock).find_person_by_email(form.person);
      });
      if (!person) return person.error();
      // An unknown address matches nothing, rather than saying whether the address exists.
      form.filter.person_id = *person ? (*person)->id : std::int64_t{-1};
    }
  }
  if (!form.space.empty()) {
    form.filter.space_id = positive_number(form.space);
    if (!form.filter.space_id) problem(form.space_error, "audit.errors.space", "audit-space");
  }
  if (!form.document.empty()) {
    form.filter.document_id = positive_number(form.document);
    if (!form.filter.document_id)
      problem(form.document_error, "audit.errors.document", "audit-document");
  }
  std::optional<year_month_day> from_date, to_date;
  if (!form.from.empty()) {
    from_date = parse_date(form.from);
    if (from_date)
      form.filter.from = london_midnight(*from_date);
    else
      problem(form.from_error, "audit.errors.from", "audit-from");
  }
  if (!form.to.empty()) {
    to_date = parse_date(form.to);
    // The whole of the "to" day is included.
    if (to_date)
      form.filter.to = london_midnight(year_month_day(sys_days(*to_date) + days(1)));
    else
      problem(form.to_error, "audit.errors.to", "audit-to");
  }
  if (from_date && to_date && sys_days(*to_date) < sys_days(*from_date))
    problem(form.to_error, "audit.errors.range", "audit-to");
  return form;
}

void append_query_pair(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  if (!out.empty()) out += '&';
  out += name;
  out += '=';
  for (unsigned char ch : value) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
}

// The filters as a query string (without '?'), for paging and export links.
std::string filter_query(const FilterForm& form) {
  std::string query;
  append_query_pair(query, "person", form.person);
  append_query_pair(query, "space", form.space);
  append_query_pair(query, "document", form.document);
  append_query_pair(query, "from", form.from);
  append_query_pair(query, "to", form.to);
  return query;
}

std::string with_query(std::string path, std::string_view query) {
  if (!query.empty()) {
    path += path.find('?') == std::string::npos ? '?' : '&';
    path += query;
  }
  return path;
}

// --- access
// ---------------------------------------------------------------------------------------

// Nullopt when the principal may read their organisation's trail; otherwise the refusal, recorded.
std::optional<http::Response> refusal(const AuditSite& site, const http::Request& request,
                                      const auth::Principal& principal, std::string_view action) {
  const std::string organisation = std::to_string(principal.organisation_id);
  const auto decision =
      site.policy.check(principal, auth::kAuditRead, auth::Resource{"organisation", organisation});
  if (decision) return std::nullopt;
  // Anonymous refusals are scanners' noise; a signed-in person trying is worth knowing about.
  if (principal.signed_in()) {
    auto recorded = site.audit_log.append(
        auth::AuditEvent::by(principal, std::string(action), "organisation", organisation,
                             auth::AuditOutcome::denied, std::string(decision.reason)));
    if (!recorded)
      log::error("audit.append_failed",
                 {{"request_id", request.request_id}, {"error", recorded.error().message}});
  }
  return error_page(site.templates, request, 403,
                    "only your organisation's admins may read its audit trail");
}

http::Response failure_page(const AuditSite& site, const http::Request& request,
                            const Error& error) {
  const int status = http::status_for(error.kind);
  if (status >= 500) {
    log::error("audit.request_failed",
               {{"request_id", request.request_id}, {"error", error.message}});
    return error_page(site.templates, request, status,
                      "the audit trail could not be read; try again in a moment");
  }
  return error_page(site.templates, request, status, error.message);
}

// --- the page -----------------------------------------------------------------------------------

std::string when_text(const AuditSite& site, std::string_view language,
                      system_clock::time_point at) {
  const sys_time<milliseconds> local = london_time(at);
  const sys_days day = floor<days>(local);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> time(local - day);
  const std::string month_key =
      fmt::format("audit.months.month_{}", static_cast<unsigned>(date.month()));
  return fmt::format("{} {} {}, {:02}:{:02}:{:02}", static_cast<unsigned>(date.day()),
                     site.templates.message(language, month_key), static_cast<int>(date.year()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

json::object row_data(const AuditSite& site, std::string_view language,
                      const auth::AuditRecord& record) {
  const auth::AuditEvent& e = record.event;
  std::string who = record.person_name;
  if (who.empty() && e.person_id) {
    who =
        fmt::format("{} {}", site.templates.message(language, "audit.person_number"), *e.person_id);
  }
  if (who.empty()) who = site.templates.message(language, "audit.anonymous");
  std::string_view outcome_key = "audit.outcomes.failure";
  std::string_view outcome_class = "govuk-tag--orange";
  if (e.outcome == auth::AuditOutcome::success && record.outcome_text == "success") {
    outcome_key = "audit.outcomes.success";
    outcome_class = "govuk-tag--green";
  } else if (e.outcome == auth::AuditOutcome::denied) {
    outcome_key = "audit.outcomes.denied";
    outcome_class = "govuk-tag--red";
  }
  std::string resource = e.resource_kind;
  if (!e.resource_id.empty()) resource += (resource.empty() ? "" : " ") + e.resource_id;
  return json::object{
      {"id", std::to_string(record.id)},
      {"when", when_text(site, language, record.at)},
      {"who", who},
      {"email", record.person_email},
      {"has_email", !record.person_email.empty() && record.person_email != who},
      {"action", e.action},
      {"resource", resource},
      {"outcome", site.templates.message(language, outcome_key)},
      {"outcome_class", outcome_class},
      {"ip", e.ip},
      {"detail", e.detail},
      {"has_detail", !e.detail.empty()},
      {"user_agent", e.user_agent},
  };
}

http::Response audit_page(const AuditSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (auto refused = refusal(site, request, principal, "audit.view")) return std::move(*refused);
  const std::string language(http::choose_language(request));
  auto form = read_filters(site, request, language, principal.organisation_id);
  if (!form) return failure_page(site, request, form.error());

  std::vector<auth::AuditRecord> records;
  bool more = false;
  if (form->errors.empty()) {
    auth::AuditFilter filter = form->filter;
    filter.limit = kAuditPageSize + 1;  // one more than shown says whether older ones exist
    auto found = site.audit_log.query(filter);
    if (!found) return failure_page(site, request, found.error());
    records = std::move(*found);
    more = records.size() > static_cast<std::size_t>(kAuditPageSize);
    if (more) records.resize(kAuditPageSize);
  }

  json::array rows;
  for (const auth::AuditRecord& record : records) rows.push_back(row_data(site, language, record));
  const std::string query = filter_query(*form);
  json::object data{
      {"person", form->person},
      {"space", form->space},
      {"document", form->document},
      {"from", form->from},
      {"to", form->to},
      {"person_error", form->person_error},
      {"space_error", form->space_error},
      {"document_error", form->document_error},
      {"from_error", form->from_error},
      {"to_error", form->to_error},
      {"has_person_error", !form->person_error.empty()},
      {"has_space_error", !form->space_error.empty()},
      {"has_document_error", !form->document_error.empty()},
      {"has_from_error", !form->from_error.empty()},
      {"has_to_error", !form->to_error.empty()},
      {"records", std::move(rows)},
      {"has_records", !records.empty()},
      {"filtered", form->filtered()},
      {"show_empty", form->errors.empty() && records.empty()},
      {"has_older", more},
      {"older_href",
       more ? with_query("/admin/audit?before=" + std::to_string(records.back().id), query)
            : std::string()},
      {"has_newest", form->before.has_value()},
      {"newest_href", with_query("/admin/audit", query)},
      {"csv_href", with_query("/admin/audit/export?format=csv", query)},
      {"json_href", with_query("/admin/audit/export?format=json", query)},
  };

  http::PageContext context;
  context.language = language;
  context.request_id = request.request_id;
  context.current_path = request.path;
  context.title = site.templates.message(language, "audit.title");
  context.breadcrumbs = {{site.templates.message(language, "layout.nav.workspace"), "/workspace"},
                         {context.title, ""}};
  context.errors = form->errors;
  auto response = http::Response::html(site.templates.render_page("audit", data, context),
                                       form->errors.empty() ? 200 : 400);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

// --- the export ---------------------------------------------------------------------------------

http::Response audit_export(const AuditSite& site, http::Request& request) {
  const auth::Principal principal = auth::principal_of(request);
  if (auto refused = refusal(site, request, principal, "audit.export")) return std::move(*refused);
  const std::string format = request.query_param("format").value_or("csv");
  if (format != "csv" && format != "json")
    return error_page(site.templates, request, 400, "format must be csv or json");
  const std::string language(http::choose_language(request));
  auto form = read_filters(site, request, language, principal.organisation_id);
  if (!form) return failure_page(site, request, form.error());
  if (!form->errors.empty())
    return error_page(site.templates, request, 400, form->errors.front().message);

  auto body = site.audit_log.export_records(
      form->filter, format == "json" ? auth::AuditFormat::json : auth::AuditFormat::csv);
  if (!body) return failure_page(site, request, body.error());
  // Records leaving the system are themselves worth a record; if that cannot be written, the
  // download does not happen either.
  const std::string query = filter_query(*form);
  auto recorded = site.audit_log.append(
      auth::AuditEvent::by(principal, "audit.export", "organisation",
                           std::to_string(principal.organisation_id), auth::AuditOutcome::success,
                           fmt::format("format={}{}{}", format, query.empty() ? "" : "&", query)));
  if (!recorded) return failure_page(site, request, recorded.error());

  const year_month_day today(floor<days>(london_time(site.clock.now())));
  const std::string filename =
      fmt::format("audit-trail-{:04}-{:02}-{:02}.{}", static_cast<int>(today.year()),
                  static_cast<unsigned>(today.month()), static_cast<unsigned>(today.day()), format);
  auto response = http::Response::with(
      200, format == "json" ? "application/json" : "text/csv; charset=utf-8", std::move(*body));
  response.headers.set("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  response.headers.set("Cache-Control", "no-store");
  return response;
}

}  // namespace

sys_time<milliseconds> london_time(system_clock::time_point utc) {
  const sys_time<milliseconds> t = time_point_cast<milliseconds>(utc);
  return is_british_summer_time(t) ? t + 1h : t;
}

system_clock::time_point london_midnight(year_month_day date) {
  const sys_time<milliseconds> local_midnight = sys_days(date);
  // Midnight is never inside a change (those happen at 01:00 UTC), and the hour before it in UTC
  // has the offset midnight has.
  const bool summer = is_british_summer_time(local_midnight - 1h);
  return local_midnight - (summer ? 1h : 0h);
}

void add_audit_routes(http::Router& router, const AuditSite& site) {
  const std::string action(auth::kAuditRead);
  router.add("GET", "/admin/audit",
             [site](http::Request& request) { return audit_page(site, request); },
             {.action = action});
  router.add("GET", "/admin/audit/export",
             [site](http::Request& request) { return audit_export(site, request); },
             {.action = action});
}

}  // namespace agora::app
