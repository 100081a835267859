#include "base/config.hpp"

#include "base/logging.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

extern char** environ;

namespace agora::base {

namespace {

// ---- Value parsers. Each returns an error that says what is allowed; the caller prefixes the
// source, the setting and the value.

Result<std::int64_t> parse_whole(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return fail(ErrorKind::invalid_input, "expected a whole number");
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return fail(ErrorKind::invalid_input, fmt::format("must be between {} and {}", min, max));
  }
  return value;
}

// Whole seconds, or a number with an s, m or h suffix: "15", "15s", "2m", "1h".
Result<std::chrono::seconds> parse_duration(std::string_view text, std::chrono::seconds min,
                                            std::chrono::seconds max) {
  static constexpr std::string_view kExpected =
      "expected a duration such as 15 (seconds), 15s, 2m, 1h or 30d";
  std::int64_t unit = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 's':
        unit = 1;
        digits.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        digits.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        digits.remove_suffix(1);
        break;
      case 'd':
        unit = 24 * 3600;
        digits.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
    return fail(ErrorKind::invalid_input, std::string(kExpected));
  }
  const std::int64_t limit = std::numeric_limits<std::int64_t>::max() / unit;
  if (ec == std::errc::result_out_of_range || count < 0 || count > limit ||
      std::chrono::seconds(count * unit) < min || std::chrono::seconds(count * unit) > max) {
    return fail(ErrorKind::invalid_input,
                fmt::format("must be between {}s and {}s", min.count(), max.count()));
  }
  return std::chrono::seconds(count * unit);
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      const std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      label_start = i + 1;
      continue;
    }
    const char c = host[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ---- Table helpers. A setting's parser is a function template instantiated on the Settings
// member it fills, so the table below names each field exactly once.

template <auto Member, std::int64_t Min, std::int64_t Max>
Result<> set_whole(Settings& s, std::string_view text) {
  auto value = parse_whole(text, Min, Max);
  if (!value) return value.error();
  using Field = std::remove_reference_t<decltype(s.*Member)>;
  s.*Member = static_cast<Field>(*value);
  return {};
}

template <auto Member>
std::string show_whole(const Settings& s) {
  return std::to_string(s.*Member);
}

template <auto Member, std::int64_t MinSeconds, std::int64_t MaxSeconds>
Result<> set_duration(Settings& s, std::string_view text) {
  auto value =
      parse_duration(text, std::chrono::seconds(MinSeconds), std::chrono::seconds(MaxSeconds));
  if (!value) return value.error();
  s.*Member = *value;
  return {};
}

template <auto Member>
std::string show_duration(const Settings& s) {
  return fmt::format("{}s", (s.*Member).count());
}

// A folder or file that must be named.
template <auto Member>
Result<> set_required_path(Settings& s, std::string_view text) {
  if (text.empty()) return fail(ErrorKind::invalid_input, "must not be empty");
  s.*Member = std::filesystem::path(text);
  return {};
}

// A file that may be left out: empty means none.
template <auto Member>
Result<> set_optional_path(Settings& s, std::string_view text) {
  s.*Member = std::filesystem::path(text);
  return {};
}

template <auto Member>
std::string show_path(const Settings& s) {
  return (s.*Member).string();
}

Result<> set_database(Settings& s, std::string_view text) {
  const bool ok = text.empty() || text.starts_with("sqlite:") || text.starts_with("postgres://") ||
                  text.starts_with("postgresql://");
  if (!ok) {
    return fail(ErrorKind::invalid_input,
                "expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE "
                "(leave it out for SQLite in the data folder)");
  }
  s.database_url = std::string(text);
  return {};
}

std::string show_database(const Settings& s) {
  return redact_url(s.database_url);
}

Result<> set_listen(Settings& s, std::string_view text) {
  auto address = parse_listen(text);
  if (!address) return address.error();
  s.listen_host = std::move(address->host);
  s.listen_port = address->port;
  return {};
}

std::string show_listen(const Settings& s) {
  if (s.listen_host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", s.listen_host, s.listen_port);
  }
  return fmt::format("{}:{}", s.listen_host, s.listen_port);
}

Result<> set_log_level(Settings& s, std::string_view text) {
  auto level = log::parse_level(text);
  if (!level) return level.error();
  s.log_level = std::string(log::to_string(*level));
  return {};
}

std::string show_log_level(const Settings& s) {
  return s.log_level;
}

constexpr std::int64_t kHour = 3600;

template <auto Member>
Result<> set_string(Settings& s, std::string_view text) {
  s.*Member = std::string(text);
  return {};
}

template <auto Member>
std::string show_string(const Settings& s) {
  return s.*Member;
}

template <auto Member>
std::string show_redacted_url(const Settings& s) {
  return redact_url(s.*Member);
}

// An absolute http(s) URL without a path, query or trailing slash: it is compared with Origin
// headers, which have none.
Result<> set_public_url(Settings& s, std::string_view text) {
  while (text.ends_with('/')) text.remove_suffix(1);
  const bool scheme_ok = text.starts_with("https://") || text.starts_with("http://");
  const std::size_t host_start = text.find("://") + 3;
  if (!text.empty() &&
      (!scheme_ok || text.size() <= host_start ||
       text.find_first_of("/?#@ ", host_start) != std::string_view::npos)) {
    return fail(ErrorKind::invalid_input,
                "expected the site's address as https://HOST or https://HOST:PORT, with no path");
  }
  s.public_url = std::string(text);
  return {};
}

const SettingSpec kSpecs[] = {
    {"data", "AGORA_DATA", "data", SettingGroup::storage, "DIR",
     "Data folder: the SQLite database, blobs and keys; created if missing",
     set_required_path<&Settings::data_dir>, show_path<&Settings::data_dir>},
    {"database", "AGORA_DATABASE", "database", SettingGroup::storage, "URL",
     "Database URL: sqlite:PATH or postgres://...; default SQLite in the data folder", set_database,
     show_database},
    {"database-pool", "AGORA_DATABASE_POOL", "database_pool", SettingGroup::storage, "N",
     "Database connections to keep open", set_whole<&Settings::database_pool_size, 1, 1000>,
     show_whole<&Settings::database_pool_size>},
    {"listen", "AGORA_LISTEN", "listen", SettingGroup::serving, "HOST:PORT",
     "Address to serve on, HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", set_listen, show_listen},
    {"tls-cert", "AGORA_TLS_CERT", "tls_cert", SettingGroup::serving, "FILE",
     "TLS certificate chain (PEM); serves HTTPS when given with --tls-key",
     set_optional_path<&Settings::tls_cert>, show_path<&Settings::tls_cert>},
    {"tls-key", "AGORA_TLS_KEY", "tls_key", SettingGroup::serving, "FILE",
     "TLS private key (PEM); give with --tls-cert", set_optional_path<&Settings::tls_key>,
     show_path<&Settings::tls_key>},
    {"web-dir", "AGORA_WEB_DIR", "web_dir", SettingGroup::serving, "DIR",
     "Built web assets (web/dist)", set_required_path<&Settings::web_dir>,
     show_path<&Settings::web_dir>},
    {"templates-dir", "AGORA_TEMPLATES_DIR", "templates_dir", SettingGroup::serving, "DIR",
     "HTML templates", set_required_path<&Settings::templates_dir>,
     show_path<&Settings::templates_dir>},
    {"io-threads", "AGORA_IO_THREADS", "io_threads", SettingGroup::serving, "N",
     "Threads for network I/O; 0 means one per core", set_whole<&Settings::io_threads, 0, 1024>,
     show_whole<&Settings::io_threads>},
    {"worker-threads", "AGORA_WORKER_THREADS", "worker_threads", SettingGroup::serving, "N",
     "Threads for blocking work (database, disk)", set_whole<&Settings::worker_threads, 1, 1024>,
     show_whole<&Settings::worker_threads>},
    {"max-connections", "AGORA_MAX_CONNECTIONS", "max_connections", SettingGroup::serving, "N",
     "Most connections open at once; more wait to be accepted",
     set_whole<&Settings::max_connections, 1, 1'000'000>, show_whole<&Settings::max_connections>},
    {"max-header-bytes", "AGORA_MAX_HEADER_BYTES", "max_header_bytes", SettingGroup::serving,
     "BYTES", "Largest request head (request line and headers) in bytes",
     set_whole<&Settings::max_header_bytes, 1024, 1024 * 1024>,
     show_whole<&Settings::max_header_bytes>},
    {"read-timeout", "AGORA_READ_TIMEOUT", "read_timeout", SettingGroup::serving, "DURATION",
     "Time allowed to receive a whole request, e.g. 15s",
     set_duration<&Settings::read_timeout, 1, kHour>, show_duration<&Settings::read_timeout>},
    {"idle-timeout", "AGORA_IDLE_TIMEOUT", "idle_timeout", SettingGroup::serving, "DURATION",
     "Time a kept-alive connection may wait for its next request, e.g. 60s",
     set_duration<&Settings::idle_timeout, 1, kHour>, show_duration<&Settings::idle_timeout>},
    {"shutdown-grace", "AGORA_SHUTDOWN_GRACE", "shutdown_grace", SettingGroup::serving, "DURATION",
     "Time in-flight requests get to finish on SIGTERM, e.g. 10s",
     set_duration<&Settings::shutdown_grace, 0, kHour>, show_duration<&Settings::shutdown_grace>},
    {"collab-unload-after", "AGORA_COLLAB_UNLOAD_AFTER", "collab_unload_after",
     SettingGroup::serving, "DURATION",
     "How long an open document stays in memory after its last editor leaves, e.g. 30s",
     set_duration<&Settings::collab_unload_after, 0, kHour>,
     show_duration<&Settings::collab_unload_after>},
    {"public-url", "AGORA_PUBLIC_URL", "public_url", SettingGroup::serving, "URL",
     "The site's address as browsers see it, e.g. https://agora.example.gov.uk; used for links in "
     "mail and the Origin check (default: from the request's Host)",
     set_public_url, show_string<&Settings::public_url>},
    {"session-idle", "AGORA_SESSION_IDLE", "session_idle", SettingGroup::serving, "DURATION",
     "Sign people out after this long without a request, e.g. 30m",
     set_duration<&Settings::session_idle, 60, 7 * 24 * kHour>,
     show_duration<&Settings::session_idle>},
    {"session-absolute", "AGORA_SESSION_ABSOLUTE", "session_absolute", SettingGroup::serving,
     "DURATION", "Sign people out this long after they signed in, however active, e.g. 12h",
     set_duration<&Settings::session_absolute, 60, 30 * 24 * kHour>,
     show_duration<&Settings::session_absolute>},
    {"smtp-url", "AGORA_SMTP_URL", "smtp_url", SettingGroup::mail, "URL",
     "Mail server: smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT; empty: mail "
     "is written to the log instead of sent",
     set_string<&Settings::smtp_url>, show_redacted_url<&Settings::smtp_url>},
    {"mail-from", "AGORA_MAIL_FROM", "mail_from", SettingGroup::mail, "ADDRESS",
     "The sender of every message, e.g. \"Agora <agora@example.gov.uk>\"",
     set_string<&Settings::mail_from>, show_string<&Settings::mail_from>},
    {"audit-retention", "AGORA_AUDIT_RETENTION", "audit_retention", SettingGroup::operations,
     "DURATION", "How long audit records are kept before they are pruned, e.g. 2555d",
     set_duration<&Settings::audit_retention, 24 * kHour, 100LL * 365 * 24 * kHour>,
     show_duration<&Settings::audit_retention>},
    {"log-level", "AGORA_LOG_LEVEL", "log_level", SettingGroup::operations, "LEVEL",
     "Least severe log lines written: trace, debug, info, warn or error", set_log_level,
     show_log_level},
};

// Quotes a value for an error message; control characters are escaped so the message stays on
// one line.
std::string quote_value(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string shown_value(const SettingSpec& spec, std::string_view value) {
  // Never echo a database password back, even from a malformed URL.
  return quote_value(spec.apply == set_database ? redact_url(value) : std::string(value));
}

// Classic edit distance, for "did you mean" hints on misspelt names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

template <typename NameOf>
std::string did_you_mean(std::string_view wrong, NameOf name_of) {
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits away is not a typo
  for (const SettingSpec& spec : kSpecs) {
    const std::string_view candidate = name_of(spec);
    const std::size_t d = edit_distance(wrong, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  if (best.empty()) return {};
  return fmt::format("; did you mean \"{}\"?", best);
}

Result<> apply_value(Settings& settings, const SettingSpec& spec, std::string_view value,
                     std::string_view source_prefix) {
  auto applied = spec.apply(settings, value);
  if (!applied) {
    return fail(
        ErrorKind::invalid_input,
        fmt::format("{}{}: {}", source_prefix, shown_value(spec, value), applied.error().message));
  }
  return {};
}

// The TOML value as the text a flag would carry, so every source goes through one parser.
Result<std::string> toml_value_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
  std::string_view what = "a date or time";
  if (node.is_table()) what = "a table";
  if (node.is_array()) what = "an array";
  return fail(ErrorKind::invalid_input, fmt::format("expected a string or a number, not {}", what));
}

std::string location(std::string_view file, const toml::source_region& where) {
  return fmt::format("{}:{}:{}", file, where.begin.line, where.begin.column);
}

Result<std::string> read_file(const std::filesystem::path& path, std::string_view source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return fail(ErrorKind::invalid_input,
                fmt::format("{} {}: cannot read it: {}", source, quote_value(path.string()),
                            std::strerror(error)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("{} {}: cannot read it", source, quote_value(path.string())));
  }
  return std::move(contents).str();
}

Result<> apply_toml_file(Settings& settings, const std::filesystem::path& path,
                         std::string_view source) {
  auto contents = read_file(path, source);
  if (!contents) return contents.error();
  const std::string file = path.string();

  toml::table table;
  try {
    table = toml::parse(*contents, file);
  } catch (const toml::parse_error& e) {
    return fail(ErrorKind::invalid_input,
                fmt::format("{}: {}", location(file, e.source()), e.description()));
  }

  // Report keys in file order, so the first error a person sees is the first in the file.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });

  for (const auto& [key, node] : entries) {
    const std::string_view name = key->str();
    const auto* spec = std::find_if(std::begin(kSpecs), std::end(kSpecs),
                                    [&](const SettingSpec& s) { return s.toml_key == name; });
    if (spec == std::end(kSpecs)) {
      return fail(
          ErrorKind::invalid_input,
          fmt::format("{}: unknown key {}{}", location(file, key->source()), quote_value(name),
                      did_you_mean(name, [](const SettingSpec& s) { return s.toml_key; })));
    }
    const std::string where = location(file, node->source());
    auto text = toml_value_text(*node);
    if (!text) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("{}: {}: {}", where, name, text.error().message));
    }
    AGORA_TRY(apply_value(settings, *spec, *text, fmt::format("{}: {} ", where, name)));
  }
  return {};
}

}  // namespace

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

