#include "core/date.hpp"

#include <gtest/gtest.h>

namespace hs {
namespace {

TEST(Date, ParsesAndFormatsIso) {
  auto d = ParseIsoDate("2026-11-27");
  ASSERT_TRUE(d);
  EXPECT_EQ(FormatIsoDate(*d), "2026-11-27");
  EXPECT_EQ(FormatDateDe(*d), "27.11.2026");
  EXPECT_EQ(YearOf(*d), 2026);
  EXPECT_EQ(FormatIsoDate(AddDays(*d, 5)), "2026-12-02");
  EXPECT_EQ(FormatIsoDate(AddDays(*d, -27 - 30)), "2026-10-01");
}

TEST(Date, RejectsInvalidDates) {
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-1-1", "27.11.2026", "", "2026-11-27x",
                          "abcd-ef-gh", "2025-02-29"}) {
    EXPECT_FALSE(ParseIsoDate(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseIsoDate("2024-02-29").has_value());
}

TEST(Instant, RoundTripsIso) {
  const Instant t = FromUnixMillis(1795754565123);
  const std::string text = FormatIsoInstant(t);
  EXPECT_EQ(text, "2026-11-27T04:42:45.123Z");
  EXPECT_EQ(ParseIsoInstant(text), t);
  EXPECT_EQ(FormatIsoDate(UtcDateOf(t)), "2026-11-27");
  EXPECT_FALSE(ParseIsoInstant("2026-11-27T04:42:45").has_value());
}

// Europe/Berlin: CET (UTC+1) in winter, CEST (UTC+2) from the last Sunday of March 01:00 UTC to
// the last Sunday of October 01:00 UTC. Each row: an instant and the German civil date.
TEST(BerlinDate, IsTheGermanCivilDateAroundMidnightDstAndNewYear) {
  struct Row {
    const char* instant;
    const char* berlin_date;
  };
  const Row rows[] = {
      // New Year: 23:30 UTC on 31 December is already 00:30 on 1 January in Germany.
      {"2026-12-31T22:59:59.999Z", "2026-12-31"},
      {"2026-12-31T23:00:00.000Z", "2027-01-01"},
      {"2026-12-31T23:30:00.000Z", "2027-01-01"},
      // Winter: midnight German time is 23:00 UTC the day before.
      {"2026-02-10T22:59:59.999Z", "2026-02-10"},
      {"2026-02-10T23:00:00.000Z", "2026-02-11"},
      // Summer (CEST): midnight German time is 22:00 UTC the day before.
      {"2026-07-14T21:59:59.999Z", "2026-07-14"},
      {"2026-07-14T22:00:00.000Z", "2026-07-15"},
      // Spring switch, Sunday 29 March 2026 (02:00 CET -> 03:00 CEST at 01:00 UTC).
      {"2026-03-28T22:59:59.999Z", "2026-03-28"},
      {"2026-03-28T23:00:00.000Z", "2026-03-29"},
      {"2026-03-29T00:59:59.999Z", "2026-03-29"},
      {"2026-03-29T01:00:00.000Z", "2026-03-29"},
      {"2026-03-29T21:59:59.999Z", "2026-03-29"},  // the first CEST midnight: 22:00 UTC
      {"2026-03-29T22:00:00.000Z", "2026-03-30"},
      // Autumn switch, Sunday 25 October 2026 (03:00 CEST -> 02:00 CET at 01:00 UTC).
      {"2026-10-24T21:59:59.999Z", "2026-10-24"},
      {"2026-10-24T22:00:00.000Z", "2026-10-25"},
      {"2026-10-25T00:30:00.000Z", "2026-10-25"},  // 02:30 CEST, the first of the two 02:30s
      {"2026-10-25T01:30:00.000Z", "2026-10-25"},  // 02:30 CET, the second
      {"2026-10-25T22:59:59.999Z", "2026-10-25"},  // the first CET midnight: 23:00 UTC
      {"2026-10-25T23:00:00.000Z", "2026-10-26"},
      // A leap day and a year with another switch date (last Sunday of March 2027: the 28th).
      {"2028-02-28T23:00:00.000Z", "2028-02-29"},
      {"2027-03-27T23:30:00.000Z", "2027-03-28"},
      {"2027-03-28T22:30:00.000Z", "2027-03-29"},
  };
  for (const Row& row : rows) {
    const auto instant = ParseIsoInstant(row.instant);
    ASSERT_TRUE(instant) << row.instant;
    EXPECT_EQ(FormatIsoDate(BerlinDateOf(*instant)), row.berlin_date) << row.instant;
  }
}

TEST(BerlinDate, TheTimeZoneDataIsThere) {
  EXPECT_EQ(CheckTimeZoneData(), std::nullopt);
}

}  // namespace
}  // namespace hs
