#pragma once
// Prometheus text-format metrics: requests by route and status, and a latency histogram.
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/metrics.hpp"

namespace hs::http {

class Metrics {
 public:
  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      std::chrono::microseconds latency);
  // Extra gauges/counters from other components, rendered as-is: name -> value.
  void SetGauge(const std::string& name_with_labels, double value);
  // The process's other metrics (the transfer engine's), rendered after the HTTP ones.
  void Attach(const metrics::Registry* registry) { registry_ = registry; }
  std::string RenderPrometheus() const;

 private:
  static constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,   0.5,   1,    2.5,   5};
  struct Histogram {
    std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(std::size(kBuckets), 0);
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  std::map<std::string, double> gauges_;
  const metrics::Registry* registry_ = nullptr;
};

}  // namespace hs::http
