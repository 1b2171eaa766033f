#pragma once
// Time and randomness are injected so retry, lease and rate logic is testable without sleeping.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>

#include "core/date.hpp"

namespace hs {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant Now() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start) : now_ms_(ToUnixMillis(start)) {}
  Instant Now() const override { return FromUnixMillis(now_ms_.load()); }
  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  void Set(Instant to) { now_ms_ = ToUnixMillis(to); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, bound); bound > 0.
  virtual std::uint64_t Below(std::uint64_t bound) = 0;
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Below(std::uint64_t bound) override;

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace hs
