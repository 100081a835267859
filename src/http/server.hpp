#pragma once
// The HTTP/1.1 and WebSocket server (Boost.Beast on Asio, C++20 coroutines). Beast stays inside
// server.cpp; callers see only this header.

#include "base/result.hpp"
#include "http/message.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/websocket.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace agora::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (tests)
  std::filesystem::path tls_cert;  // both set: serve HTTPS only
  std::filesystem::path tls_key;
  int io_threads = 0;  // 0: one per core
  int worker_threads = 4;
  std::size_t max_connections = 10000;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds read_timeout{15};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds shutdown_grace{10};
  WebSocketLimits websocket;
};

/// Renders an error response (HTML or JSON by the request's Accept header) for `status`.
using ErrorPage = std::function<Response(const Request& request, int status, std::string_view message)>;

/// What happened to one request, for the access log.
struct AccessRecord {
  const Request& request;
  int status;
  std::size_t response_bytes;
  std::chrono::nanoseconds duration;
  std::string_view note;  // why the server answered itself, e.g. "header too large"
};
using AccessLog = std::function<void(const AccessRecord&)>;

/// Server-level events (listening, shutdown, timeouts, TLS failures) for the operations log.
using EventLog = std::function<void(std::string_view event, std::string_view detail)>;

class Server {
 public:
  /// `router`, `metrics` and the callbacks must outlive the server.
  Server(ServerOptions options, const Router& router, Metrics& metrics, ErrorPage error_page,
         AccessLog access_log, EventLog event_log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads TLS keys and binds the listening socket. Errors name the address or file and say what
  /// to do ("address already in use: choose another with --listen").
  Result<> listen();
  /// The bound port (useful when options.port was 0).
  std::uint16_t port() const;
  /// Serves until stop() or SIGTERM/SIGINT, then shuts down gracefully: stops accepting,
  /// finishes in-flight requests up to shutdown_grace, closes WebSockets with 1001, returns.
  void run();
  /// Starts the graceful shutdown from any thread.
  void stop();

  /// The server's state; opaque outside server.cpp.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The status code for an Error's kind: the one place errors become HTTP statuses.
int status_for(ErrorKind kind) noexcept;

}  // namespace agora::http
