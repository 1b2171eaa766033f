#include "http/metrics.hpp"

#include <cstdio>

namespace hs::http {

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                             std::chrono::microseconds latency) {
  const double seconds = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& h = latency_[{method, route}];
  for (std::size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::SetGauge(const std::string& name_with_labels, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name_with_labels] = value;
}

std::string Metrics::RenderPrometheus() const {
  // Outside mutex_: the registry's collectors read the database.
  std::string more = registry_ ? registry_->Render() : std::string();
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP hs_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE hs_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out += "hs_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status=\"" +
           std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP hs_http_request_duration_seconds HTTP request latency.\n";
  out += "# TYPE hs_http_request_duration_seconds histogram\n";
  char buf[64];
  for (const auto& [key, h] : latency_) {
    const std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
    for (std::size_t i = 0; i < std::size(kBuckets); ++i) {
      std::snprintf(buf, sizeof buf, "%g", kBuckets[i]);
      out += "hs_http_request_duration_seconds_bucket{" + labels + ",le=\"" + buf + "\"} " +
             std::to_string(h.counts[i]) + "\n";
    }
    out += "hs_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    std::snprintf(buf, sizeof buf, "%.6f", h.sum);
    out += "hs_http_request_duration_seconds_sum{" + labels + "} " + buf + "\n";
    out +=
        "hs_http_request_duration_seconds_count{" + labels + "} " + std::to_string(h.count) + "\n";
  }
  for (const auto& [name, value] : gauges_) {
    std::snprintf(buf, sizeof buf, "%g", value);
    out += name + " " + buf + "\n";
  }
  return out + more;
}

}  // namespace hs::http
