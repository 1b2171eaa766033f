// The civil date in Europe/Berlin, from the operating system's time zone database (Debian's
// tzdata, read through Howard Hinnant's date library: g++ 12 lacks C++20's std::chrono zones).
// This file is the only place that includes the library's headers.
#include <date/tz.h>

#include <stdexcept>

#include "core/date.hpp"

namespace hs {
namespace {

const date::time_zone& Berlin() {
  // Looked up once; the database is immutable while the process runs.
  static const date::time_zone* const zone = date::locate_zone("Europe/Berlin");
  return *zone;
}

}  // namespace

Date BerlinDateOf(Instant instant) {
  const auto local = Berlin().to_local(instant);
  return Date{std::chrono::sys_days{std::chrono::floor<date::days>(local).time_since_epoch()}};
}

std::optional<std::string> CheckTimeZoneData() {
  try {
    (void)Berlin();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string("the time zone Europe/Berlin is not available (install tzdata): ") +
           e.what();
  }
}

}  // namespace hs
