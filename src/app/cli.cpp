#include "app/cli.hpp"

#include "app/audit_commands.hpp"
#include "app/crdt_command.hpp"
#include "app/demo.hpp"
#include "app/document_commands.hpp"
#include "app/mail_commands.hpp"
#include "app/migrations.hpp"
#include "app/serve.hpp"
#include "app/directory_commands.hpp"
#include "app/sso_commands.hpp"
#include "base/clock.hpp"
#include "base/logging.hpp"
#include "store/database.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <cerrno>
#include <cstring>
#include <map>
#include <ostream>
#include <system_error>
#include <vector>

#ifndef AGORA_VERSION
#define AGORA_VERSION "0.0.0"
#endif
#ifndef AGORA_GIT_COMMIT
#define AGORA_GIT_COMMIT ""
#endif
#ifndef AGORA_SOURCE_DIR
#define AGORA_SOURCE_DIR "."
#endif

namespace agora::app {

namespace {

namespace fs = std::filesystem;
namespace log = base::log;

// The flags of one subcommand that name settings, and what the user typed for each.
struct SettingFlags {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, CLI::Option*, std::less<>> options;
  std::string config_file;
  CLI::Option* config_option = nullptr;
};

// Adds a flag for every setting in `groups`, so each setting is declared once (base/config.cpp)
// and every command that needs it takes it the same way.
void add_setting_flags(CLI::App& command, SettingFlags& flags,
                       std::initializer_list<base::SettingGroup> groups,
                       const base::Settings& defaults) {
  for (const base::SettingSpec& spec : base::setting_specs()) {
    if (std::find(groups.begin(), groups.end(), spec.group) == groups.end()) continue;
    const std::string name(spec.name);
    CLI::Option* option = command.add_option("--" + name, flags.values[name],
                                             fmt::format("{} [env {}]", spec.help, spec.env_var));
    option->type_name(std::string(spec.value_name));
    if (const std::string shown = spec.show(defaults); !shown.empty()) option->default_str(shown);
    flags.options[name] = option;
  }
  flags.config_option =
      command.add_option("--config", flags.config_file,
                         "TOML file of settings; flags and AGORA_* variables override it "
                         "[env AGORA_CONFIG]");
  flags.config_option->type_name("FILE");
}

// Defaults that depend on where the source tree is: web assets and templates.
base::Settings build_defaults() {
  base::Settings defaults;
  defaults.web_dir = fs::path(AGORA_SOURCE_DIR) / "web" / "dist";
  defaults.templates_dir = fs::path(AGORA_SOURCE_DIR) / "templates";
  return defaults;
}

Result<base::Settings> settings_from(const SettingFlags& flags,
                                     const base::Environment& environment,
                                     const base::Settings& defaults) {
  base::ConfigInputs inputs;
  for (const auto& [name, option] : flags.options) {
    if (option->count() > 0) inputs.flags.emplace(name, flags.values.at(name));
  }
  if (flags.config_option->count() > 0) inputs.config_file = flags.config_file;
  inputs.environment = environment;
  inputs.defaults = defaults;
  return base::load_settings(inputs);
}

// The database as a person would recognise it, without a password.
std::string database_name(const base::Settings& settings) {
  if (settings.database_url.empty()) return (settings.data_dir / "agora.db").string();
  return base::redact_url(settings.database_url);
}

struct Command {
  std::string name;  // "agora migrate", for error lines
  std::ostream& out;
  std::ostream& err;

