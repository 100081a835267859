#include "http/router.hpp"

#include <stdexcept>

namespace agora::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 1;  // skip the leading '/'
  while (i <= path.size()) {
    auto slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return parts;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_tail_param(std::string_view segment) {
  return is_param(segment) && segment.size() > 5 && segment.substr(segment.size() - 4) == "...}";
}

std::string_view param_name(std::string_view segment) {
  segment = segment.substr(1, segment.size() - 2);
  if (segment.ends_with("...")) segment.remove_suffix(3);
  return segment;
}

void check_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  auto segments = split_path(pattern);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto s = segments[i];
    bool braces = s.find_first_of("{}") != std::string_view::npos;
    if (braces && !is_param(s))
      throw std::invalid_argument("malformed parameter in route pattern: " + std::string(pattern));
    if (is_tail_param(s) && i + 1 != segments.size())
      throw std::invalid_argument("a {name...} parameter must end the pattern: " +
                                  std::string(pattern));
  }
}

// Matches `path` against `pattern`, filling params; the tail parameter takes the rest of the path.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string, std::less<>>& params) {
  if (path.empty() || path.front() != '/') return false;
  auto want = split_path(pattern);
  auto have = split_path(path);
  params.clear();
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_tail_param(want[i])) {
      if (i >= have.size()) return false;
      // Rejoin the rest of the request path exactly as sent.
      std::size_t offset = static_cast<std::size_t>(have[i].data() - path.data());
      std::string_view rest = path.substr(offset);
      if (rest.empty()) return false;
      params.emplace(std::string(param_name(want[i])), std::string(rest));
      return true;
    }
    if (i >= have.size()) return false;
    if (is_param(want[i])) {
      if (have[i].empty()) return false;
      params.emplace(std::string(param_name(want[i])), std::string(have[i]));
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return want.size() == have.size();
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  check_pattern(pattern);
  for (const auto& r : routes_)
    if (r.pattern == pattern && r.method == method)
      throw std::invalid_argument("duplicate route " + std::string(method) + " " +
                                  std::string(pattern));
  if (options.action.empty())
    throw std::invalid_argument("route " + std::string(pattern) +
                                " has no action: every route must name one for auth::Policy");
  routes_.push_back(Route{std::string(method), std::string(pattern), std::move(handler),
                          std::move(options), nullptr});
}

void Router::websocket(std::string_view pattern, std::shared_ptr<WebSocketHandler> handler,
                       RouteOptions options) {
  // A WebSocket opens with a GET upgrade request; the server tells the two apart. The handler's
  // 200 means "every middleware let the upgrade through".
  add("GET", pattern, [](Request&) { return Response{}; }, std::move(options));
  routes_.back().websocket = std::move(handler);
}

void Router::use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  std::map<std::string, std::string, std::less<>> params;
  std::string allow;
  for (const auto& route : routes_) {
    if (!match_pattern(route.pattern, path, params)) continue;
    bool same = route.method == method || (method == "HEAD" && route.method == "GET");
    if (same) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
    auto add_allowed = [&](std::string_view m) {
      if (allow.find(m) != std::string::npos) return;
      if (!allow.empty()) allow += ", ";
      allow += m;
    };
    add_allowed(route.method);
    if (route.method == "GET") add_allowed("HEAD");
  }
  result.allow = std::move(allow);
  return result;
}

Response Router::dispatch(Request& request, const Handler& final_handler) const {
  // Build the chain inside-out once per request: middleware_[0] is outermost.
  std::size_t depth = 0;
  Next next = [&](Request& r) -> Response {
    if (depth == middleware_.size()) return final_handler(r);
    const Middleware& m = middleware_[depth++];
    return m(r, next);
  };
  return next(request);
}

}  // namespace agora::http
