#pragma once
// Prometheus metrics for the HTTP layer: requests by route and status, a latency histogram per
// route, and open connections. Rendered in the text exposition format at GET /metrics.

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace agora::http {

class Metrics {
 public:
  /// Records one finished request. `route` is the matched pattern ("" when none matched).
  void record_request(std::string_view route, std::string_view method, int status,
                      std::chrono::nanoseconds duration);
  void connection_opened() noexcept { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() noexcept { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void websocket_opened() noexcept { open_websockets_.fetch_add(1, std::memory_order_relaxed); }
  void websocket_closed() noexcept { open_websockets_.fetch_sub(1, std::memory_order_relaxed); }
  long open_connections() const noexcept { return open_connections_.load(); }

  /// The whole registry in Prometheus text format 0.0.4.
  std::string render() const;

 private:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  struct Histogram {
    std::array<unsigned long, kBucketsSeconds.size()> buckets{};
    unsigned long count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, unsigned long> requests_;
  std::map<std::string, Histogram> latency_;
  std::atomic<long> open_connections_{0};
  std::atomic<long> open_websockets_{0};
};

}  // namespace agora::http