std::span<const SettingSpec> setting_specs() {
  return kSpecs;
}

Result<Settings> load_settings(const ConfigInputs& inputs) {
  Settings settings = inputs.defaults;

  // Lowest precedence first, so each later source overwrites what it sets. Every value given is
  // checked, even one a higher source overrides: a broken file should not lie in wait.
  std::optional<std::filesystem::path> file = inputs.config_file;
  std::string_view file_source = "--config";
  if (!file) {
    if (auto it = inputs.environment.find("AGORA_CONFIG");
        it != inputs.environment.end() && !it->second.empty()) {
      file = std::filesystem::path(it->second);
      file_source = "AGORA_CONFIG";
    }
  }
  if (file) AGORA_TRY(apply_toml_file(settings, *file, file_source));

  for (const SettingSpec& spec : kSpecs) {
    if (auto it = inputs.environment.find(spec.env_var); it != inputs.environment.end()) {
      AGORA_TRY(apply_value(settings, spec, it->second, fmt::format("{} ", spec.env_var)));
    }
  }

  for (const auto& [name, value] : inputs.flags) {
    const auto* spec = std::find_if(std::begin(kSpecs), std::end(kSpecs),
                                    [&name = name](const SettingSpec& s) { return s.name == name; });
    if (spec == std::end(kSpecs)) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("unknown option --{}{}", name,
                              did_you_mean(name, [](const SettingSpec& s) { return s.name; })));
    }
    AGORA_TRY(apply_value(settings, *spec, value, fmt::format("--{} ", name)));
  }

  if (settings.tls_cert.empty() != settings.tls_key.empty()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("--tls-cert and --tls-key must be given together; only {} is set",
                            settings.tls_cert.empty() ? "--tls-key" : "--tls-cert"));
  }
  return settings;
}

