#pragma once
// `agora audit verify|prune|export`: prove the audit trail unbroken, apply --audit-retention by
// hand, and export one organisation's records (auth/audit_log.hpp).

#include "base/clock.hpp"
#include "base/settings.hpp"
#include "store/database.hpp"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace agora::app {

/// The `audit` command and its subcommands, registered on the top-level CLI::App. cli.cpp adds
/// the setting flags to each subcommand, opens the database and calls run().
class AuditCommand {
 public:
  explicit AuditCommand(CLI::App& app);

  /// `agora audit verify`, `agora audit prune`, `agora audit export`.
  CLI::App* verify_command() const { return verify_; }
  CLI::App* prune_command() const { return prune_; }
  CLI::App* export_command() const { return export_; }
  /// Whether the command line chose one of them.
  bool parsed() const;

  /// Runs the chosen subcommand on `database` (migrated): verify prints "audit log intact: N
  /// records" and returns 0, or prints the first problem and returns 1; prune deletes what
  /// settings.audit_retention says to; export prints the organisation's records as CSV or JSON.
  int run(store::Database& database, const base::Clock& clock, const base::Settings& settings,
          std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_;
  CLI::App* verify_;
  CLI::App* prune_;
  CLI::App* export_;
  std::string organisation_;
  std::string format_ = "csv";
};

}  // namespace agora::app
