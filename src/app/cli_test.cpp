#include "app/cli.hpp"
#include "app/migrations.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace agora::app {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

Outcome run(std::vector<std::string> args, base::Environment environment = {}) {
  args.insert(args.begin(), "agora");
  std::ostringstream out, err;
  Outcome outcome;
  outcome.code = run_cli(args, environment, out, err);
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class TempFolder {
 public:
  TempFolder() {
    std::random_device seed;
    path_ = fs::temp_directory_path() / ("agora_cli_test_" + std::to_string(seed()));
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(Cli, VersionPrintsProjectVersion) {
  const Outcome r = run({"version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(r.out.starts_with("agora 0.")) << r.out;
  EXPECT_EQ(r.out, version_text() + "\n");
}

TEST(Cli, HelpListsCommandsAndEveryServeFlag) {
  const Outcome top = run({"--help"});
  EXPECT_EQ(top.code, kExitOk);
  for (const char* command : {"serve", "migrate", "demo", "version"}) {
    EXPECT_NE(top.out.find(command), std::string::npos) << command;
  }
  const Outcome serve = run({"serve", "--help"});
  EXPECT_EQ(serve.code, kExitOk);
  for (const base::SettingSpec& spec : base::setting_specs()) {
    EXPECT_NE(serve.out.find("--" + std::string(spec.name)), std::string::npos) << spec.name;
    EXPECT_NE(serve.out.find(spec.env_var), std::string::npos) << spec.env_var;
  }
  EXPECT_NE(serve.out.find("--config"), std::string::npos);
  EXPECT_NE(serve.out.find("127.0.0.1:8080"), std::string::npos) << "shows defaults";

  const Outcome migrate = run({"migrate", "--help"});
  EXPECT_EQ(migrate.code, kExitOk);
  EXPECT_NE(migrate.out.find("--data"), std::string::npos);
  EXPECT_EQ(migrate.out.find("--listen"), std::string::npos) << "migrate does not serve";

  const Outcome demo = run({"demo", "--help"});
  EXPECT_EQ(demo.code, kExitOk);
  EXPECT_NE(demo.out.find("load"), std::string::npos);
  EXPECT_EQ(run({"demo", "load", "--help"}).code, kExitOk);
  EXPECT_EQ(run({"version", "--help"}).code, kExitOk);
}

TEST(Cli, UnknownFlagIsOneLineNamingItWithExitTwo) {
  const Outcome r = run({"serve", "--no-such-flag"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "agora serve: unknown option --no-such-flag; see agora serve --help\n");
  EXPECT_TRUE(r.out.empty());

  const Outcome flag_for_another_command = run({"migrate", "--listen", "127.0.0.1:1"});
  EXPECT_EQ(flag_for_another_command.code, kExitUsage);
  EXPECT_NE(flag_for_another_command.err.find("--listen"), std::string::npos)
      << flag_for_another_command.err;
  EXPECT_EQ(line_count(flag_for_another_command.err), 1u);

  const Outcome with_value = run({"migrate", "--frobnicate=3"});
  EXPECT_EQ(with_value.code, kExitUsage);
  EXPECT_EQ(with_value.err,
            "agora migrate: unknown option --frobnicate=3; see agora migrate --help\n");

  const Outcome stray = run({"serve", "extra"});
  EXPECT_EQ(stray.code, kExitUsage);
  EXPECT_EQ(stray.err, "agora serve: unexpected argument \"extra\"; see agora serve --help\n");
}

TEST(Cli, UnknownCommandIsNamed) {
  const Outcome r = run({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "agora: unknown command \"frobnicate\"; see agora --help\n");
  EXPECT_EQ(line_count(r.err), 1u) << r.err;

  const Outcome nested = run({"demo", "unload"});
  EXPECT_EQ(nested.code, kExitUsage);
  EXPECT_EQ(nested.err, "agora demo: unknown command \"unload\"; see agora demo --help\n");
  EXPECT_EQ(line_count(nested.err), 1u) << nested.err;
}

TEST(Cli, MissingCommandSaysWhatToDo) {
  const Outcome r = run({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "agora: choose a command: serve, routes, migrate, demo, doc, collab, mail, version, crdt, audit, org, person; see agora --help\n");
  EXPECT_EQ(run({"demo"}).err, "agora demo: choose a command: load; see agora demo --help\n");
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  EXPECT_EQ(run({"demo"}).code, kExitUsage);
}

TEST(Cli, BadValuesNameTheirSourceWithExitTwo) {
  TempFolder folder;
  const Outcome flag = run({"migrate", "--data", folder / "d", "--database-pool", "many"});
  EXPECT_EQ(flag.code, kExitUsage);
  EXPECT_EQ(flag.err, "agora migrate: --database-pool \"many\": expected a whole number\n");

  const Outcome env = run({"migrate", "--data", folder / "d"}, {{"AGORA_LOG_LEVEL", "loud"}});
  EXPECT_EQ(env.code, kExitUsage);
  EXPECT_EQ(env.err,
            "agora migrate: AGORA_LOG_LEVEL \"loud\": expected one of trace, debug, info, warn, "
            "error\n");

  const Outcome missing_value = run({"serve", "--listen"});
  EXPECT_EQ(missing_value.code, kExitUsage);
  EXPECT_NE(missing_value.err.find("--listen"), std::string::npos) << missing_value.err;

  const Outcome bad_url = run({"migrate", "--data", folder / "d", "--database", "mysql://x"});
  EXPECT_EQ(bad_url.code, kExitUsage);
  EXPECT_TRUE(bad_url.err.starts_with("agora migrate: --database \"mysql://x\": expected"))
      << bad_url.err;
}

TEST(Cli, DataFolderThatCannotBeCreatedIsNamed) {
  TempFolder folder;
  std::ofstream(folder / "a-file") << "not a folder";
  const std::string data = folder / "a-file/sub";
  const Outcome r = run({"migrate", "--data", data});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find(data), std::string::npos) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;

  const Outcome file = run({"demo", "load", "--data", folder / "a-file"});
  EXPECT_EQ(file.code, kExitFailure);
  EXPECT_EQ(file.err, "agora demo load: the data folder \"" + (folder / "a-file") +
                          "\" is a file, not a folder\n");
}

TEST(Cli, RoutesPrintsTheServedTableOneJsonObjectALine) {
  TempFolder folder;
  const Outcome r = run({"routes", "--data", folder / "data"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("{\"method\":\"GET\",\"pattern\":\"/healthz\",\"action\":\"health.read\","
                       "\"websocket\":false}\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"method\":\"GET\",\"pattern\":\"/collab/ws/{document_id}\","
                       "\"action\":\"collab.connect\",\"websocket\":true}\n"),
            std::string::npos)
      << r.out;
  std::istringstream lines(r.out);
  std::size_t routes = 0;
  for (std::string line; std::getline(lines, line); ++routes) {
    EXPECT_TRUE(line.starts_with("{\"method\":\"") && line.ends_with("}")) << line;
  }
  EXPECT_GT(routes, 40u);  // sign-in, accounts, admin, spaces, documents, collaboration
}

TEST(Cli, MigrateSaysHowManyRanThenNone) {
  TempFolder folder;
  const std::string data = folder / "nested/data";
  const Outcome first = run({"migrate", "--data", data});
  ASSERT_EQ(first.code, kExitOk) << first.err;
  const std::string expected = std::to_string(all_migrations().size()) + " migrations applied to sqlite";
  EXPECT_TRUE(first.out.starts_with(expected)) << first.out;
  EXPECT_TRUE(fs::exists(fs::path(data) / "agora.db"));

  const Outcome second = run({"migrate"}, {{"AGORA_DATA", data}});
  ASSERT_EQ(second.code, kExitOk) << second.err;
  EXPECT_TRUE(second.out.starts_with("No migrations to apply: sqlite")) << second.out;
  EXPECT_NE(second.out.find("up to date"), std::string::npos);
}

TEST(Cli, ConfigFileSuppliesTheDataFolder) {
  TempFolder folder;
  const std::string data = folder / "from-toml";
  std::ofstream(folder / "agora.toml") << "data = \"" << data << "\"\n";
  const Outcome r = run({"migrate", "--config", folder / "agora.toml"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(fs::exists(fs::path(data) / "agora.db"));

  std::ofstream(folder / "bad.toml") << "dta = \"x\"\n";
  const Outcome bad = run({"migrate"}, {{"AGORA_CONFIG", folder / "bad.toml"}});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_EQ(bad.err, "agora migrate: " + (folder / "bad.toml") +
                         ":1:1: unknown key \"dta\"; did you mean \"data\"?\n");
}

TEST(Cli, DemoLoadPrintsSignInsAndIsIdempotent) {
  TempFolder folder;
  const Outcome first = run({"demo", "load", "--data", folder / "data"});
  ASSERT_EQ(first.code, kExitOk) << first.err;
  EXPECT_NE(first.out.find("Demo loaded: created 4 organisations and 14 people."),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("sian.pritchard@afonvalley.gov.uk"), std::string::npos);
  EXPECT_NE(first.out.find("agora-demo-2026"), std::string::npos);

  const Outcome second = run({"demo", "load", "--data", folder / "data"});
  ASSERT_EQ(second.code, kExitOk) << second.err;
  EXPECT_TRUE(second.out.starts_with("Demo already loaded: nothing changed.")) << second.out;
  // The same table both times.
  const auto table = [](const std::string& out) { return out.substr(out.find("\nDemo sign-ins")); };
  EXPECT_EQ(table(first.out), table(second.out));
}

TEST(Cli, OrgAndPersonCreateSetUpAnOrganisationAndItsFirstAdmin) {
  TempFolder folder;
  const auto data = folder / "data";
  const Outcome org = run({"org", "create", "--data", data, "--name", "Cyngor Sir Gwynedd",
                           "--kind", "council", "--domain", "gwynedd.llyw.cymru"});
  ASSERT_EQ(org.code, kExitOk) << org.err;
  EXPECT_EQ(org.out, "1\n");
  const Outcome again = run({"org", "create", "--data", data, "--name", "Another",
                             "--domain", "gwynedd.llyw.cymru"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("gwynedd.llyw.cymru"), std::string::npos) << again.err;
  const Outcome kind = run({"org", "create", "--data", data, "--name", "X", "--kind", "bank",
                            "--domain", "x.example"});
  EXPECT_EQ(kind.err,
            "agora org create: --kind \"bank\" is not one of council, nhs, police, housing, "
            "education, charity, other\n");

  const Outcome admin = run({"person", "create", "--data", data, "--organisation",
                             "Cyngor Sir Gwynedd", "--email", "Elen@Gwynedd.llyw.cymru", "--name",
                             "Elen Roberts", "--admin"});
  ASSERT_EQ(admin.code, kExitOk) << admin.err;
  const Outcome unknown = run({"person", "create", "--data", data, "--organisation", "Nowhere",
                               "--email", "a@b.example", "--name", "A"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "agora person create: there is no organisation called \"Nowhere\"\n");
}

TEST(PrepareDataDir, CreatesNestedFolders) {
  TempFolder folder;
  ASSERT_TRUE(prepare_data_dir(folder.path() / "a" / "b"));
  EXPECT_TRUE(fs::is_directory(folder.path() / "a" / "b"));
  EXPECT_TRUE(prepare_data_dir(folder.path() / "a" / "b")) << "an existing folder is fine";
}

}  // namespace
}  // namespace agora::app
