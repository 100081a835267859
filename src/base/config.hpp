#pragma once
// Loads Settings from command-line flags, AGORA_* environment variables and an optional TOML
// file, in that order of precedence, over defaults. Every setting is declared once, in one table
// (setting_specs()), which drives all three sources and the CLI's flags.

#include "base/result.hpp"
#include "base/settings.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::base {

/// Environment variables by name. A plain map so tests never touch the real environment.
using Environment = std::map<std::string, std::string, std::less<>>;

/// The environment of this process.
Environment current_environment();

/// Everything load_settings reads.
struct ConfigInputs {
  /// Flags the user actually gave, by setting name (the flag without "--": "listen", "tls-cert").
  std::map<std::string, std::string, std::less<>> flags;
  /// The environment; only the AGORA_* variables named in setting_specs() and AGORA_CONFIG are
  /// read.
  Environment environment;
  /// The TOML file from --config. When unset, AGORA_CONFIG names the file; when both are unset,
  /// there is no file.
  std::optional<std::filesystem::path> config_file;
  /// Values for settings no source sets (the app fills in paths that depend on the build).
  Settings defaults;
};

/// Which commands take a setting as a flag: storage and operations ones on every command that
/// touches state, serving ones on `agora serve` only, mail ones on `agora serve` and
/// `agora mail test`.
enum class SettingGroup { storage, serving, mail, operations };

/// One setting: its names in each source, and how to parse and show it.
struct SettingSpec {
  std::string_view name;      // the flag without "--", e.g. "listen"
  std::string_view env_var;   // e.g. "AGORA_LISTEN"
  std::string_view toml_key;  // e.g. "listen"
  SettingGroup group;
  std::string_view value_name;  // what --help shows for the value, e.g. "HOST:PORT"
  std::string_view help;        // one line for --help
  /// Parses `value` into `settings`; on failure the error says what is allowed, without naming
  /// the setting or the source (load_settings adds those).
  Result<> (*apply)(Settings& settings, std::string_view value);
  /// The setting's value in `settings`, written as apply() would accept it.
  std::string (*show)(const Settings& settings);
};

/// Every setting, in the order --help lists them.
std::span<const SettingSpec> setting_specs();

/// The settings from `inputs`: flag over environment over TOML file over defaults. Errors name
/// the setting, the source and the value and say what is allowed, e.g.
/// `--listen "localhost:99999": the port must be 1-65535 (0 picks a free one)`.
Result<Settings> load_settings(const ConfigInputs& inputs);

/// AGORA_* variables in `environment` that name no setting (likely typos), each with a hint,
/// e.g. `AGORA_LISTN is not a setting; did you mean AGORA_LISTEN?`.
std::vector<std::string> unknown_environment_variables(const Environment& environment);

/// A listening address.
struct ListenAddress {
  std::string host;  // IPv4 address, IPv6 address without brackets, or host name
  std::uint16_t port = 0;
};

/// Parses HOST:PORT: "127.0.0.1:8080", "[::1]:8080" or "localhost:8080"; port 0 means any free
/// port.
Result<ListenAddress> parse_listen(std::string_view text);

/// `url` with any password replaced by "***", safe to print in errors and logs.
std::string redact_url(std::string_view url);

}  // namespace agora::base
