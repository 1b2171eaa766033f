#pragma once
// Civil dates (no time zone) and UTC instants.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hs {

using Date = std::chrono::year_month_day;
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

std::optional<Date> ParseIsoDate(std::string_view text);  // "2026-11-27", valid dates only
std::string FormatIsoDate(Date date);                     // "2026-11-27"
std::string FormatDateDe(Date date);                      // "27.11.2026"
int YearOf(Date date);
Date DateOf(Instant instant);  // the UTC civil date of an instant
Date AddDays(Date date, int days);

std::string FormatIsoInstant(Instant instant);  // "2026-11-27T04:42:45.123Z"
std::optional<Instant> ParseIsoInstant(std::string_view text);
std::int64_t ToUnixMillis(Instant instant);
Instant FromUnixMillis(std::int64_t millis);

}  // namespace hs