  int usage_error(std::string_view message) const {
    err << name << ": " << message << "\n";
    return kExitUsage;
  }
  int failure(const Error& error) const {
    err << name << ": " << error.message << "\n";
    return error.kind == ErrorKind::invalid_input ? kExitUsage : kExitFailure;
  }
};

// The steps every command that touches state shares: settings, logging, the data folder.
Result<base::Settings> prepare(const SettingFlags& flags, const base::Environment& environment,
                               const base::Settings& defaults) {
  auto settings = settings_from(flags, environment, defaults);
  if (!settings) return settings.error();
  if (auto level = log::parse_level(settings->log_level)) log::init(*level);
  for (const std::string& warning : base::unknown_environment_variables(environment)) {
    log::warn("config.unknown_variable", {{"detail", warning}});
  }
  if (auto ready = prepare_data_dir(settings->data_dir); !ready) {
    // Not a usage error: the value is fine, the file system refused.
    return fail(ErrorKind::io, ready.error().message);
  }
  return settings;
}

Result<std::unique_ptr<store::Database>> open_database(const base::Settings& settings) {
  auto db = store::Database::open(store::Options{.url = settings.database_url,
                                                 .data_dir = settings.data_dir,
                                                 .pool_size = settings.database_pool_size});
  if (!db) {
    return fail(db.error().kind, fmt::format("cannot open the database {}: {}",
                                             database_name(settings), db.error().message));
  }
  return db;
}

std::string migrations_line(int applied, const store::Database& db) {
  if (applied == 0) {
    return fmt::format("No migrations to apply: {} is up to date.\n", db.describe());
  }
  return fmt::format("{} migration{} applied to {}.\n", applied, applied == 1 ? "" : "s",
                     db.describe());
}

int run_migrate(const Command& command, const base::Settings& settings) {
  auto db = open_database(settings);
  if (!db) return command.failure(db.error());
  auto applied = apply_migrations(**db);
  if (!applied) return command.failure(applied.error());
  command.out << migrations_line(*applied, **db);
  return kExitOk;
}

int run_demo_load(const Command& command, const base::Settings& settings) {
  auto db = open_database(settings);
  if (!db) return command.failure(db.error());
  auto applied = apply_migrations(**db);
  if (!applied) return command.failure(applied.error());
  if (*applied > 0) command.out << migrations_line(*applied, **db);
  auto loaded = load_demo(**db, base::system_clock());
  if (!loaded) return command.failure(loaded.error());
  command.out << describe_demo_load(*loaded);
  return kExitOk;
}

// What `agora doc ...` and `agora collab token` were given.
struct DocumentArguments {
  std::string email;
  std::string title;
  std::string role;
  std::string format = "yjs";
  std::string file;
  std::int64_t document_id = 0;
  std::int64_t ttl_seconds = 300;
};

// Runs `agora doc create|share|export` or `agora collab token` (told apart by `name`), printing
// the result on one line.
int run_document_command(const Command& command, const base::Settings& settings,
                         std::string_view name, const DocumentArguments& args) {
  auto db = open_database(settings);
  if (!db) return command.failure(db.error());
  if (auto applied = apply_migrations(**db); !applied) return command.failure(applied.error());
  const base::Clock& clock = base::system_clock();
  Result<std::string> output = std::string();
  if (name == "create") {
    auto id = create_document(**db, clock, args.email, args.title);
    output = id ? Result<std::string>(std::to_string(*id)) : Result<std::string>(id.error());
  } else if (name == "import") {
    std::ifstream in(args.file, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return command.failure(fail(ErrorKind::io, "cannot read " + args.file));
    auto id = import_document(**db, clock, args.email, args.title, args.format, content);
    output = id ? Result<std::string>(std::to_string(*id)) : Result<std::string>(id.error());
  } else if (name == "share") {
    auto shared = share_document(**db, clock, args.document_id, args.email, args.role);
    if (!shared) output = shared.error();
    else if (args.role == "none") output = fmt::format("{} no longer has a role on document {}", args.email, args.document_id);
    else output = fmt::format("{} now has the role {} on document {}", args.email, args.role, args.document_id);
  } else if (name == "export") {
    output = export_document(**db, clock, args.document_id, args.format);
  } else {
    output = collab_token(**db, clock, args.email, args.document_id,
                          std::chrono::seconds(args.ttl_seconds));
  }
  if (!output) return command.failure(output.error());
  command.out << *output << "\n";
  return kExitOk;
}

int run_sso_command(const Command& command, const base::Settings& settings,
                    const SsoCommand& sso) {
  auto db = open_database(settings);
  if (!db) return command.failure(db.error());
  if (auto applied = apply_migrations(**db); !applied) return command.failure(applied.error());
  return sso.run(**db, base::system_clock(), command.out, command.err);
}

int run_audit_command(const Command& command, const base::Settings& settings,
                      const AuditCommand& audit) {
  auto db = open_database(settings);
  if (!db) return command.failure(db.error());
  if (auto applied = apply_migrations(**db); !applied) return command.failure(applied.error());
  return audit.run(**db, base::system_clock(), settings, command.out, command.err);
}

// CLI11 reports problems in its own words; these say which argument is wrong and where to look.
int report_parse_error(const CLI::ParseError& e, const CLI::App& app, const Command& command,
                       std::span<const std::string> args) {
  // The deepest subcommand the user reached, so the hint points at the right --help.
  std::string where = "agora";
  const CLI::App* reached = &app;
  for (;;) {
    const auto chosen = reached->get_subcommands();
    if (chosen.empty()) break;
    reached = chosen.front();
    where += " " + reached->get_name();
  }
  const std::string hint = fmt::format("; see {} --help", where);

  const Command at{where, command.out, command.err};
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // CLI11 says "The following argument(s) was/were not expected: C B A", listing what the
    // user typed in reverse order. Name the first option typed, else the first word.
    const std::string_view what = e.what();
    const auto colon = what.find(": ");
    std::string_view rest = colon == std::string_view::npos ? what : what.substr(colon + 2);
    std::string_view first, first_option;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      const std::string_view word = rest.substr(0, space);
      first = word;
      if (word.starts_with("-")) first_option = word;
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    if (!first_option.empty()) first = first_option;
    if (first.starts_with("-")) {
      return at.usage_error(fmt::format("unknown option {}{}", first, hint));
    }
    return at.usage_error(fmt::format("unexpected argument \"{}\"{}", first, hint));
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr &&
      reached->get_subcommands().empty()) {
    const auto known = reached->get_subcommands([](const CLI::App*) { return true; });
    if (!known.empty()) {
      // A missing or misspelt subcommand: name the word typed in its place, if any.
      std::vector<std::string> path;
      for (const CLI::App* a = reached; a != &app; a = a->get_parent())
        path.push_back(a->get_name());
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i].starts_with("-")) continue;
        if (std::find(path.begin(), path.end(), args[i]) != path.end()) continue;
        return at.usage_error(fmt::format("unknown command \"{}\"{}", args[i], hint));
      }
      std::string names;
      for (const CLI::App* sub : known) {
        names += names.empty() ? "" : ", ";
        names += sub->get_name();
      }
      return at.usage_error(fmt::format("choose a command: {}{}", names, hint));
    }
  }
  return at.usage_error(std::string(e.what()) + hint);
}

}  // namespace

