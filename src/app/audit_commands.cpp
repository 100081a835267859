#include "app/audit_commands.hpp"

#include "app/cli.hpp"
#include "auth/audit_log.hpp"
#include "auth/directory_store.hpp"

#include <fmt/format.h>

#include <ostream>

namespace agora::app {

namespace {

std::string records_text(std::int64_t count) {
  return fmt::format("{} record{}", count, count == 1 ? "" : "s");
}

std::string duration_text(std::chrono::seconds duration) {
  constexpr std::int64_t kDay = 24 * 3600;
  if (duration.count() % kDay == 0) {
    const std::int64_t days = duration.count() / kDay;
    return fmt::format("{} day{}", days, days == 1 ? "" : "s");
  }
  return fmt::format("{} seconds", duration.count());
}

int failed(std::ostream& err, std::string_view command, const Error& error) {
  err << "agora audit " << command << ": " << error.message << "\n";
  return error.kind == ErrorKind::invalid_input ? kExitUsage : kExitFailure;
}

int run_verify(auth::AuditLog& log, std::ostream& out, std::ostream& err) {
  auto report = log.verify();
  if (!report) return failed(err, "verify", report.error());
  if (!report->ok) {
    err << "agora audit verify: audit log broken: " << report->problem << " ("
        << records_text(report->records_checked) << " before it are intact)\n";
    return kExitFailure;
  }
  out << "audit log intact: " << records_text(report->records_checked) << "\n";
  if (report->last_id >= report->first_id) {
    // Someone able to rewrite the whole database could rewrite the whole chain; a copy of the
    // newest hash kept elsewhere catches that.
    out << fmt::format("records {} to {}; the newest has SHA-256 {}\n", report->first_id,
                       report->last_id, report->last_hash_hex);
  }
  return kExitOk;
}

int run_prune(auth::AuditLog& log, const base::Clock& clock, const base::Settings& settings,
              std::ostream& out, std::ostream& err) {
  auto pruned = log.prune(clock.now() - settings.audit_retention);
  if (!pruned) return failed(err, "prune", pruned.error());
  out << fmt::format("{} older than {} pruned\n", records_text(*pruned),
                     duration_text(settings.audit_retention));
  return kExitOk;
}

int run_export(auth::AuditLog& log, store::Database& database, const base::Clock& clock,
               std::string_view organisation_name, std::string_view format, std::ostream& out,
               std::ostream& err) {
  auto organisation = database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, clock).find_organisation_by_name(organisation_name);
  });
  if (!organisation) return failed(err, "export", organisation.error());
  if (!*organisation) {
    return failed(err, "export",
                  fail(ErrorKind::invalid_input,
                       fmt::format("there is no organisation called \"{}\"; names must match "
                                   "exactly",
                                   organisation_name)));
  }
  const std::int64_t organisation_id = (*organisation)->id;
  auto exported =
      log.export_records({.organisation_id = organisation_id},
                         format == "json" ? auth::AuditFormat::json : auth::AuditFormat::csv);
  if (!exported) return failed(err, "export", exported.error());
  // Records leaving the system are themselves worth a record.
  auth::AuditEvent event;
  event.organisation_id = organisation_id;
  event.action = "audit.export";
  event.resource_kind = "organisation";
  event.resource_id = std::to_string(organisation_id);
  event.detail = fmt::format("agora audit export --format {}", format);
  if (auto recorded = log.append(event); !recorded) return failed(err, "export", recorded.error());
  out << *exported;
  if (format == "json") out << "\n";
  return kExitOk;
}

}  // namespace

AuditCommand::AuditCommand(CLI::App& app) {
  command_ = app.add_subcommand("audit", "Check, prune and export the audit trail");
  command_->require_subcommand(1);
  verify_ = command_->add_subcommand(
      "verify",
      "Check every audit record against its hash chain; exit 1 naming the first "
      "record changed, deleted or inserted");
  prune_ = command_->add_subcommand(
      "prune", "Delete audit records older than --audit-retention (the server does this daily)");
  export_ = command_->add_subcommand("export", "Print an organisation's audit records");
  export_->add_option("--organisation", organisation_, "The organisation's exact name")->required();
  export_->add_option("--format", format_, "csv or json")
      ->default_str("csv")
      ->check(CLI::IsMember({"csv", "json"}));
}

bool AuditCommand::parsed() const {
  return command_->parsed();
}

int AuditCommand::run(store::Database& database, const base::Clock& clock,
                      const base::Settings& settings, std::ostream& out, std::ostream& err) const {
  auth::AuditLog log(database, clock);
  if (verify_->parsed()) return run_verify(log, out, err);
  if (prune_->parsed()) return run_prune(log, clock, settings, out, err);
  return run_export(log, database, clock, organisation_, format_, out, err);
}

}  // namespace agora::app
