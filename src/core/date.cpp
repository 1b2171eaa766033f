#include "core/date.hpp"

#include <cstdio>

namespace hs {

bool ParseDigits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

std::optional<Date> ParseIsoDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!ParseDigits(text, 0, 4, y) || !ParseDigits(text, 5, 2, m) || !ParseDigits(text, 8, 2, d)) {
    return std::nullopt;
  }
  const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok() || y < 1900 || y > 2999) return std::nullopt;
  return date;
}

std::string FormatIsoDate(Date date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

std::string FormatDateDe(Date date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%04d", static_cast<unsigned>(date.day()),
                static_cast<unsigned>(date.month()), static_cast<int>(date.year()));
  return buf;
}

int YearOf(Date date) {
  return static_cast<int>(date.year());
}

Date UtcDateOf(Instant instant) {
  return Date{std::chrono::floor<std::chrono::days>(instant)};
}

Date AddDays(Date date, int days) {
  return Date{std::chrono::sys_days{date} + std::chrono::days{days}};
}

std::string FormatIsoInstant(Instant instant) {
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::hh_mm_ss<std::chrono::milliseconds> tod{instant - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", FormatIsoDate(Date{day}).c_str(),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buf;
}

std::optional<Instant> ParseIsoInstant(std::string_view text) {
  if (text.size() < 20) return std::nullopt;
  auto date = ParseIsoDate(text.substr(0, 10));
  int h = 0, mi = 0, s = 0, ms = 0;
  if (!date || text[10] != 'T' || !ParseDigits(text, 11, 2, h) || text[13] != ':' ||
      !ParseDigits(text, 14, 2, mi) || text[16] != ':' || !ParseDigits(text, 17, 2, s)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    if (!ParseDigits(text, pos + 1, 3, ms)) return std::nullopt;
    pos += 4;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  return Instant{std::chrono::sys_days{*date}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s} + std::chrono::milliseconds{ms};
}

std::int64_t ToUnixMillis(Instant instant) {
  return instant.time_since_epoch().count();
}
Instant FromUnixMillis(std::int64_t millis) {
  return Instant{std::chrono::milliseconds{millis}};
}

}  // namespace hs
