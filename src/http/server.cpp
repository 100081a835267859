#include "http/server.hpp"

#include "base/thread_role.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace agora::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = bhttp::request<bhttp::string_body>;

int status_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_input: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::permission_denied: return 403;
    case ErrorKind::too_large: return 413;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::io:
    case ErrorKind::corrupt:
    case ErrorKind::internal: return 500;
  }
  return 500;
}

namespace {

// What the shutdown sequence may do to a connection; everything runs on the connection's strand.
struct ConnectionControl {
  explicit ConnectionControl(asio::any_io_executor e) : strand(std::move(e)) {}
  enum class State { idle, busy, websocket };
  asio::any_io_executor strand;
  State state = State::idle;
  bool alive = true;
  std::function<void()> cancel_io;         // closes the socket under any pending operation
  std::function<void()> close_websocket;   // sends 1001 going away
};

void add_security_headers(Response& r, bool secure) {
  auto set_default = [&](std::string_view name, std::string value) {
    if (!r.headers.contains(name)) r.headers.set(name, std::move(value));
  };
  // No inline script or style anywhere: the strict policy is the point (DESIGN.md "Security").
  set_default("Content-Security-Policy",
              "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
              "form-action 'self'; frame-ancestors 'none'");
  set_default("X-Content-Type-Options", "nosniff");
  set_default("Referrer-Policy", "strict-origin-when-cross-origin");
  set_default("X-Frame-Options", "DENY");
  set_default("Cross-Origin-Opener-Policy", "same-origin");
  set_default("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)");
  if (secure) set_default("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, Metrics& m, ErrorPage e, AccessLog a, EventLog ev)
      : options(std::move(o)),
        router(r),
        metrics(m),
        error_page(std::move(e)),
        access_log(std::move(a)),
        event_log(std::move(ev)),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))) {
    unsigned char bytes[4];
    randombytes_buf(bytes, sizeof bytes);
    request_id_prefix = fmt::format("{:02x}{:02x}{:02x}{:02x}", bytes[0], bytes[1], bytes[2], bytes[3]);
  }

  ServerOptions options;
  const Router& router;
  Metrics& metrics;
  ErrorPage error_page;
  AccessLog access_log;
  EventLog event_log;

  asio::io_context ioc;
  asio::thread_pool workers;
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  asio::steady_timer shutdown_deadline{ioc};

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> request_counter{0};
  std::string request_id_prefix;
  std::mutex registry_mutex;
  std::unordered_set<std::shared_ptr<ConnectionControl>> registry;

  std::string next_request_id() {
    return fmt::format("{}-{:06x}", request_id_prefix, ++request_counter);
  }

  void begin_shutdown();
  void unregister(const std::shared_ptr<ConnectionControl>& c);
};

namespace {

// --- Requests ---------------------------------------------------------------------------------

// Fills the plain request from Beast's parsed header; returns a message when it must be refused.
std::optional<std::string> build_request(const BeastRequest& in, Request& out) {
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) out.headers.add(field.name_string(), std::string(field.value()));
  if (in.version() >= 11 && !out.headers.contains("Host"))
    return "HTTP/1.1 requests must have a Host header";
  if (out.headers.contains("Content-Length") && out.headers.contains("Transfer-Encoding"))
    return "a request may not have both Content-Length and Transfer-Encoding";
  std::string_view target = out.target;
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  if (raw_path.empty() || raw_path.front() != '/')
    return "the request target must be a path starting with '/'";
  auto path = percent_decode(raw_path);
  if (!path) return "the path has a malformed %-escape or an encoded NUL byte";
  if (!is_valid_utf8(*path)) return "the path is not valid UTF-8";
  // Dot segments are never legitimate here; refusing them closes every ../ trick at the door.
  for (std::size_t pos = 0; pos < path->size();) {
    auto next = path->find('/', pos + 1);
    std::string_view segment = std::string_view(*path).substr(pos + 1, next - pos - 1);
    if (segment == "." || segment == "..") return "the path may not contain . or .. segments";
    if (next == std::string::npos) break;
    pos = next;
  }
  if (path->find('\\') != std::string::npos) return "the path may not contain a backslash";
  out.path = std::move(*path);
  return std::nullopt;
}

