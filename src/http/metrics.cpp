#include "http/metrics.hpp"

#include <fmt/format.h>

namespace agora::http {
namespace {

// Label values are route patterns and methods we chose, but escape anyway so the output stays
// parseable whatever a route is called.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string route_label(std::string_view route) { return route.empty() ? "unmatched" : label(route); }

}  // namespace

void Metrics::record_request(std::string_view route, std::string_view method, int status,
                             std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto& h = latency_[std::string(route)];
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i)
    if (seconds <= kBucketsSeconds[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  out += "# HELP agora_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE agora_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("agora_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       route_label(route), label(method), status, count);
  }
  out += "# HELP agora_http_request_duration_seconds Time from request head to response sent.\n";
  out += "# TYPE agora_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    auto r = route_label(route);
    for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i)
      out += fmt::format("agora_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         r, kBucketsSeconds[i], h.buckets[i]);
    out += fmt::format("agora_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       r, h.count);
    out += fmt::format("agora_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", r, h.sum);
    out += fmt::format("agora_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", r, h.count);
  }
  out += "# HELP agora_http_open_connections Open client connections (HTTP and WebSocket).\n";
  out += "# TYPE agora_http_open_connections gauge\n";
  out += fmt::format("agora_http_open_connections {}\n", open_connections_.load());
  out += "# HELP agora_websocket_open_connections Open WebSocket connections.\n";
  out += "# TYPE agora_websocket_open_connections gauge\n";
  out += fmt::format("agora_websocket_open_connections {}\n", open_websockets_.load());
  return out;
}

}  // namespace agora::http
