#pragma once
// `agora org create` and `agora person create`: how an operator sets up an organisation and its
// first admin. The admin then chooses a password through "Forgotten your password?" (the link
// goes to their work email), and invites everyone else from /admin/people.

#include "base/clock.hpp"
#include "store/database.hpp"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace agora::app {

/// The two commands, registered on the top-level CLI::App (sharing an `org` command that another
/// part may have registered first). cli.cpp adds the setting flags, opens the database and calls
/// run().
class DirectoryCommands {
 public:
  explicit DirectoryCommands(CLI::App& app);

  CLI::App* org_create() const { return org_create_; }
  CLI::App* person_create() const { return person_create_; }
  /// Whether the command line chose one of them.
  bool parsed() const { return org_create_->parsed() || person_create_->parsed(); }
  /// Runs the chosen command on `database` (migrated); returns the exit code.
  int run(store::Database& database, const base::Clock& clock, std::ostream& out,
          std::ostream& err) const;

 private:
  CLI::App* org_create_;
  CLI::App* person_create_;
  std::string name_;
  std::string kind_ = "other";
  std::vector<std::string> domains_;
  std::string organisation_;
  std::string email_;
  bool admin_ = false;
};

}  // namespace agora::app