Response error_response(Server::Impl& s, const Request& request, int status,
                        std::string_view message) {
  try {
    return s.error_page(request, status, message);
  } catch (...) {
    return Response::text(std::string(message), status);
  }
}

// Runs the route (or the error page) through the middleware chain; exceptions end the request
// here and nowhere else.
Response respond(Server::Impl& s, Request& request, const Match& match) {
  Handler final_handler = [&](Request& r) -> Response {
    if (match.route) return match.route->handler(r);
    if (!match.allow.empty()) {
      Response resp = error_response(s, r, 405, "this address does not accept " + r.method);
      resp.headers.set("Allow", match.allow);
      return resp;
    }
    return error_response(s, r, 404, "there is no page at this address");
  };
  try {
    return s.router.dispatch(request, final_handler);
  } catch (const ErrorException& e) {
    return error_response(s, request, status_for(e.error().kind), e.error().message);
  } catch (const std::exception& e) {
    s.event_log("http.handler_exception", fmt::format("{} {}: {}", request.request_id, request.path, e.what()));
    return error_response(s, request, 500, "something went wrong on our side; try again later");
  }
}

awaitable<Response> respond_on_worker(Server::Impl& s, Request& request, const Match& match) {
  co_return respond(s, request, match);
}

bhttp::response<bhttp::string_body> to_beast(Server::Impl& s, const Request& req, Response& r,
                                             unsigned version, bool keep_alive) {
  add_security_headers(r, req.secure);
  r.headers.set("X-Request-Id", req.request_id);
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(r.status), version};
  for (const auto& [name, value] : r.headers.fields()) out.insert(name, value);
  out.keep_alive(keep_alive && !s.stopping.load());
  bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  if (no_body) return out;
  out.content_length(r.body.size());
  if (req.method != "HEAD") out.body() = std::move(r.body);
  return out;
}

// --- WebSockets -------------------------------------------------------------------------------

template <class Stream>
class WsConnection : public WebSocketConnection,
                     public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  WsConnection(ws::stream<Stream>& stream, asio::any_io_executor strand, Request request,
               WebSocketLimits limits)
      : stream_(stream), strand_(std::move(strand)), request_(std::move(request)), limits_(limits) {}

  void send(std::string message, bool binary) override {
    asio::post(strand_, [self = this->shared_from_this(), m = std::move(message), binary]() mutable {
      self->enqueue(Outgoing{std::move(m), binary, false, {}});
    });
  }

  void close(CloseCode code, std::string reason) override {
    asio::post(strand_, [self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
      self->enqueue(Outgoing{std::move(r), false, true, code});
    });
  }

  const Request& request() const override { return request_; }

  // Called on the strand when the session ends: no new write starts afterwards.
  void detach() { open_ = false; }
  // Whether a write is still in flight on the stream (checked on the strand before the stream,
  // a local of run_websocket, goes away).
  bool writing() const { return writing_; }

 private:
  struct Outgoing {
    std::string data;
    bool binary;
    bool is_close;
    CloseCode code;
  };

  void enqueue(Outgoing o) {
    if (!open_ || closing_) return;
    queued_bytes_ += o.data.size();
    if (queued_bytes_ > limits_.max_queued_bytes) {
      // The client is not reading: cut it off rather than let its queue grow.
      queue_.clear();
      open_ = false;
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().close(ignored);
      return;
    }
    if (o.is_close) closing_ = true;
    queue_.push_back(std::move(o));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(strand_, write_loop(this->shared_from_this()), asio::detached);
    }
  }

  static awaitable<void> write_loop(std::shared_ptr<WsConnection> self) {
    while (self->open_ && !self->queue_.empty()) {
      Outgoing o = std::move(self->queue_.front());
      self->queue_.pop_front();
      self->queued_bytes_ -= o.data.size();
      if (o.is_close) {
        ws::close_reason reason(static_cast<ws::close_code>(static_cast<int>(o.code)), o.data);
        co_await self->stream_.async_close(reason, kNoThrow);
        break;
      }
      self->stream_.binary(o.binary);
      auto [ec, n] = co_await self->stream_.async_write(asio::buffer(o.data), kNoThrow);
      if (ec) break;
    }
    self->writing_ = false;
  }

  ws::stream<Stream>& stream_;
  asio::any_io_executor strand_;
  Request request_;
  WebSocketLimits limits_;
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool open_ = true;
};