int run_cli(std::span<const std::string> args, const base::Environment& environment,
            std::ostream& out, std::ostream& err) {
  const base::Settings defaults = build_defaults();
  CLI::App app("Agora: public services working together, in the open.", "agora");
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::simple);

  SettingFlags serve_flags, migrate_flags, demo_flags;
  using base::SettingGroup;

  CLI::App* serve_command =
      app.add_subcommand("serve", "Serve the website (applies migrations first)");
  add_setting_flags(*serve_command, serve_flags,
                    {SettingGroup::storage, SettingGroup::serving, SettingGroup::mail,
                     SettingGroup::operations},
                    defaults);

  SettingFlags routes_flags;
  CLI::App* routes_command = app.add_subcommand(
      "routes", "Print every route `agora serve` registers, one JSON object a line");
  add_setting_flags(*routes_command, routes_flags,
                    {SettingGroup::storage, SettingGroup::serving, SettingGroup::mail,
                     SettingGroup::operations},
                    defaults);

  CLI::App* migrate_command = app.add_subcommand(
      "migrate", "Bring the database schema up to date and say how many migrations ran");
  add_setting_flags(*migrate_command, migrate_flags,
                    {SettingGroup::storage, SettingGroup::operations}, defaults);

  CLI::App* demo_command = app.add_subcommand("demo", "Demo data for trying Agora out");
  demo_command->require_subcommand(1);
  CLI::App* demo_load_command = demo_command->add_subcommand(
      "load", fmt::format("Create the demo organisations and staff (password {}); safe to repeat",
                          kDemoPassword));
  add_setting_flags(*demo_load_command, demo_flags,
                    {SettingGroup::storage, SettingGroup::operations}, defaults);

  // Documents and collaboration tokens, for operators and scripted tests.
  SettingFlags doc_create_flags, doc_import_flags, doc_share_flags, doc_export_flags, token_flags;
  DocumentArguments doc_args;
  CLI::App* doc_command = app.add_subcommand("doc", "Create, share and export documents");
  doc_command->require_subcommand(1);
  CLI::App* doc_create_command =
      doc_command->add_subcommand("create", "Create an empty document and print its id");
  doc_create_command->add_option("--owner", doc_args.email, "Email of the owner")->required();
  doc_create_command->add_option("--title", doc_args.title, "The document's title")->required();
  CLI::App* doc_share_command =
      doc_command->add_subcommand("share", "Give someone a role on a document, or remove it");
  doc_share_command->add_option("--document", doc_args.document_id, "Document id")->required();
  doc_share_command->add_option("--user", doc_args.email, "Their email address")->required();
  doc_share_command
      ->add_option("--role", doc_args.role, "viewer, commenter, editor, owner or none")
      ->required();
  CLI::App* doc_import_command = doc_command->add_subcommand(
      "import", "Create a document from a Markdown or HTML file and print its id");
  doc_import_command->add_option("--owner", doc_args.email, "Email of the owner")->required();
  doc_import_command->add_option("--title", doc_args.title, "The document's title")->required();
  doc_import_command->add_option("--format", doc_args.format, "markdown or html")->required();
  doc_import_command->add_option("file", doc_args.file, "The file to import")
      ->required()
      ->check(CLI::ExistingFile);
  CLI::App* doc_export_command =
      doc_command->add_subcommand("export", "Print a stored document");
  doc_export_command->add_option("--document", doc_args.document_id, "Document id")->required();
  doc_export_command
      ->add_option("--format", doc_args.format, "yjs (base64 of the Yjs v1 state), html, markdown or text")
      ->default_str("yjs");
  CLI::App* collab_command = app.add_subcommand("collab", "Real-time collaboration");
  collab_command->require_subcommand(1);
  CLI::App* token_command = collab_command->add_subcommand(
      "token", "Print a short-lived token for a person to open a document's live socket");
  token_command->add_option("--user", doc_args.email, "Their email address")->required();
  token_command->add_option("--document", doc_args.document_id, "Document id")->required();
  token_command->add_option("--ttl", doc_args.ttl_seconds, "Seconds the token stays valid")
      ->default_str("300")
      ->check(CLI::Range(1, 7 * 24 * 3600));
  for (auto [command, flags] : {std::pair{doc_create_command, &doc_create_flags},
                                {doc_import_command, &doc_import_flags},
                                {doc_share_command, &doc_share_flags},
                                {doc_export_command, &doc_export_flags},
                                {token_command, &token_flags}}) {
    add_setting_flags(*command, *flags, {SettingGroup::storage, SettingGroup::operations},
                      defaults);
  }

  // Mail: needs no data folder or database, only the mail settings.
  SettingFlags mail_test_flags;
  MailTestArguments mail_args;
  CLI::App* mail_command = app.add_subcommand("mail", "Outgoing mail");
  mail_command->require_subcommand(1);
  CLI::App* mail_test_command = mail_command->add_subcommand(
      "test", "Send a test message with the mail settings (--smtp-url, --mail-from)");
  mail_test_command->add_option("--to", mail_args.to, "Address to send it to")->required();
  mail_test_command->add_option("--subject", mail_args.subject, "Subject (default: a test subject)");
  mail_test_command->add_option("--text", mail_args.text, "Body text (default: a test message)");
  add_setting_flags(*mail_test_command, mail_test_flags,
                    {SettingGroup::mail, SettingGroup::operations}, defaults);

  CLI::App* version_command = app.add_subcommand("version", "Print the version and git commit");
  const CrdtCommand crdt_command(app);
  const AuditCommand audit_command(app);
  const SsoCommand sso_command(app);
  SettingFlags sso_flags;
  add_setting_flags(*sso_command.command(), sso_flags,
                    {SettingGroup::storage, SettingGroup::operations}, defaults);
  const DirectoryCommands directory_commands(app);
  SettingFlags org_create_flags, person_create_flags;
  add_setting_flags(*directory_commands.org_create(), org_create_flags,
                    {SettingGroup::storage, SettingGroup::operations}, defaults);
  add_setting_flags(*directory_commands.person_create(), person_create_flags,
                    {SettingGroup::storage, SettingGroup::operations}, defaults);
  SettingFlags audit_verify_flags, audit_prune_flags, audit_export_flags;
  for (auto [command, flags] : {std::pair{audit_command.verify_command(), &audit_verify_flags},
                                {audit_command.prune_command(), &audit_prune_flags},
                                {audit_command.export_command(), &audit_export_flags}}) {
    add_setting_flags(*command, *flags, {SettingGroup::storage, SettingGroup::operations},
                      defaults);
  }

  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  Command top{"agora", out, err};
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(e, app, top, args);
  }

  if (crdt_command.parsed()) return crdt_command.run(out, err);
  if (version_command->parsed()) {
    out << version_text() << "\n";
    return kExitOk;
  }
  if (mail_test_command->parsed()) {
    const Command command{"agora mail test", out, err};
    auto settings = settings_from(mail_test_flags, environment, defaults);
    if (!settings) return command.failure(settings.error());
    if (auto level = log::parse_level(settings->log_level)) log::init(*level);
    auto sent = send_test_mail(*settings, mail_args);
    if (!sent) return command.failure(sent.error());
    out << *sent << "\n";
    return kExitOk;
  }

  struct Choice {
    CLI::App* command;
    const SettingFlags* flags;
    std::string name;
  };
  const Choice choices[] = {{serve_command, &serve_flags, "agora serve"},
                            {routes_command, &routes_flags, "agora routes"},
                            {migrate_command, &migrate_flags, "agora migrate"},
                            {demo_load_command, &demo_flags, "agora demo load"},
                            {doc_create_command, &doc_create_flags, "agora doc create"},
                            {doc_import_command, &doc_import_flags, "agora doc import"},
                            {doc_share_command, &doc_share_flags, "agora doc share"},
                            {doc_export_command, &doc_export_flags, "agora doc export"},
                            {token_command, &token_flags, "agora collab token"},
                            {audit_command.verify_command(), &audit_verify_flags, "agora audit verify"},
                            {audit_command.prune_command(), &audit_prune_flags, "agora audit prune"},
                            {audit_command.export_command(), &audit_export_flags, "agora audit export"},
                            {sso_command.command(), &sso_flags, "agora org sso"},
                            {directory_commands.org_create(), &org_create_flags, "agora org create"},
                            {directory_commands.person_create(), &person_create_flags,
                             "agora person create"}};
  for (const Choice& choice : choices) {
    if (!choice.command->parsed()) continue;
    const Command command{choice.name, out, err};
    auto settings = prepare(*choice.flags, environment, defaults);
    if (!settings) return command.failure(settings.error());
    if (choice.command == serve_command) return serve(*settings);
    if (choice.command == routes_command) return print_routes(*settings, out);
    if (choice.command == migrate_command) return run_migrate(command, *settings);
    if (choice.command == demo_load_command) return run_demo_load(command, *settings);
    if (audit_command.parsed()) return run_audit_command(command, *settings, audit_command);
    if (sso_command.parsed()) return run_sso_command(command, *settings, sso_command);
    if (directory_commands.parsed()) {
      auto db = open_database(*settings);
      if (!db) return command.failure(db.error());
      if (auto applied = apply_migrations(**db); !applied) return command.failure(applied.error());
      return directory_commands.run(**db, base::system_clock(), out, err);
    }
    return run_document_command(command, *settings, choice.command->get_name(), doc_args);
  }
  return top.usage_error(
      "choose a command: serve, routes, migrate, demo load, doc, collab, audit, mail, org, person, crdt or "
      "version; see agora --help");
}

Result<> prepare_data_dir(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return fail(ErrorKind::io,
                fmt::format("the data folder \"{}\" is a file, not a folder", path.string()));
  }
  fs::create_directories(path, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("cannot create the data folder \"{}\": {}",
                                           path.string(), ec.message()));
  }
  if (::access(path.c_str(), R_OK | W_OK | X_OK) != 0) {
    const int error = errno;
    return fail(ErrorKind::io, fmt::format("cannot read and write the data folder \"{}\": {}",
                                           path.string(), std::strerror(error)));
  }
  return {};
}

std::string version_text() {
  const std::string_view commit = AGORA_GIT_COMMIT;
  if (commit.empty()) return fmt::format("agora {}", AGORA_VERSION);
  return fmt::format("agora {} (commit {})", AGORA_VERSION, commit);
}

}  // namespace agora::app