std::vector<std::string> unknown_environment_variables(const Environment& environment) {
  // Read elsewhere, not settings: the config file's name and the test harness's source path;
  // AGORA_TEST_* variables configure test suites.
  static constexpr std::string_view kKnown[] = {"AGORA_CONFIG", "AGORA_SOURCE_DIR"};
  std::vector<std::string> unknown;
  for (const auto& [name, value] : environment) {
    if (!name.starts_with("AGORA_") || name.starts_with("AGORA_TEST_")) continue;
    if (std::find(std::begin(kKnown), std::end(kKnown), name) != std::end(kKnown)) continue;
    const bool is_setting = std::any_of(std::begin(kSpecs), std::end(kSpecs),
                                        [&name = name](const SettingSpec& s) { return s.env_var == name; });
    if (is_setting) continue;
    std::string hint = did_you_mean(name, [](const SettingSpec& s) { return s.env_var; });
    unknown.push_back(fmt::format("{} is not a setting{}", name, hint));
  }
  return unknown;
}

Result<ListenAddress> parse_listen(std::string_view text) {
  static constexpr std::string_view kShape = "expected HOST:PORT, e.g. 127.0.0.1:8080";
  ListenAddress address;
  std::string_view port;

  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(ErrorKind::invalid_input, std::string(kShape));
    address.host = std::string(text.substr(1, close - 1));
    in6_addr ignored{};
    if (inet_pton(AF_INET6, address.host.c_str(), &ignored) != 1) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("\"{}\" is not an IPv6 address", address.host));
    }
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) return fail(ErrorKind::invalid_input, std::string(kShape));
    port = rest.substr(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(ErrorKind::invalid_input, std::string(kShape));
    const std::string_view host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(ErrorKind::invalid_input, "put an IPv6 address in brackets, e.g. [::1]:8080");
    }
    if (host.empty()) {
      return fail(ErrorKind::invalid_input,
                  "the host is missing; use 0.0.0.0:PORT to listen on every interface");
    }
    address.host = std::string(host);
    const bool looks_numeric = std::all_of(
        host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (looks_numeric) {
      in_addr ignored{};
      if (inet_pton(AF_INET, address.host.c_str(), &ignored) != 1) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("\"{}\" is not an IPv4 address", address.host));
      }
    } else if (!is_host_name(host)) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("\"{}\" is not a valid host name", address.host));
    }
  }

  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  // Port 0 asks the kernel for a free port (tests use it; the server logs the port it got).
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return fail(ErrorKind::invalid_input, "the port must be 1-65535 (0 picks a free one)");
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  // user:password@ in the authority (the part between "://" and the next '/' or '?').
  if (const auto scheme_end = out.find("://"); scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = std::min(out.find_first_of("/?", authority), out.size());
    const auto at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const auto colon = out.find(':', authority);
      if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... among libpq's query parameters.
  if (const auto query = out.find('?'); query != std::string::npos) {
    for (auto key = out.find("password=", query); key != std::string::npos;
         key = out.find("password=", key + 1)) {
      const char before = out[key - 1];
      if (before != '?' && before != '&') continue;
      const std::size_t value = key + std::string_view("password=").size();
      const std::size_t value_end = std::min(out.find('&', value), out.size());
      out.replace(value, value_end - value, "***");
    }
  }
  return out;
}

}  // namespace agora::base
