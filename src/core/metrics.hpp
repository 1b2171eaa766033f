#pragma once
// A small metrics registry in the Prometheus text exposition format (version 0.0.4): counters,
// gauges and histograms with fixed buckets, in families with a fixed set of label names.
//
// Recording is lock-free on the values (atomics); finding a family's series takes a shared lock
// only (an exclusive one the first time a label set is seen), so the transfer engine's workers
// never wait on each other for metrics. Label values must come from small fixed sets (a state, an
// endpoint template, a status code): a family keeps at most `max_series` series, and further
// label sets are all counted in one series whose labels read "other".
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hs::metrics {

class Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending (the +Inf bucket is implicit).
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound (as exposed: le="bound"), then +Inf.
  std::vector<std::uint64_t> CumulativeCounts() const;
  std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>& bounds_;  // the family's
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms to 30 s.
const std::vector<double>& LatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// A metric name with its help text, label names and series.
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::size_t max_series, std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        max_series_(max_series),
        bounds_(std::move(bounds)) {}

  // The series of these label values (as many as label names).
  Metric& With(const std::vector<std::string>& values);
  // Every series with its label values, in label order.
  std::vector<std::pair<std::vector<std::string>, const Metric*>> Series() const;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  std::unique_ptr<Metric> Make() const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

class Registry {
 public:
  static constexpr std::size_t kMaxSeries = 200;

  // Names follow Prometheus conventions (counters end in _total, units in the name: _seconds).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {},
                              std::size_t max_series = kMaxSeries);
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {},
                          std::size_t max_series = kMaxSeries);
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = LatencyBuckets(),
                                  std::size_t max_series = kMaxSeries);
  // Runs before every rendering (e.g. sets gauges read from the database); one scrape at a time.
  void AddCollector(std::function<void()> collect);

  // Runs the collectors, then renders every family in the order they were added.
  std::string Render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  mutable std::mutex mutex_;         // families and collectors (not the values)
  mutable std::mutex scrape_mutex_;  // one scrape at a time
  std::vector<Entry> families_;
  std::vector<std::function<void()>> collectors_;
};

// Exposition helpers (exposed for tests and other renderers).
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// Shortest text that reads back as the same double; +Inf, -Inf, NaN as Prometheus writes them.
std::string FormatValue(double value);

}  // namespace hs::metrics