template <class Stream>
awaitable<void> run_websocket(Server::Impl& s, Stream stream, BeastRequest upgrade,
                              Request request, std::shared_ptr<WebSocketHandler> handler,
                              std::shared_ptr<ConnectionControl> control) {
  ws::stream<Stream> socket(std::move(stream));
  beast::get_lowest_layer(socket).expires_never();
  socket.set_option(ws::stream_base::timeout::suggested(beast::role_type::server));
  socket.read_message_max(s.options.websocket.max_message_bytes);
  auto [ec] = co_await socket.async_accept(upgrade, kNoThrow);
  if (ec) co_return;

  control->cancel_io = [&socket] {
    beast::error_code ignored;
    beast::get_lowest_layer(socket).socket().close(ignored);
  };
  auto connection = std::make_shared<WsConnection<Stream>>(socket, control->strand,
                                                          std::move(request), s.options.websocket);
  control->state = ConnectionControl::State::websocket;
  control->close_websocket = [connection] {
    connection->close(CloseCode::going_away, "server shutting down");
  };
  s.metrics.websocket_opened();
  handler->on_open(connection);
  beast::flat_buffer buffer;
  for (;;) {
    auto [read_ec, n] = co_await socket.async_read(buffer, kNoThrow);
    if (read_ec) {
      if (read_ec == ws::error::message_too_big) {
        connection->close(CloseCode::too_big, "message too large");
        // Give the close frame a moment to leave before the stream goes away.
        asio::steady_timer wait(control->strand, std::chrono::milliseconds(200));
        co_await wait.async_wait(kNoThrow);
      }
      break;
    }
    std::string message = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    handler->on_message(connection, std::move(message), socket.got_binary());
  }
  connection->detach();
  // A write may still be under way; the stream must outlive it. Closing the socket makes it
  // finish at once with an error.
  if (connection->writing()) {
    beast::error_code ignored;
    beast::get_lowest_layer(socket).socket().close(ignored);
    asio::steady_timer wait(control->strand);
    while (connection->writing()) {
      wait.expires_after(std::chrono::milliseconds(5));
      co_await wait.async_wait(kNoThrow);
    }
  }
  control->close_websocket = nullptr;
  control->cancel_io = nullptr;
  s.metrics.websocket_closed();
  handler->on_close(connection);
}

// --- Connections ------------------------------------------------------------------------------

template <class Stream>
awaitable<bool> write_response(Server::Impl& s, Stream& stream,
                               bhttp::response<bhttp::string_body>& response) {
  beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, response, kNoThrow);
  co_return !ec;
}

// Answers a request the server refuses before routing, logs it, and reports whether the
// connection may stay open (it never may: the rest of the stream cannot be trusted).
template <class Stream>
awaitable<void> refuse(Server::Impl& s, Stream& stream, Request& request, int status,
                       std::string_view why, std::chrono::steady_clock::time_point started) {
  Response r = error_response(s, request, status, why);
  auto out = to_beast(s, request, r, 11, false);
  std::size_t bytes = out.body().size();
  co_await write_response(s, stream, out);
  auto elapsed = std::chrono::steady_clock::now() - started;
  s.metrics.record_request("", request.method, status, elapsed);
  s.access_log(AccessRecord{request, status, bytes, elapsed, why});
}

