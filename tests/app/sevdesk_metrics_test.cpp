// The sevdesk metrics (docs/operations.md, "Metrics") move as transfers run against the sandbox:
// requests by endpoint template and status with their latency, outcomes, 429s, the breaker,
// lease takeovers, claims, and the gauges read from the database at scrape time.
#include <regex>

#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using namespace std::chrono_literals;
using sevdesk::sandbox::FaultKind;

// The value of the series `series` (name with its labels exactly as exposed), -1 when absent.
double Value(const std::string& exposition, const std::string& series) {
  const std::string line_start = series + " ";
  std::size_t at = 0;
  while ((at = exposition.find(line_start, at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n') {
      const std::size_t end = exposition.find('\n', at);
      return std::stod(exposition.substr(at + line_start.size(), end - at - line_start.size()));
    }
    at += line_start.size();
  }
  return -1;
}

class SevdeskMetricsTest : public SevdeskWorld {
 protected:
  Principal ConnectedSchool(const std::string& name, const std::string& token,
                            domain::TaxMode mode = domain::TaxMode::kRegular) {
    auto p = NewSchool(name, mode);
    Connect(p, token);
    return p;
  }
  std::string Scrape() { return metrics_.Render(); }
};

TEST(SevdeskEndpointTemplate, DropsIdsAndQueries) {
  EXPECT_EQ(EndpointTemplate("/Contact/123"), "/Contact/{id}");
  EXPECT_EQ(EndpointTemplate("/Contact?depth=1&customerNumber=HS-7"), "/Contact");
  EXPECT_EQ(EndpointTemplate("/Voucher/Factory/saveVoucher"), "/Voucher/Factory/saveVoucher");
  EXPECT_EQ(EndpointTemplate("/Voucher/42/bookAmount?x=1"), "/Voucher/{id}/bookAmount");
  EXPECT_EQ(EndpointTemplate("/"), "/");
  EXPECT_EQ(EndpointTemplate(""), "");
}

TEST_F(SevdeskMetricsTest, AQueuedTransferShowsInTheGauges) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Wartend");
  Finalize(school.school_id, c.id);
  AdvanceClock(5s);
  const std::string m = Scrape();
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_transfers{state="queued",school_class="regular"})"), 1)
      << m;
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_oldest_queued_transfer_age_seconds"), 5) << m;
}

TEST_F(SevdeskMetricsTest, A429IsCountedAsOutcomeRequestAndThrottle) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Bremse");
  Finalize(school.school_id, c.id);
  Inject(FaultKind::kRateLimited, 1, "saveVoucher");  // Retry-After: 2
  Drain();
  const std::string m = Scrape();
  EXPECT_EQ(
      Value(
          m,
          R"(hundeschule_sevdesk_transfer_outcomes_total{outcome="rate_limited",school_class="regular"})"),
      1)
      << m;
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_rate_limited_total{school_class="regular"})"), 1);
  EXPECT_EQ(
      Value(
          m,
          R"(hundeschule_sevdesk_requests_total{method="POST",endpoint="/Voucher/Factory/saveVoucher",status="429"})"),
      1)
      << m;
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_paused_connections{reason="throttled"})"), 1);
}

TEST_F(SevdeskMetricsTest, ATransferAfterA429MovesTheLatencyAndClaimHistograms) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Bremse");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  AdvanceClock(5s);
  Inject(FaultKind::kRateLimited, 1, "saveVoucher");  // Retry-After: 2
  Drain();
  AdvanceClock(2s);
  Drain();
  ASSERT_EQ(StatusOf(school.school_id, receipt), "transferred");
  const std::string m = Scrape();
  EXPECT_EQ(
      Value(
          m,
          R"(hundeschule_sevdesk_transfer_outcomes_total{outcome="transferred",school_class="regular"})"),
      1)
      << m;
  EXPECT_EQ(
      Value(
          m,
          R"(hundeschule_sevdesk_requests_total{method="POST",endpoint="/Voucher/Factory/saveVoucher",status="201"})"),
      1)
      << m;
  // The histogram saw both saveVoucher requests, the 429 and the 201.
  const std::string save = R"(method="POST",endpoint="/Voucher/Factory/saveVoucher")";
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_request_duration_seconds_count{" + save + "}"), 2);
  EXPECT_EQ(
      Value(m, "hundeschule_sevdesk_request_duration_seconds_bucket{" + save + R"(,le="+Inf"})"),
      2);
  EXPECT_GT(Value(m, "hundeschule_sevdesk_request_duration_seconds_sum{" + save + "}"), 0);
  // Both attempts were claimed; the first waited 5 s (fake clock) for its claim.
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_claimed_transfers_total"), 2);
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_claim_duration_seconds_count"), 2);
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_claim_delay_seconds_bucket{le="2.5"})"), 1) << m;
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_claim_delay_seconds_bucket{le="5"})"), 2) << m;
  // The queue is empty again, and no throttle is left.
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_transfers{state="queued",school_class="regular"})"), 0);
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_oldest_queued_transfer_age_seconds"), 0);
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_paused_connections{reason="throttled"})"), 0);
  // Endpoints are templates: no id and no query in any label.
  EXPECT_FALSE(std::regex_search(m, std::regex(R"(endpoint="[^"]*(/[0-9]|\?))"))) << m;
}

TEST_F(SevdeskMetricsTest, RejectionsOpenTheBreakerOnceAndPerSchoolClass) {
  const auto school = ConnectedSchool("Klein", kTokenKlein, domain::TaxMode::kKleinunternehmer);
  for (int i = 0; i < options_.settings.breaker_threshold; ++i) {
    const auto c = DeletedContactCustomer(school.school_id, "Weg" + std::to_string(i));
    Finalize(school.school_id, c.id, {{"Einzelstunde", 5500, 0}});  // no VAT: Kleinunternehmer
  }
  Drain();
  const std::string m = Scrape();
  EXPECT_EQ(
      Value(
          m,
          R"(hundeschule_sevdesk_transfer_outcomes_total{outcome="rejected",school_class="kleinunternehmer"})"),
      options_.settings.breaker_threshold)
      << m;
  EXPECT_EQ(
      Value(m, R"(hundeschule_sevdesk_breaker_openings_total{school_class="kleinunternehmer"})"), 1)
      << m;
  EXPECT_EQ(Value(m, R"(hundeschule_sevdesk_paused_connections{reason="breaker"})"), 1);
  EXPECT_EQ(
      Value(m, R"(hundeschule_sevdesk_transfers{state="failed",school_class="kleinunternehmer"})"),
      options_.settings.breaker_threshold);
  // No school id anywhere in a label.
  EXPECT_EQ(m.find("school_id"), std::string::npos);
}

class SevdeskMetricsSeveralProcessesTest : public SevdeskMetricsTest {
 protected:
  void Configure(WorldOptions& o) override { o.settings.single_process = false; }
};

TEST_F(SevdeskMetricsSeveralProcessesTest, AnExpiredLeaseTakenOverIsCounted) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Verlassen");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  ASSERT_TRUE(ClaimAs("worker-that-dies"));
  EXPECT_EQ(Drain(), 0);  // within the lease nobody else touches it
  AdvanceClock(options_.settings.lease + 1s);
  Drain();  // finds nothing claimable and releases the expired lease on the way
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  const std::string m = Scrape();
  EXPECT_EQ(Value(m, "hundeschule_sevdesk_lease_takeovers_total"), 1) << m;
}

}  // namespace
}  // namespace hs::app::testing
