#pragma once
// Minimal structured logging to stderr: "2026-11-27T04:42:45.123Z level component: message".
// Never pass secrets (tokens, passwords) to it.
#include <string_view>

namespace hs {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
void SetLogLevel(LogLevel level);
void Log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace hs
