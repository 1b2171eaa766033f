#pragma once
// Civil dates (no time zone), UTC instants, and the civil date in Europe/Berlin.
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
Date UtcDateOf(Instant instant);  // the UTC civil date of an instant (wire formats, tests)
// The civil date of an instant in Europe/Berlin, the schools' time zone: every "today" that
// reaches a document, a number or sevdesk. Between 00:00 and 01:00/02:00 German time the UTC
// date is still yesterday's (and on 1 January, last year's).
Date BerlinDateOf(Instant instant);
// Nothing when the time zone database is usable; otherwise why not (checked at start-up, so a
// machine without tzdata fails loudly instead of dating documents wrongly).
std::optional<std::string> CheckTimeZoneData();
Date AddDays(Date date, int days);

// The number written by exactly `count` ASCII digits at `pos` of `text` (for fixed-width date and
// time fields); false when the text is shorter or a character is not a digit.
bool ParseDigits(std::string_view text, std::size_t pos, std::size_t count, int& out);

std::string FormatIsoInstant(Instant instant);  // "2026-11-27T04:42:45.123Z"
std::optional<Instant> ParseIsoInstant(std::string_view text);
std::int64_t ToUnixMillis(Instant instant);
Instant FromUnixMillis(std::int64_t millis);

}  // namespace hs