int status_for_parse_error(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

template <class Stream>
awaitable<void> serve_http(Server::Impl& s, Stream& stream, bool secure,
                           std::shared_ptr<ConnectionControl> control, std::string remote) {
  beast::flat_buffer buffer;
  bool first = true;
  while (!s.stopping.load()) {
    control->state = ConnectionControl::State::idle;
    // Keep-alive: wait for the next request's first bytes under the idle timeout, then give the
    // whole request the read timeout (a slow drip of header bytes cannot hold a connection).
    if (buffer.size() == 0) {
      beast::get_lowest_layer(stream).expires_after(first ? s.options.read_timeout
                                                          : s.options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kNoThrow);
      if (ec) co_return;
      buffer.commit(n);
    }
    first = false;
    control->state = ConnectionControl::State::busy;
    auto started = std::chrono::steady_clock::now();

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s.options.max_header_bytes));
    parser.body_limit(64 * 1024);
    beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
    auto [header_ec, header_n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);

    Request request;
    request.request_id = s.next_request_id();
    request.remote_address = remote;
    request.secure = secure;
    if (header_ec) {
      if (header_ec == beast::error::timeout) {
        s.event_log("http.read_timeout", fmt::format("{} closed a connection from {} that did not send a whole request in time", request.request_id, remote));
        co_return;
      }
      if (header_ec == bhttp::error::end_of_stream || header_ec == asio::error::eof ||
          header_ec == asio::error::connection_reset || header_ec == asio::error::operation_aborted)
        co_return;
      request.method = "-";
      request.target = "-";
      int status = status_for_parse_error(header_ec);
      std::string why = status == 431 ? fmt::format("the request headers are larger than the "
                                                    "limit of {} bytes", s.options.max_header_bytes)
                                      : "malformed request: " + header_ec.message();
      co_await refuse(s, stream, request, status, why, started);
      co_return;
    }

    // Beast checks its header limit piecemeal; the total read is what the limit promises.
    if (header_n > s.options.max_header_bytes) {
      request.method = "-";
      request.target = "-";
      std::string why = fmt::format("the request headers are larger than the limit of {} bytes",
                                    s.options.max_header_bytes);
      co_await refuse(s, stream, request, 431, why, started);
      co_return;
    }
    BeastRequest& head = parser.get();
    if (auto refusal = build_request(head, request)) {
      std::string why = std::move(*refusal);
      co_await refuse(s, stream, request, 400, why, started);
      co_return;
    }

    Match match = s.router.match(request.method, request.path);
    if (match.route) {
      request.route = match.route->pattern;
      request.action = match.route->options.action;
      request.params = match.params;
    }
    std::size_t limit = match.route ? match.route->options.body_limit : 64 * 1024;
    if (auto length = parser.content_length(); length && *length > limit) {
      std::string why = fmt::format("the request body is {} bytes; the limit here is {}", *length, limit);
      co_await refuse(s, stream, request, 413, why, started);
      co_return;
    }
    parser.body_limit(limit);
    if (!parser.is_done()) {
      if (head[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, head.version()};
        beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
        co_await bhttp::async_write(stream, go_on, kNoThrow);
      }
      beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      if (body_ec) {
        if (body_ec == beast::error::timeout) {
          s.event_log("http.read_timeout", fmt::format("{} body from {} too slow", request.request_id, remote));
          co_return;
        }
        int status = status_for_parse_error(body_ec);
        // Named, not a temporary in the co_await: GCC 12 destroys such temporaries twice.
        std::string why = status == 413 ? fmt::format("the request body is larger than the limit "
                                                      "of {} bytes", limit)
                                        : "malformed request body: " + body_ec.message();
        co_await refuse(s, stream, request, status, why, started);
        co_return;
      }
    }
    request.body = std::move(head.body());

    bool upgrade = match.route && match.route->websocket && ws::is_upgrade(head);
    Response response;
    if (match.route && match.route->websocket && !upgrade) {
      response = error_response(s, request, 426, "this address only accepts WebSocket connections");
    } else if (!match.route || match.route->options.blocking) {
      response = co_await asio::co_spawn(s.workers, respond_on_worker(s, request, match), use_awaitable);
    } else {
      response = respond(s, request, match);
    }
    // Middleware said yes to an upgrade by letting the request through to the (empty) handler.
    if (upgrade && response.status == 200 && !s.stopping.load()) {
      auto elapsed = std::chrono::steady_clock::now() - started;
      s.metrics.record_request(request.route, request.method, 101, elapsed);
      s.access_log(AccessRecord{request, 101, 0, elapsed, "websocket"});
      co_await run_websocket(s, std::move(stream), parser.release(), std::move(request),
                             match.route->websocket, control);
      co_return;
    }

    bool keep_alive = head.keep_alive();
    auto out = to_beast(s, request, response, head.version(), keep_alive);
    std::size_t bytes = out.body().size();
    bool written = co_await write_response(s, stream, out);
    auto elapsed = std::chrono::steady_clock::now() - started;
    s.metrics.record_request(request.route, request.method, response.status, elapsed);
    s.access_log(AccessRecord{request, response.status, bytes, elapsed, ""});
    if (!written || out.need_eof()) co_return;
  }
}

