#include "app/directory_commands.hpp"

#include "auth/directory_store.hpp"

#include <fmt/format.h>

#include <ostream>

namespace agora::app {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

CLI::App* org_command(CLI::App& app) {
  const auto existing =
      app.get_subcommands([](const CLI::App* a) { return a->get_name() == "org"; });
  if (!existing.empty()) return existing.front();
  CLI::App* org = app.add_subcommand("org", "Organisations and their settings");
  org->require_subcommand(1);
  return org;
}

}  // namespace

DirectoryCommands::DirectoryCommands(CLI::App& app) {
  org_create_ = org_command(app)->add_subcommand("create", "Add an organisation and print its id");
  org_create_->add_option("--name", name_, "Its name, e.g. \"Afon Valley Council\"")->required();
  org_create_
      ->add_option("--kind", kind_,
                   "council, nhs, police, housing, education, charity or other")
      ->default_str("other");
  org_create_->add_option("--domain", domains_, "An email domain of its staff (repeatable)")
      ->required();

  CLI::App* person = app.add_subcommand("person", "People");
  person->require_subcommand(1);
  person_create_ = person->add_subcommand(
      "create", "Add a member of staff (no password: they choose one by \"Forgotten your password?\")");
  person_create_->add_option("--organisation", organisation_, "Their organisation's name")
      ->required();
  person_create_->add_option("--email", email_, "Their work email address")->required();
  person_create_->add_option("--name", name_, "Their name as they write it")->required();
  person_create_->add_flag("--admin", admin_, "Make them an admin of the organisation");
}

int DirectoryCommands::run(store::Database& database, const base::Clock& clock, std::ostream& out,
                           std::ostream& err) const {
  auto done = database.transaction([&](store::Connection& c) -> Result<std::string> {
    auth::DirectoryStore directory(c, clock);
    if (org_create_->parsed()) {
      const auto kind = auth::organisation_kind_from(kind_);
      if (!kind) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("--kind \"{}\" is not one of council, nhs, police, housing, "
                                "education, charity, other",
                                kind_));
      }
      auto organisation = directory.create_organisation(name_, *kind, domains_);
      if (!organisation) return organisation.error();
      return std::to_string(organisation->id);
    }
    auto organisation = directory.find_organisation_by_name(organisation_);
    if (!organisation) return organisation.error();
    if (!*organisation) {
      return fail(ErrorKind::not_found,
                  fmt::format("there is no organisation called \"{}\"", organisation_));
    }
    auto person = directory.create_person(auth::NewPerson{.organisation_id = (*organisation)->id,
                                                          .email = email_,
                                                          .display_name = name_});
    if (!person) return person.error();
    if (admin_) AGORA_TRY(directory.set_admin(person->id, true));
    return std::to_string(person->id);
  });
  if (!done) {
    err << (org_create_->parsed() ? "agora org create: " : "agora person create: ")
        << done.error().message << "\n";
    return kExitFailure;
  }
  out << *done << "\n";
  return kExitOk;
}

}  // namespace agora::app
