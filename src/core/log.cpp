#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace hs {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
}  // namespace

void SetLogLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}

void Log(LogLevel level, std::string_view component, std::string_view message) {
  if (static_cast<int>(level) < g_level.load()) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  const std::string line = FormatIsoInstant(SystemClock().Now()) + " " +
                           kNames[static_cast<int>(level)] + " " + std::string(component) + ": " +
                           std::string(message) + "\n";
  std::lock_guard lock(g_mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace hs