template <class Stream>
awaitable<void> graceful_close(Stream& stream) {
  beast::error_code ignored;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  } else {
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  co_return;
}

// Makes the connection reachable by the shutdown sequence while the coroutine runs.
template <class Stream>
void arm_control(ConnectionControl& control, Stream& stream) {
  control.cancel_io = [&stream] {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  };
}

awaitable<void> run_connection(Server::Impl& s, tcp::socket socket,
                               std::shared_ptr<ConnectionControl> control) {
  std::string remote;
  {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  try {
    if (s.tls) {
      TlsStream stream(std::move(socket), *s.tls);
      arm_control(*control, stream);
      beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
      if (ec) {
        s.event_log("http.tls_handshake_failed", fmt::format("from {}: {}", remote, ec.message()));
      } else {
        co_await serve_http(s, stream, true, control, remote);
        if (control->state != ConnectionControl::State::websocket) co_await graceful_close(stream);
      }
      control->alive = false;
      control->cancel_io = nullptr;
    } else {
      PlainStream stream(std::move(socket));
      arm_control(*control, stream);
      co_await serve_http(s, stream, false, control, remote);
      if (control->state != ConnectionControl::State::websocket) co_await graceful_close(stream);
      control->alive = false;
      control->cancel_io = nullptr;
    }
  } catch (const std::exception& e) {
    control->alive = false;
    control->cancel_io = nullptr;
    s.event_log("http.connection_error", fmt::format("from {}: {}", remote, e.what()));
  }
  s.metrics.connection_closed();
  --s.connections;
  s.unregister(control);
}

awaitable<void> accept_loop(Server::Impl& s) {
  for (;;) {
    auto [ec, socket] = co_await s.acceptor.async_accept(asio::make_strand(s.ioc), kNoThrow);
    if (ec) {
      if (s.stopping.load() || ec == asio::error::operation_aborted) co_return;
      s.event_log("http.accept_failed", ec.message());
      // Out of file descriptors and the like: pause instead of spinning.
      asio::steady_timer pause(s.ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (s.connections.load() >= s.options.max_connections) {
      // Answered without a coroutine or a parser: the point is to spend nothing on it.
      Response busy = Response::text("The server is busy. Try again in a moment.", 503);
      add_security_headers(busy, false);
      busy.headers.set("X-Request-Id", s.next_request_id());
      busy.headers.set("Retry-After", "5");
      busy.headers.set("Connection", "close");
      std::string bytes = "HTTP/1.1 503 Service Unavailable\r\n";
      for (const auto& [name, value] : busy.headers.fields()) bytes += name + ": " + value + "\r\n";
      bytes += fmt::format("Content-Length: {}\r\n\r\n{}", busy.body.size(), busy.body);
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(bytes), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      s.event_log("http.connection_refused",
                  fmt::format("already {} connections, the limit", s.options.max_connections));
      continue;
    }
    ++s.connections;
    s.metrics.connection_opened();
    auto control = std::make_shared<ConnectionControl>(socket.get_executor());
    {
      std::lock_guard lock(s.registry_mutex);
      s.registry.insert(control);
    }
    asio::co_spawn(control->strand, run_connection(s, std::move(socket), control), asio::detached);
  }
}

}  // namespace

void Server::Impl::unregister(const std::shared_ptr<ConnectionControl>& c) {
  std::lock_guard lock(registry_mutex);
  registry.erase(c);
  if (stopping.load() && registry.empty())
    asio::post(ioc, [this] { shutdown_deadline.cancel(); });
}

void Server::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  event_log("http.shutdown", fmt::format("stopping: finishing in-flight requests for up to {} s",
                                         options.shutdown_grace.count()));
  beast::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  std::vector<std::shared_ptr<ConnectionControl>> open;
  {
    std::lock_guard lock(registry_mutex);
    open.assign(registry.begin(), registry.end());
  }
  for (auto& c : open) {
    asio::post(c->strand, [c] {
      if (!c->alive) return;
      if (c->state == ConnectionControl::State::idle && c->cancel_io) c->cancel_io();
      if (c->state == ConnectionControl::State::websocket && c->close_websocket) c->close_websocket();
      // Busy connections finish their request and then close (keep-alive is off once stopping).
    });
  }
  if (open.empty()) return;
  shutdown_deadline.expires_after(options.shutdown_grace);
  shutdown_deadline.async_wait([this](beast::error_code ec) {
    if (ec) return;  // every connection ended in time
    std::vector<std::shared_ptr<ConnectionControl>> left;
    {
      std::lock_guard lock(registry_mutex);
      left.assign(registry.begin(), registry.end());
    }
    event_log("http.shutdown_deadline", fmt::format("closing {} connections still open", left.size()));
    for (auto& c : left)
      asio::post(c->strand, [c] {
        if (c->alive && c->cancel_io) c->cancel_io();
      });
  });
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, ErrorPage error_page,
               AccessLog access_log, EventLog event_log)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, std::move(error_page),
                                   std::move(access_log), std::move(event_log))) {}

