// The metrics registry's exposition, line by line as Prometheus reads it (text format 0.0.4).
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

namespace hs::metrics {
namespace {

TEST(MetricsRegistry, CounterWithHelpTypeAndLabels) {
  Registry r;
  auto& f = r.AddCounter("hs_jobs_total", "Jobs by kind.", {"kind"});
  f.With({"b"}).Inc(2);
  f.With({"a"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP hs_jobs_total Jobs by kind.\n"
            "# TYPE hs_jobs_total counter\n"
            "hs_jobs_total{kind=\"a\"} 1\n"
            "hs_jobs_total{kind=\"b\"} 2\n");
}

TEST(MetricsRegistry, GaugeWithoutLabelsAndFloatValues) {
  Registry r;
  auto& g = r.AddGauge("hs_age_seconds", "Age.").With({});
  g.Set(0.25);
  EXPECT_EQ(r.Render(),
            "# HELP hs_age_seconds Age.\n# TYPE hs_age_seconds gauge\nhs_age_seconds 0.25\n");
  g.Set(12);
  EXPECT_NE(r.Render().find("hs_age_seconds 12\n"), std::string::npos);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.AddCounter("hs_x_total", "Back\\slash and\nnewline.", {"v"}).With({"a\"b\\c\nd"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP hs_x_total Back\\\\slash and\\nnewline.\n"
            "# TYPE hs_x_total counter\n"
            "hs_x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.AddHistogram("hs_latency_seconds", "Latency.", {"op"}, {0.25, 0.5, 1});
  auto& get = h.With({"get"});
  get.Observe(0.125);
  get.Observe(0.25);  // on the bound: counted in le="0.25"
  get.Observe(0.375);
  get.Observe(7);  // above every bound: only in +Inf
  EXPECT_EQ(r.Render(),
            "# HELP hs_latency_seconds Latency.\n"
            "# TYPE hs_latency_seconds histogram\n"
            "hs_latency_seconds_bucket{op=\"get\",le=\"0.25\"} 2\n"
            "hs_latency_seconds_bucket{op=\"get\",le=\"0.5\"} 3\n"
            "hs_latency_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "hs_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "hs_latency_seconds_sum{op=\"get\"} 7.75\n"
            "hs_latency_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsRegistry, HistogramWithoutLabels) {
  Registry r;
  r.AddHistogram("hs_claim_seconds", "Claims.", {}, {1}).With({}).Observe(0.5);
  EXPECT_EQ(r.Render(),
            "# HELP hs_claim_seconds Claims.\n"
            "# TYPE hs_claim_seconds histogram\n"
            "hs_claim_seconds_bucket{le=\"1\"} 1\n"
            "hs_claim_seconds_bucket{le=\"+Inf\"} 1\n"
            "hs_claim_seconds_sum 0.5\n"
            "hs_claim_seconds_count 1\n");
}

TEST(MetricsRegistry, SeriesAreCappedIntoOther) {
  Registry r;
  auto& f = r.AddCounter("hs_capped_total", "Capped.", {"id"}, 2);
  f.With({"1"}).Inc();
  f.With({"2"}).Inc();
  f.With({"3"}).Inc();
  f.With({"4"}).Inc();
  f.With({"1"}).Inc();
  const std::string out = r.Render();
  EXPECT_NE(out.find("hs_capped_total{id=\"1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("hs_capped_total{id=\"other\"} 2\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("id=\"3\""), std::string::npos) << out;
}

TEST(MetricsRegistry, CollectorsRunBeforeEveryRenderingInRegistrationOrder) {
  Registry r;
  auto& g = r.AddGauge("hs_rows", "Rows.").With({});
  int reads = 0;
  r.AddCollector([&] { g.Set(++reads); });
  EXPECT_NE(r.Render().find("hs_rows 1\n"), std::string::npos);
  EXPECT_NE(r.Render().find("hs_rows 2\n"), std::string::npos);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& f = r.AddCounter("hs_par_total", "Parallel.", {"t"});
  auto& h = r.AddHistogram("hs_par_seconds", "Parallel.", {"t"}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f, &h, t] {
      for (int i = 0; i < 10000; ++i) {
        f.With({std::to_string(t % 2)}).Inc();
        h.With({"x"}).Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string out = r.Render();
  EXPECT_NE(out.find("hs_par_total{t=\"0\"} 20000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("hs_par_total{t=\"1\"} 20000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("hs_par_seconds_count{t=\"x\"} 40000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("hs_par_seconds_sum{t=\"x\"} 20000\n"), std::string::npos) << out;
}

TEST(MetricsFormat, Values) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(0.001), "0.001");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

}  // namespace
}  // namespace hs::metrics
