#include "base/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>

namespace agora::base {
namespace {

namespace fs = std::filesystem;

// A TOML file in a fresh temporary folder, removed at the end of the test.
class TomlFile {
 public:
  explicit TomlFile(std::string_view contents) {
    std::random_device seed;
    folder_ = fs::temp_directory_path() / ("agora_config_test_" + std::to_string(seed()));
    fs::create_directories(folder_);
    path_ = folder_ / "config.toml";
    std::ofstream(path_) << contents;
  }
  ~TomlFile() { fs::remove_all(folder_); }
  const fs::path& path() const { return path_; }
  std::string name() const { return path_.string(); }

 private:
  fs::path folder_;
  fs::path path_;
};

std::string error_of(const ConfigInputs& inputs) {
  auto settings = load_settings(inputs);
  EXPECT_FALSE(settings) << "expected an error";
  return settings ? std::string() : settings.error().message;
}

TEST(Config, DefaultsWhenNothingIsGiven) {
  ConfigInputs inputs;
  inputs.defaults.web_dir = "/src/web/dist";
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->listen_host, "127.0.0.1");
  EXPECT_EQ(settings->listen_port, 8080);
  EXPECT_EQ(settings->data_dir, "data");
  EXPECT_EQ(settings->web_dir, "/src/web/dist");
  EXPECT_EQ(settings->log_level, "info");
}

TEST(Config, TomlOverridesDefaults) {
  TomlFile file("listen = \"0.0.0.0:9000\"\nio_threads = 3\nread_timeout = \"2m\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->listen_host, "0.0.0.0");
  EXPECT_EQ(settings->listen_port, 9000);
  EXPECT_EQ(settings->io_threads, 3);
  EXPECT_EQ(settings->read_timeout, std::chrono::minutes(2));
}

TEST(Config, EnvironmentOverridesToml) {
  TomlFile file("listen = \"0.0.0.0:9000\"\nworker_threads = 2\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  inputs.environment = {{"AGORA_LISTEN", "127.0.0.1:9100"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->listen_port, 9100);
  EXPECT_EQ(settings->worker_threads, 2);  // the file still sets what the environment does not
}

TEST(Config, FlagOverridesEnvironmentAndToml) {
  TomlFile file("listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  inputs.environment = {{"AGORA_LISTEN", "127.0.0.1:9100"}, {"AGORA_LOG_LEVEL", "warn"}};
  inputs.flags = {{"listen", "[::1]:9200"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->listen_host, "::1");
  EXPECT_EQ(settings->listen_port, 9200);
  EXPECT_EQ(settings->log_level, "warn");  // environment over file where no flag is given
}

TEST(Config, FlagOverridesEnvironment) {
  ConfigInputs inputs;
  inputs.environment = {{"AGORA_DATA", "/var/lib/agora"}};
  inputs.flags = {{"data", "/tmp/agora"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->data_dir, "/tmp/agora");
}

TEST(Config, ConfigFileFromEnvironment) {
  TomlFile file("max_connections = 12\n");
  ConfigInputs inputs;
  inputs.environment = {{"AGORA_CONFIG", file.name()}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->max_connections, 12u);
}

TEST(Config, ConfigFlagOverridesAgoraConfig) {
  TomlFile flag_file("max_connections = 12\n");
  TomlFile env_file("max_connections = 99\n");
  ConfigInputs inputs;
  inputs.config_file = flag_file.path();
  inputs.environment = {{"AGORA_CONFIG", env_file.name()}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->max_connections, 12u);
}

TEST(Config, EveryDeclaredSettingReadsFromEverySource) {
  // One value per setting, each different from its default so a setting that ignored its
  // source would fail. A new setting must be added here.
  const std::map<std::string_view, std::string> samples = {
      {"data", "/srv/agora"},    {"database", "postgres://agora@db/agora"},
      {"database-pool", "3"},    {"listen", "10.0.0.1:81"},
      {"tls-cert", "c.pem"},     {"tls-key", "k.pem"},
      {"web-dir", "/w"},         {"templates-dir", "/t"},
      {"io-threads", "5"},       {"worker-threads", "6"},
      {"max-connections", "7"},  {"max-header-bytes", "2048"},
      {"read-timeout", "16s"},   {"idle-timeout", "61s"},
      {"shutdown-grace", "11s"}, {"log-level", "debug"},
      {"collab-unload-after", "2s"},
      {"public-url", "https://agora.example.gov.uk"},
      {"session-idle", "900s"},  {"session-absolute", "28800s"},
      {"smtp-url", "smtp://127.0.0.1:2525"},
      {"mail-from", "Agora <agora@example.gov.uk>"},
      {"audit-retention", "86400s"},
  };
  ASSERT_EQ(samples.size(), setting_specs().size());
  for (const SettingSpec& spec : setting_specs()) {
    ASSERT_TRUE(samples.contains(spec.name)) << spec.name;
    const std::string value = samples.at(spec.name);
    ASSERT_NE(spec.show(Settings{}), value) << spec.name;
    SCOPED_TRACE(std::string(spec.name));
    ConfigInputs from_flag;
    from_flag.flags = {{std::string(spec.name), value}};
    if (spec.name == "tls-cert") from_flag.flags["tls-key"] = "k";
    if (spec.name == "tls-key") from_flag.flags["tls-cert"] = "c";
    auto a = load_settings(from_flag);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(spec.show(*a), value);

    ConfigInputs from_env;
    from_env.environment = {{std::string(spec.env_var), value}};
    if (spec.name == "tls-cert") from_env.environment["AGORA_TLS_KEY"] = "k";
    if (spec.name == "tls-key") from_env.environment["AGORA_TLS_CERT"] = "c";
    auto b = load_settings(from_env);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(spec.show(*b), value);

    std::string toml = std::string(spec.toml_key) + " = \"" + value + "\"\n";
    if (spec.name == "tls-cert") toml += "tls_key = \"k\"\n";
    if (spec.name == "tls-key") toml += "tls_cert = \"c\"\n";
    TomlFile file(toml);
    ConfigInputs from_file;
    from_file.config_file = file.path();
    auto c = load_settings(from_file);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(spec.show(*c), value);
  }
}

TEST(Config, FlagErrorNamesFlagValueAndRule) {
  ConfigInputs inputs;
  inputs.flags = {{"listen", "localhost:99999"}};
  EXPECT_EQ(error_of(inputs),
            R"(--listen "localhost:99999": the port must be 1-65535 (0 picks a free one))");
}

TEST(Config, EnvironmentErrorNamesVariableValueAndRule) {
  ConfigInputs inputs;
  inputs.environment = {{"AGORA_IO_THREADS", "x"}};
  EXPECT_EQ(error_of(inputs), R"(AGORA_IO_THREADS "x": expected a whole number)");
}

TEST(Config, RangeErrorsSayTheRange) {
  ConfigInputs inputs;
  inputs.flags = {{"worker-threads", "0"}};
  EXPECT_EQ(error_of(inputs), R"(--worker-threads "0": must be between 1 and 1024)");
  inputs.flags = {{"io-threads", "99999999999999999999999"}};
  EXPECT_EQ(error_of(inputs),
            R"(--io-threads "99999999999999999999999": must be between 0 and 1024)");
  inputs.flags = {{"io-threads", "-1"}};
  EXPECT_EQ(error_of(inputs), R"(--io-threads "-1": must be between 0 and 1024)");
  inputs.flags = {{"io-threads", "4 "}};
  EXPECT_EQ(error_of(inputs), R"(--io-threads "4 ": expected a whole number)");
}

TEST(Config, DurationsAcceptUnitsAndCheckRange) {
  ConfigInputs inputs;
  inputs.flags = {{"idle-timeout", "1h"}, {"read-timeout", "30"}, {"shutdown-grace", "0s"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->idle_timeout, std::chrono::hours(1));
  EXPECT_EQ(settings->read_timeout, std::chrono::seconds(30));
  EXPECT_EQ(settings->shutdown_grace, std::chrono::seconds(0));

  inputs.flags = {{"read-timeout", "soon"}};
  EXPECT_EQ(error_of(inputs),
            R"(--read-timeout "soon": expected a duration such as 15 (seconds), 15s, 2m, 1h or 30d)");
  inputs.flags = {{"read-timeout", "2h"}};
  EXPECT_EQ(error_of(inputs), R"(--read-timeout "2h": must be between 1s and 3600s)");
}

TEST(Config, LogLevelMustBeKnown) {
  ConfigInputs inputs;
  inputs.flags = {{"log-level", "loud"}};
  EXPECT_EQ(error_of(inputs),
            R"(--log-level "loud": expected one of trace, debug, info, warn, error)");
}

TEST(Config, DatabaseUrlSchemeIsCheckedAndPasswordNeverEchoed) {
  ConfigInputs inputs;
  inputs.flags = {{"database", "postgress://agora:hunter2@db/agora"}};
  const std::string message = error_of(inputs);
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_TRUE(message.starts_with(R"(--database "postgress://agora:***@db/agora": expected)"))
      << message;

  inputs.flags = {{"database", "postgres://agora:hunter2@db/agora"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->database_url, "postgres://agora:hunter2@db/agora");
}

TEST(Config, EmptyFolderIsRejected) {
  ConfigInputs inputs;
  inputs.environment = {{"AGORA_DATA", ""}};
  EXPECT_EQ(error_of(inputs), R"(AGORA_DATA "": must not be empty)");
}

TEST(Config, ControlCharactersInValuesStayOnOneLine) {
  ConfigInputs inputs;
  inputs.environment = {{"AGORA_IO_THREADS", "1\n2"}};
  EXPECT_EQ(error_of(inputs), R"(AGORA_IO_THREADS "1\n2": expected a whole number)");
}

TEST(Config, TlsCertAndKeyGoTogether) {
  ConfigInputs inputs;
  inputs.flags = {{"tls-cert", "cert.pem"}};
  EXPECT_EQ(error_of(inputs),
            "--tls-cert and --tls-key must be given together; only --tls-cert is set");
  inputs.flags = {{"tls-key", "key.pem"}};
  EXPECT_EQ(error_of(inputs),
            "--tls-cert and --tls-key must be given together; only --tls-key is set");
  // Pairs may come from different sources.
  inputs.environment = {{"AGORA_TLS_CERT", "cert.pem"}};
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->tls_cert, "cert.pem");
  EXPECT_EQ(settings->tls_key, "key.pem");
}

TEST(Config, TomlUnknownKeyIsNamedWithItsPlaceAndAHint) {
  TomlFile file("io_threads = 2\nlistn = \"127.0.0.1:80\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  EXPECT_EQ(error_of(inputs), file.name() + R"(:2:1: unknown key "listn"; did you mean "listen"?)");
}

TEST(Config, TomlUnknownKeyWithoutACloseMatch) {
  TomlFile file("colour = \"blue\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  EXPECT_EQ(error_of(inputs), file.name() + R"(:1:1: unknown key "colour")");
}

TEST(Config, TomlSyntaxErrorHasLineAndColumn) {
  TomlFile file("io_threads = 2\nlisten = \"127.0.0.1:80\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  const std::string message = error_of(inputs);
  EXPECT_TRUE(message.starts_with(file.name() + ":2:")) << message;
  EXPECT_GT(message.size(), file.name().size() + 8) << "a description follows: " << message;
}

TEST(Config, TomlBadValueNamesKeyPlaceAndRule) {
  TomlFile file("\nlisten = \"localhost:99999\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  EXPECT_EQ(
      error_of(inputs),
      file.name() +
          R"(:2:10: listen "localhost:99999": the port must be 1-65535 (0 picks a free one))");
}

TEST(Config, TomlNumbersAndWrongTypes) {
  TomlFile numbers("io_threads = 2\nread_timeout = 20\n");
  ConfigInputs inputs;
  inputs.config_file = numbers.path();
  auto settings = load_settings(inputs);
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->io_threads, 2);
  EXPECT_EQ(settings->read_timeout, std::chrono::seconds(20));

  TomlFile fraction("io_threads = 1.5\n");
  inputs.config_file = fraction.path();
  EXPECT_EQ(error_of(inputs),
            fraction.name() + R"(:1:14: io_threads "1.5": expected a whole number)");

  TomlFile array("io_threads = [1, 2]\n");
  inputs.config_file = array.path();
  EXPECT_EQ(error_of(inputs),
            array.name() + ":1:14: io_threads: expected a string or a number, not an array");
}

TEST(Config, TomlValueIsCheckedEvenWhenAFlagOverridesIt) {
  TomlFile file("io_threads = \"many\"\n");
  ConfigInputs inputs;
  inputs.config_file = file.path();
  inputs.flags = {{"io-threads", "2"}};
  EXPECT_EQ(error_of(inputs), file.name() + R"(:1:14: io_threads "many": expected a whole number)");
}

TEST(Config, MissingConfigFileNamesItsSource) {
  ConfigInputs inputs;
  inputs.config_file = "/nonexistent/agora.toml";
  EXPECT_EQ(error_of(inputs),
            R"(--config "/nonexistent/agora.toml": cannot read it: No such file or directory)");
  inputs.config_file.reset();
  inputs.environment = {{"AGORA_CONFIG", "/nonexistent/agora.toml"}};
  EXPECT_EQ(error_of(inputs),
            R"(AGORA_CONFIG "/nonexistent/agora.toml": cannot read it: No such file or directory)");
}

TEST(Config, UnknownFlagIsNamed) {
  ConfigInputs inputs;
  inputs.flags = {{"lisen", "x"}};
  EXPECT_EQ(error_of(inputs), R"(unknown option --lisen; did you mean "listen"?)");
}

TEST(Config, UnknownAgoraVariablesAreReportedWithHints) {
  const auto unknown = unknown_environment_variables({{"AGORA_LISTN", "x"},
                                                      {"AGORA_LISTEN", "x"},
                                                      {"AGORA_CONFIG", "x"},
                                                      {"AGORA_SOURCE_DIR", "x"},
                                                      {"AGORA_TEST_POSTGRES_URL", "x"},
                                                      {"HOME", "/root"}});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0], R"(AGORA_LISTN is not a setting; did you mean "AGORA_LISTEN"?)");
}

TEST(Config, CurrentEnvironmentReadsTheProcessEnvironment) {
  ::setenv("AGORA_CONFIG_TEST_PROBE", "a=b", 1);
  const Environment environment = current_environment();
  ASSERT_TRUE(environment.contains("AGORA_CONFIG_TEST_PROBE"));
  EXPECT_EQ(environment.at("AGORA_CONFIG_TEST_PROBE"), "a=b");
  ::unsetenv("AGORA_CONFIG_TEST_PROBE");
}

TEST(ParseListen, AcceptsIpv4Ipv6AndHostNames) {
  auto v4 = parse_listen("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_listen("[::1]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 443);
  auto any_port = parse_listen("127.0.0.1:0");
  ASSERT_TRUE(any_port);
  EXPECT_EQ(any_port->port, 0);
  auto name = parse_listen("agora.example-council.org:65535");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "agora.example-council.org");
  EXPECT_EQ(name->port, 65535);
}

TEST(ParseListen, ExplainsEachMistake) {
  auto message = [](std::string_view text) {
    auto r = parse_listen(text);
    return r ? std::string("(accepted)") : r.error().message;
  };
  EXPECT_EQ(message("localhost"), "expected HOST:PORT, e.g. 127.0.0.1:8080");
  EXPECT_EQ(message("localhost:-1"), "the port must be 1-65535 (0 picks a free one)");
  EXPECT_EQ(message("localhost:65536"), "the port must be 1-65535 (0 picks a free one)");
  EXPECT_EQ(message("localhost:http"), "the port must be 1-65535 (0 picks a free one)");
  EXPECT_EQ(message("localhost:"), "the port must be 1-65535 (0 picks a free one)");
  EXPECT_EQ(message("::1:8080"), "put an IPv6 address in brackets, e.g. [::1]:8080");
  EXPECT_EQ(message("[::g]:8080"), "\"::g\" is not an IPv6 address");
  EXPECT_EQ(message("[::1]8080"), "expected HOST:PORT, e.g. 127.0.0.1:8080");
  EXPECT_EQ(message("[::1:8080"), "expected HOST:PORT, e.g. 127.0.0.1:8080");
  EXPECT_EQ(message("300.1.1.1:80"), "\"300.1.1.1\" is not an IPv4 address");
  EXPECT_EQ(message("bad_host:80"), "\"bad_host\" is not a valid host name");
  EXPECT_EQ(message("-bad.example:80"), "\"-bad.example\" is not a valid host name");
  EXPECT_EQ(message(":80"), "the host is missing; use 0.0.0.0:PORT to listen on every interface");
}

TEST(RedactUrl, HidesPasswordsOnly) {
  EXPECT_EQ(redact_url("postgres://agora:s3cret@db:5432/agora"),
            "postgres://agora:***@db:5432/agora");
  EXPECT_EQ(redact_url("postgres://agora@db/agora"), "postgres://agora@db/agora");
  EXPECT_EQ(redact_url("postgres://db/agora?user=a&password=s3cret&sslmode=require"),
            "postgres://db/agora?user=a&password=***&sslmode=require");
  EXPECT_EQ(redact_url("sqlite:data/agora.db"), "sqlite:data/agora.db");
}

}  // namespace
}  // namespace agora::base
