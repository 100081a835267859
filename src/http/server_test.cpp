// The server in-process on a loopback port, driven by Beast's synchronous client.
#include "http/server.hpp"

#include "base/thread_role.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace agora::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

class Echo : public WebSocketHandler {
 public:
  void on_open(const std::shared_ptr<WebSocketConnection>&) override { ++opened; }
  void on_message(const std::shared_ptr<WebSocketConnection>& c, std::string m, bool binary) override {
    c->send("echo:" + m, binary);
  }
  void on_close(const std::shared_ptr<WebSocketConnection>&) override { ++closed; }
  std::atomic<int> opened{0}, closed{0};
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RouteOptions inline_route{.action = "test", .blocking = false};
    router_.add("GET", "/where", [](Request&) {
      return Response::text(base::on_io_thread() ? "io" : "worker");
    }, RouteOptions{.action = "test"});
    router_.add("GET", "/inline", [](Request&) {
      return Response::text(base::on_io_thread() ? "io" : "worker");
    }, inline_route);
    router_.add("POST", "/small", [](Request& r) { return Response::text(r.body); },
                RouteOptions{.action = "test", .body_limit = 10});
    router_.add("GET", "/throws", [](Request&) -> Response {
      throw ErrorException(Error{ErrorKind::not_found, "no such thing"});
    }, RouteOptions{.action = "test"});
    router_.websocket("/ws", echo_, RouteOptions{.action = "test", .blocking = false});
    ServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    options.shutdown_grace = std::chrono::seconds(5);
    server_ = std::make_unique<Server>(
        options, router_, metrics_,
        [](const Request&, int status, std::string_view message) {
          return Response::text(std::string(message), status);
        },
        [this](const AccessRecord& a) {
          std::lock_guard lock(mutex_);
          access_.push_back(a.request.path + " " + std::to_string(a.status));
        },
        [](std::string_view, std::string_view) {});
    ASSERT_TRUE(server_->listen());
    port_ = server_->port();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  bhttp::response<bhttp::string_body> request(tcp::socket& socket, bhttp::verb verb,
                                              std::string target, std::string body = {}) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
  }
  tcp::socket connect() {
    tcp::socket socket(ioc_);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return socket;
  }

  asio::io_context ioc_;
  Router router_;
  Metrics metrics_;
  std::shared_ptr<Echo> echo_ = std::make_shared<Echo>();
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> access_;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsWithSecurityHeaders) {
  auto socket = connect();
  auto first = request(socket, bhttp::verb::get, "/where");
  auto second = request(socket, bhttp::verb::get, "/inline");
  EXPECT_EQ(first.body(), "worker") << "blocking handlers run on the worker pool";
  EXPECT_EQ(second.body(), "io") << "non-blocking handlers run on the I/O thread";
  EXPECT_NE(first[bhttp::field::x_frame_options], "");
  EXPECT_NE(first["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(first["X-Content-Type-Options"], "nosniff");
  EXPECT_NE(first["X-Request-Id"], second["X-Request-Id"]);
}

TEST_F(ServerTest, UnknownPathsWrongMethodsAndErrorsGetTheRightStatus) {
  auto socket = connect();
  EXPECT_EQ(request(socket, bhttp::verb::get, "/nothing").result_int(), 404);
  auto wrong = request(socket, bhttp::verb::delete_, "/where");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[bhttp::field::allow], "GET, HEAD");
  auto thrown = request(socket, bhttp::verb::get, "/throws");
  EXPECT_EQ(thrown.result_int(), 404);
  EXPECT_EQ(thrown.body(), "no such thing");
  auto head = request(socket, bhttp::verb::get, "/where/../etc");
  EXPECT_EQ(head.result_int(), 400);
}

TEST_F(ServerTest, BodyOverTheRouteLimitIs413) {
  auto socket = connect();
  EXPECT_EQ(request(socket, bhttp::verb::post, "/small", "12345").body(), "12345");
  auto other = connect();
  EXPECT_EQ(request(other, bhttp::verb::post, "/small", "12345678901").result_int(), 413);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  auto socket = connect();
  request(socket, bhttp::verb::get, "/where");
  request(socket, bhttp::verb::get, "/where");
  // A request is counted just after its response is sent; the third answer proves the second
  // was counted.
  request(socket, bhttp::verb::get, "/inline");
  auto text = metrics_.render();
  EXPECT_NE(text.find(R"(agora_http_requests_total{route="/where",method="GET",status="200"} 2)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("agora_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_EQ(metrics_.open_connections(), 1);
}

TEST_F(ServerTest, WebSocketEchoesAndIsClosedWith1001OnShutdown) {
  beast::websocket::stream<tcp::socket> ws(connect());
  ws.handshake("localhost", "/ws");
  ws.write(asio::buffer(std::string("hello")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "echo:hello");
  EXPECT_EQ(echo_->opened.load(), 1);

  server_->stop();
  beast::error_code ec;
  buffer.consume(buffer.size());
  ws.read(buffer, ec);
  EXPECT_EQ(ec, beast::websocket::error::closed);
  EXPECT_EQ(ws.reason().code, beast::websocket::close_code::going_away);
}

TEST_F(ServerTest, ShutdownClosesIdleKeepAliveConnectionsPromptly) {
  auto socket = connect();
  request(socket, bhttp::verb::get, "/inline");
  auto started = std::chrono::steady_clock::now();
  server_->stop();
  thread_.join();
  thread_ = std::thread([] {});  // TearDown joins again
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4))
      << "an idle connection must not hold shutdown until the grace deadline";
  char byte;
  beast::error_code ec;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec) << "the server closed the idle connection";
}

}  // namespace
}  // namespace agora::http
