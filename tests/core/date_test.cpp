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
  EXPECT_EQ(FormatIsoDate(DateOf(t)), "2026-11-27");
  EXPECT_FALSE(ParseIsoInstant("2026-11-27T04:42:45").has_value());
}

}  // namespace
}  // namespace hs
