#include "app/sso_commands.hpp"

#include "app/cli.hpp"
#include "app/sso_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/oidc.hpp"
#include "auth/oidc_store.hpp"

#include <fmt/format.h>
#include <boost/url.hpp>

#include <ostream>

namespace agora::app {

Result<std::string> configure_sso(store::Database& database, const base::Clock& clock,
                                  const SsoArguments& args) {
  const bool turning_on = !args.issuer.empty();
  if (turning_on) {
    AGORA_TRY(auth::check_provider_url(args.issuer, "issuer"));
    // OpenID Connect Core section 2: an issuer is a URL with no query or fragment.
    const boost::urls::url_view issuer(args.issuer);
    if (issuer.has_query() || issuer.has_fragment()) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("the issuer \"{}\" must not have a query or fragment", args.issuer));
    }
    if (args.client_id.empty()) {
      return fail(ErrorKind::invalid_input,
                  "--client-id is empty; give the client id the provider issued to Agora");
    }
    if (args.client_secret.empty()) {
      return fail(ErrorKind::invalid_input,
                  "--client-secret is empty; give the secret the provider issued with the client "
                  "id (Agora authenticates with client_secret_basic)");
    }
  }
  return database.transaction([&](store::Connection& c) -> Result<std::string> {
    auto organisation = auth::DirectoryStore(c, clock).find_organisation_by_name(args.organisation);
    if (!organisation) return organisation.error();
    if (!*organisation) {
      return fail(ErrorKind::not_found,
                  fmt::format("there is no organisation called \"{}\"", args.organisation));
    }
    AGORA_TRY(auth::OidcStore(c, clock).save_settings(
        auth::OidcSettings{.organisation_id = (*organisation)->id,
                           .issuer = args.issuer,
                           .client_id = args.client_id,
                           .client_secret = args.client_secret}));
    if (!turning_on) {
      return fmt::format("Single sign-on is off for {}; its staff sign in with a password.",
                         (*organisation)->name);
    }
    return fmt::format(
        "Single sign-on is on for {} with {} (client id {}). Register <public URL>{} as the "
        "client's redirect URI.",
        (*organisation)->name, args.issuer, args.client_id, kSsoCallbackPath);
  });
}

SsoCommand::SsoCommand(CLI::App& app) {
  // `org` may already exist if another command about organisations registered it first.
  CLI::App* org = nullptr;
  const auto existing =
      app.get_subcommands([](const CLI::App* a) { return a->get_name() == "org"; });
  if (!existing.empty()) {
    org = existing.front();
  } else {
    org = app.add_subcommand("org", "Organisations and their settings");
    org->require_subcommand(1);
  }
  sso_ = org->add_subcommand("sso",
                             "Turn single sign-on (OpenID Connect) on or off for an organisation");
  sso_->add_option("--organisation", args_.organisation, "The organisation's name")->required();
  sso_->add_option("--issuer", args_.issuer,
                   "The provider's issuer URL (https); an empty value turns single sign-on off")
      ->required();
  sso_->add_option("--client-id", args_.client_id, "The client id the provider issued to Agora");
  sso_->add_option("--client-secret", args_.client_secret, "The client secret that goes with it");
}

int SsoCommand::run(store::Database& database, const base::Clock& clock, std::ostream& out,
                    std::ostream& err) const {
  auto line = configure_sso(database, clock, args_);
  if (!line) {
    err << "agora org sso: " << line.error().message << "\n";
    return line.error().kind == ErrorKind::invalid_input ? kExitUsage : kExitFailure;
  }
  out << *line << "\n";
  return kExitOk;
}

}  // namespace agora::app
