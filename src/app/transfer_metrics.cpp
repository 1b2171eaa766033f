#include "app/transfer_metrics.hpp"

namespace hs::app {

namespace {

std::string Str(std::string_view s) {
  return std::string(s);
}

}  // namespace

std::string EndpointTemplate(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    const std::size_t slash = path.find('/', i + 1);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view segment = path.substr(i, end - i);  // with its leading '/'
    if (segment.size() > 1 && segment[0] == '/' && segment[1] >= '0' && segment[1] <= '9') {
      segment = "/{id}";
    }
    out += segment;
    i = end;
  }
  return out;
}

SevdeskRequestMetrics::SevdeskRequestMetrics(metrics::Registry& registry)
    : requests_(registry.AddCounter(
          "hundeschule_sevdesk_requests_total",
          "Requests to sevdesk by method, endpoint template and HTTP status (0: no answer).",
          {"method", "endpoint", "status"})),
      latency_(registry.AddHistogram("hundeschule_sevdesk_request_duration_seconds",
                                     "Latency of requests to sevdesk by method and endpoint.",
                                     {"method", "endpoint"})) {}

void SevdeskRequestMetrics::Observe(std::string_view method, std::string_view path, long status,
                                    double seconds) {
  const std::string endpoint = EndpointTemplate(path);
  requests_.With({Str(method), endpoint, std::to_string(status)}).Inc();
  latency_.With({Str(method), endpoint}).Observe(seconds);
}

TransferMetrics::TransferMetrics(metrics::Registry& registry)
    : transfers(registry.AddGauge("hundeschule_sevdesk_transfers",
                                  "Transfers by state and school class (the school's tax mode); "
                                  "transferred ones are counted by "
                                  "hundeschule_sevdesk_transfer_outcomes_total.",
                                  {"state", "school_class"})),
      oldest_unfinished_age(
          registry
              .AddGauge("hundeschule_sevdesk_oldest_queued_transfer_age_seconds",
                        "Age of the oldest transfer not yet done (queued, waiting for a retry or "
                        "running), since it was enqueued; 0 when there is none.")
              .With({})),
      paused_connections(registry.AddGauge(
          "hundeschule_sevdesk_paused_connections",
          "Enabled sevdesk connections whose transfers wait: auth (token or plan refused, waits "
          "for a test), breaker (rejections in a row), throttled (429).",
          {"reason"})),
      sum_mismatch_receipts(registry
                                .AddGauge("hundeschule_sevdesk_sum_mismatch_receipts",
                                          "Transferred receipts whose sums in sevdesk differ "
                                          "from the invoice (ADR 0010).")
                                .With({})),
      read_errors(registry
                      .AddCounter("hundeschule_sevdesk_metrics_read_errors_total",
                                  "Scrapes whose read of the transfer gauges from the database "
                                  "failed (the gauges keep their last values).")
                      .With({})),
      requests_(registry),
      outcomes_(registry.AddCounter(
          "hundeschule_sevdesk_transfer_outcomes_total",
          "Ends of transfer attempts by outcome and school class (the school's tax mode).",
          {"outcome", "school_class"})),
      rate_limited_(registry.AddCounter("hundeschule_sevdesk_rate_limited_total",
                                        "Transfer attempts that sevdesk answered with 429.",
                                        {"school_class"})),
      breaker_openings_(registry.AddCounter(
          "hundeschule_sevdesk_breaker_openings_total",
          "Times a school's transfers were paused after rejections in a row (the breaker).",
          {"school_class"})),
      lease_takeovers_(registry
                           .AddCounter("hundeschule_sevdesk_lease_takeovers_total",
                                       "Running transfers released for another worker because "
                                       "their lease had expired or their process was gone.")
                           .With({})),
      claim_duration_(registry
                          .AddHistogram("hundeschule_sevdesk_claim_duration_seconds",
                                        "Duration of one claim of due transfers (one database "
                                        "transaction).",
                                        {})
                          .With({})),
      claimed_(registry
                   .AddCounter("hundeschule_sevdesk_claimed_transfers_total",
                               "Transfers claimed by a worker.")
                   .With({})),
      claim_delay_(registry
                       .AddHistogram("hundeschule_sevdesk_claim_delay_seconds",
                                     "Time from when a transfer became due to its claim.", {})
                       .With({})) {}

void TransferMetrics::Outcome(std::string_view ending, std::string_view school_class) {
  outcomes_.With({Str(ending), Str(school_class)}).Inc();
}

void TransferMetrics::RateLimited(std::string_view school_class) {
  rate_limited_.With({Str(school_class)}).Inc();
}

void TransferMetrics::BreakerOpened(std::string_view school_class) {
  breaker_openings_.With({Str(school_class)}).Inc();
}

void TransferMetrics::LeasesTakenOver(std::int64_t n) {
  if (n > 0) lease_takeovers_.Inc(static_cast<std::uint64_t>(n));
}

void TransferMetrics::Claim(double seconds, int claimed) {
  claim_duration_.Observe(seconds);
  if (claimed > 0) claimed_.Inc(static_cast<std::uint64_t>(claimed));
}

void TransferMetrics::ClaimDelay(double seconds) {
  claim_delay_.Observe(seconds < 0 ? 0 : seconds);
}

}  // namespace hs::app
