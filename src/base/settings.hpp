#pragma once
// Every setting the server and the CLI read. Filled by base/config.hpp from, in order of
// precedence: command-line flags, AGORA_* environment variables, an optional TOML file, then the
// defaults below.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace agora::base {

struct Settings {
  // Storage.
  std::filesystem::path data_dir = "data";  // --data / AGORA_DATA / data
  std::string database_url;                 // --database / AGORA_DATABASE / database; empty: SQLite in data_dir
  int database_pool_size = 8;               // --database-pool / AGORA_DATABASE_POOL / database_pool

  // Serving.
  std::string listen_host = "127.0.0.1";    // --listen HOST:PORT / AGORA_LISTEN / listen
  std::uint16_t listen_port = 8080;
  std::filesystem::path tls_cert;           // --tls-cert / AGORA_TLS_CERT / tls_cert (PEM)
  std::filesystem::path tls_key;            // --tls-key / AGORA_TLS_KEY / tls_key (PEM)
  std::filesystem::path web_dir;            // --web-dir: built assets (web/dist); default from the build
  std::filesystem::path templates_dir;      // --templates-dir: mustache templates; default from the build
  int io_threads = 0;                       // --io-threads: 0 means one per core
  int worker_threads = 4;                   // --worker-threads: blocking work (database, disk)
  std::size_t max_connections = 10000;      // --max-connections
  std::size_t max_header_bytes = 16 * 1024; // --max-header-bytes
  std::chrono::seconds read_timeout{15};    // --read-timeout: whole request head and body
  std::chrono::seconds idle_timeout{60};    // --idle-timeout: keep-alive wait between requests
  std::chrono::seconds shutdown_grace{10};  // --shutdown-grace: in-flight work on SIGTERM

  // Collaboration.
  std::chrono::seconds collab_unload_after{30};  // --collab-unload-after: a room's grace period

  // Sign-in and sessions (issue 5).
  std::string public_url;                   // --public-url: e.g. https://agora.example.gov.uk; empty: from Host
  std::chrono::seconds session_idle{30 * 60};        // --session-idle: signed out after this long unused
  std::chrono::seconds session_absolute{12 * 3600};  // --session-absolute: signed out this long after sign-in

  // Mail.
  std::string smtp_url;                     // --smtp-url: smtp://HOST:PORT or smtps://...; empty: mail is logged, not sent
  std::string mail_from = "Agora <agora@localhost>";  // --mail-from: the From: of every message

  // Audit.
  std::chrono::seconds audit_retention{7LL * 365 * 24 * 3600};  // --audit-retention: older records are pruned

  // Operations.
  std::string log_level = "info";           // --log-level: trace, debug, info, warn, error
};

}  // namespace agora::base
