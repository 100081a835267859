#pragma once
// WebSocket endpoints without Beast in sight: a handler receives whole messages and sends
// through a connection object that owns a bounded outgoing queue.

#include "http/message.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace agora::http {

/// Close codes used by the server (RFC 6455 section 7.4.1).
enum class CloseCode : int {
  normal = 1000,
  going_away = 1001,  // server shutting down
  protocol_error = 1002,
  unsupported_data = 1003,
  invalid_payload = 1007,  // a message whose content cannot be accepted (e.g. a malformed update)
  policy_violation = 1008,
  too_big = 1009,
  internal_error = 1011,
  try_again_later = 1013,  // the client could not keep up with its queue
};

/// One open WebSocket. Thread-safe: send and close may be called from any thread.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  /// Queues a message; when the queue is over its limit the connection is closed with
  /// try_again_later instead (a client that stops reading cannot grow server memory).
  virtual void send(std::string message, bool binary) = 0;
  /// Starts a close handshake with `code` and a short `reason`.
  virtual void close(CloseCode code, std::string reason) = 0;
  /// The upgrade request, after middleware (params, request id, remote address).
  virtual const Request& request() const = 0;
};

/// Receives a WebSocket route's events. Calls for one connection never overlap.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void on_open(const std::shared_ptr<WebSocketConnection>& connection) = 0;
  virtual void on_message(const std::shared_ptr<WebSocketConnection>& connection,
                          std::string message, bool binary) = 0;
  /// Called once when the connection has ended for any reason.
  virtual void on_close(const std::shared_ptr<WebSocketConnection>& connection) = 0;
};

/// Limits for WebSocket routes.
struct WebSocketLimits {
  std::size_t max_message_bytes = 1024 * 1024;
  std::size_t max_queued_bytes = 8 * 1024 * 1024;
};

}  // namespace agora::http
