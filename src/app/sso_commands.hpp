#pragma once
// `agora org sso`: turns single sign-on on or off for one organisation by storing its identity
// provider's issuer, client id and client secret (auth/oidc_store.hpp).

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace agora::app {

/// What `agora org sso` was given.
struct SsoArguments {
  std::string organisation;  // the organisation's exact name
  std::string issuer;        // empty turns SSO off
  std::string client_id;
  std::string client_secret;
};

/// Stores `args` for the named organisation and returns the line to print. invalid_input for an
/// issuer that is not an https URL (http only on loopback) or has a query or fragment, or a
/// missing client id or secret while turning SSO on; not_found for an unknown organisation.
Result<std::string> configure_sso(store::Database& database, const base::Clock& clock,
                                  const SsoArguments& args);

/// The `org sso` command, registered on the top-level CLI::App (sharing an `org` command that
/// another part registered first). cli.cpp adds the setting flags, opens the database and calls
/// run().
class SsoCommand {
 public:
  explicit SsoCommand(CLI::App& app);

  /// `agora org sso`.
  CLI::App* command() const { return sso_; }
  /// Whether the command line chose it.
  bool parsed() const { return sso_->parsed(); }
  /// Runs configure_sso on `database` (migrated), printing its line; returns the exit code.
  int run(store::Database& database, const base::Clock& clock, std::ostream& out,
          std::ostream& err) const;

 private:
  CLI::App* sso_;
  SsoArguments args_;
};

}  // namespace agora::app