Server::~Server() = default;

Result<> Server::listen() {
  auto& s = *impl_;
  std::string where = fmt::format("{}:{}", s.options.host, s.options.port);
  if (!s.options.tls_cert.empty() || !s.options.tls_key.empty()) {
    s.tls.emplace(asio::ssl::context::tls_server);
    s.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    beast::error_code ec;
    s.tls->use_certificate_chain_file(s.options.tls_cert.string(), ec);
    if (ec)
      return fail(ErrorKind::invalid_input, fmt::format("--tls-cert {}: cannot load a PEM certificate "
                                                        "chain ({})", s.options.tls_cert.string(), ec.message()));
    s.tls->use_private_key_file(s.options.tls_key.string(), asio::ssl::context::pem, ec);
    if (ec)
      return fail(ErrorKind::invalid_input, fmt::format("--tls-key {}: cannot load a PEM private key "
                                                        "matching the certificate ({})", s.options.tls_key.string(), ec.message()));
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.host, ec);
  tcp::endpoint endpoint;
  if (ec) {
    tcp::resolver resolver(s.ioc);
    auto results = resolver.resolve(s.options.host, std::to_string(s.options.port), ec);
    if (ec || results.empty())
      return fail(ErrorKind::invalid_input,
                  fmt::format("cannot listen on {}: unknown host ({})", where, ec.message()));
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(address, s.options.port);
  }
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (ec == asio::error::address_in_use)
    return fail(ErrorKind::conflict, fmt::format("cannot listen on {}: the address is already in "
                                                 "use; stop the other server or choose another "
                                                 "with --listen HOST:PORT", where));
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorKind::io, fmt::format("cannot listen on {}: {}", where, ec.message()));
  return {};
}

std::uint16_t Server::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Server::run() {
  auto& s = *impl_;
  s.signals.async_wait([&s](beast::error_code ec, int) {
    if (!ec) s.begin_shutdown();
  });
  asio::co_spawn(s.ioc, accept_loop(s), asio::detached);
  s.event_log("http.listening", fmt::format("{}://{}:{}", s.tls ? "https" : "http", s.options.host, port()));

  int threads = s.options.io_threads > 0 ? s.options.io_threads
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i)
    pool.emplace_back([&s] {
      base::IoThreadScope io_thread;
      s.ioc.run();
    });
  {
    base::IoThreadScope io_thread;
    s.ioc.run();
  }
  for (auto& t : pool) t.join();
  s.workers.join();
  s.event_log("http.stopped", "all connections closed");
}

void Server::stop() {
  asio::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace agora::http
