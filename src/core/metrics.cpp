#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hs::metrics {

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size())) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  // The first bucket whose bound holds the value; none: only the +Inf bucket (the count).
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) {
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1,
                                                                       std::memory_order_relaxed);
  }
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
  std::vector<std::uint64_t> out;
  out.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(running);
  }
  // Read after the buckets: an observation in between shows in +Inf, never +Inf < a bucket.
  out.push_back(std::max(running, Count()));
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30};
  return kBuckets;
}

template <class Metric>
std::unique_ptr<Metric> Family<Metric>::Make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(bounds_);
  } else {
    return std::make_unique<Metric>();
  }
}

template <class Metric>
Metric& Family<Metric>::With(const std::vector<std::string>& values) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(values); it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  if (auto it = series_.find(values); it != series_.end()) return *it->second;
  if (values.size() != label_names_.size() || series_.size() >= max_series_) {
    // A bug or an unbounded label: counted, but never a new series per value.
    std::vector<std::string> other(label_names_.size(), "other");
    auto& slot = series_[other];
    if (!slot) slot = Make();
    return *slot;
  }
  auto& slot = series_[values];
  slot = Make();
  return *slot;
}

template <class Metric>
std::vector<std::pair<std::vector<std::string>, const Metric*>> Family<Metric>::Series() const {
  std::shared_lock lock(mutex_);
  std::vector<std::pair<std::vector<std::string>, const Metric*>> out;
  out.reserve(series_.size());
  for (const auto& [labels, metric] : series_) out.emplace_back(labels, metric.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::size_t max_series) {
  std::lock_guard lock(mutex_);
  Entry e{Type::kCounter, {}, {}, {}};
  e.counter = std::make_unique<Family<Counter>>(std::move(name), std::move(help),
                                                std::move(label_names), max_series);
  families_.push_back(std::move(e));
  return *families_.back().counter;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::size_t max_series) {
  std::lock_guard lock(mutex_);
  Entry e{Type::kGauge, {}, {}, {}};
  e.gauge = std::make_unique<Family<Gauge>>(std::move(name), std::move(help),
                                            std::move(label_names), max_series);
  families_.push_back(std::move(e));
  return *families_.back().gauge;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds, std::size_t max_series) {
  std::sort(bounds.begin(), bounds.end());
  std::lock_guard lock(mutex_);
  Entry e{Type::kHistogram, {}, {}, {}};
  e.histogram = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(label_names), max_series, std::move(bounds));
  families_.push_back(std::move(e));
  return *families_.back().histogram;
}

void Registry::AddCollector(std::function<void()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {

// {a="x",b="y"} with `extra` (e.g. le="0.5") last; "" without labels.
std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
  if (!out.empty()) out += "}";
  return out;
}

template <class Metric>
void Header(std::string& out, const Family<Metric>& f, const char* type) {
  out += "# HELP " + f.name() + " " + EscapeHelp(f.help()) + "\n";
  out += "# TYPE " + f.name() + " " + type + "\n";
}

void RenderCounters(std::string& out, const Family<Counter>& f) {
  Header(out, f, "counter");
  for (const auto& [labels, c] : f.Series()) {
    out += f.name() + Labels(f.label_names(), labels) + " " + std::to_string(c->Value()) + "\n";
  }
}

void RenderGauges(std::string& out, const Family<Gauge>& f) {
  Header(out, f, "gauge");
  for (const auto& [labels, g] : f.Series()) {
    out += f.name() + Labels(f.label_names(), labels) + " " + FormatValue(g->Value()) + "\n";
  }
}

void RenderHistograms(std::string& out, const Family<Histogram>& f) {
  Header(out, f, "histogram");
  for (const auto& [labels, h] : f.Series()) {
    const std::vector<std::uint64_t> counts = h->CumulativeCounts();
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const std::string le =
          i < h->bounds().size() ? FormatValue(h->bounds()[i]) : std::string("+Inf");
      out += f.name() + "_bucket" + Labels(f.label_names(), labels, "le=\"" + le + "\"") + " " +
             std::to_string(counts[i]) + "\n";
    }
    const std::string plain = Labels(f.label_names(), labels);
    out += f.name() + "_sum" + plain + " " + FormatValue(h->Sum()) + "\n";
    out += f.name() + "_count" + plain + " " + std::to_string(counts.back()) + "\n";
  }
}

}  // namespace

std::string Registry::Render() const {
  std::lock_guard scrape(scrape_mutex_);
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect();
  std::lock_guard lock(mutex_);
  std::string out;
  for (const Entry& e : families_) {
    switch (e.type) {
      case Type::kCounter:
        RenderCounters(out, *e.counter);
        break;
      case Type::kGauge:
        RenderGauges(out, *e.gauge);
        break;
      case Type::kHistogram:
        RenderHistograms(out, *e.histogram);
        break;
    }
  }
  return out;
}

}  // namespace hs::metrics
