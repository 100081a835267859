#pragma once
// Routes requests to handlers by method and path pattern; the middleware chain wraps every
// handler. Knows no feature: modules register their routes from app/.

#include "http/message.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agora::http {

using Handler = std::function<Response(Request&)>;
using Next = std::function<Response(Request&)>;
/// Runs around a handler: may answer itself (deny, redirect) or call next(request).
using Middleware = std::function<Response(Request&, const Next& next)>;

class WebSocketHandler;

/// Per-route settings.
struct RouteOptions {
  /// What the route does, in auth::Policy's words (e.g. "site.view"). The authorization
  /// middleware denies any route whose action the policy does not allow: deny by default.
  std::string action;
  /// Largest request body accepted, in bytes; more gets 413 before the body is read.
  std::size_t body_limit = 64 * 1024;
  /// True when the handler may block (database, disk): it then runs on the worker pool rather
  /// than an I/O thread. Only handlers that touch nothing but memory may set false.
  bool blocking = true;
};

/// One registered route.
struct Route {
  std::string method;   // "GET", or "*" for a WebSocket route
  std::string pattern;  // "/docs/{id}"; a final "{name...}" matches the rest of the path
  Handler handler;
  RouteOptions options;
  std::shared_ptr<WebSocketHandler> websocket;  // set for WebSocket routes
};

/// The outcome of matching a request against the table.
struct Match {
  const Route* route = nullptr;  // null when nothing matched
  std::map<std::string, std::string, std::less<>> params;
  /// When the path matched but the method did not: the methods that would have ("GET, HEAD").
  std::string allow;
};

class Router {
 public:
  /// Adds a route; HEAD is answered by GET routes automatically. Throws std::invalid_argument
  /// on a malformed pattern or a duplicate (a programming error found at start-up).
  void add(std::string_view method, std::string_view pattern, Handler handler, RouteOptions options);
  /// Adds a WebSocket endpoint; the upgrade request passes through the middleware chain first.
  void websocket(std::string_view pattern, std::shared_ptr<WebSocketHandler> handler,
                 RouteOptions options);
  /// Appends a middleware; the first added runs outermost.
  void use(Middleware middleware);

  /// Finds the route for method and decoded path.
  Match match(std::string_view method, std::string_view path) const;
  /// Runs the middleware chain around `route`'s handler (route may be null: the chain then ends
  /// in `fallback`, e.g. a 404 or 405 page, so middleware still applies).
  Response dispatch(Request& request, const Handler& final_handler) const;

  /// Every route, for the authorization matrix test and the metrics labels.
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<Middleware> middleware_;
};

}  // namespace agora::http
