#pragma once
// The sevdesk integration's metrics (docs/operations.md, "Metrics"). Outcomes and states are
// counted per school class, never per school: the class is the school's tax mode ("regular",
// "kleinunternehmer"; "unknown" when the transfer could not be read), a bounded label that
// also tells which of sevdesk's tax rules the vouchers used.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/metrics.hpp"

namespace hs::app {

// What the sevdesk client records per request: endpoint as a template (/Contact/{id}, never an
// id or a query), the HTTP status ("0" when no answer came) and the latency.
class SevdeskRequestMetrics {
 public:
  explicit SevdeskRequestMetrics(metrics::Registry& registry);
  void Observe(std::string_view method, std::string_view path, long status, double seconds);

 private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& latency_;
};

// "/Contact/123?depth=1" -> "/Contact/{id}": the query is dropped and every path segment that
// starts with a digit becomes {id}.
std::string EndpointTemplate(std::string_view path);

class TransferMetrics {
 public:
  explicit TransferMetrics(metrics::Registry& registry);

  SevdeskRequestMetrics& requests() { return requests_; }

  // How an attempt ended (engine) and what followed.
  void Outcome(std::string_view ending, std::string_view school_class);
  void RateLimited(std::string_view school_class);
  void BreakerOpened(std::string_view school_class);
  void LeasesTakenOver(std::int64_t n);
  void Claim(double seconds, int claimed);
  void ClaimDelay(double seconds);

  // Read from the database at scrape time (SevdeskService::CollectMetrics).
  metrics::Family<metrics::Gauge>& transfers;
  metrics::Gauge& oldest_unfinished_age;
  metrics::Family<metrics::Gauge>& paused_connections;
  metrics::Gauge& sum_mismatch_receipts;
  metrics::Counter& read_errors;  // the scrape's database read failed

 private:
  SevdeskRequestMetrics requests_;
  metrics::Family<metrics::Counter>& outcomes_;
  metrics::Family<metrics::Counter>& rate_limited_;
  metrics::Family<metrics::Counter>& breaker_openings_;
  metrics::Counter& lease_takeovers_;
  metrics::Histogram& claim_duration_;
  metrics::Counter& claimed_;
  metrics::Histogram& claim_delay_;
};

}  // namespace hs::app
