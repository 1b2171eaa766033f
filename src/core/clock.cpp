#include "core/clock.hpp"

namespace hs {

Instant SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::uint64_t SeededRandom::Below(std::uint64_t bound) {
  std::lock_guard lock(mutex_);
  return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine_);
}

}  // namespace hs
