#include "sevdesk/sandbox/wire.hpp"

#include <gtest/gtest.h>

namespace hs::sevdesk::sandbox {
namespace {

TEST(SandboxWire, BerlinOffsetsFollowEuDaylightSaving) {
  // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
  EXPECT_EQ(FormatBerlin(BerlinMidnight(Date{std::chrono::year{2026} / 9 / 1})),
            "2026-09-01T00:00:00+02:00");
  EXPECT_EQ(FormatBerlin(BerlinMidnight(Date{std::chrono::year{2026} / 10 / 31})),
            "2026-10-31T00:00:00+01:00");
  EXPECT_EQ(FormatBerlin(BerlinMidnight(Date{std::chrono::year{2026} / 3 / 29})),
            "2026-03-29T00:00:00+01:00");
  EXPECT_EQ(FormatBerlin(BerlinMidnight(Date{std::chrono::year{2026} / 3 / 30})),
            "2026-03-30T00:00:00+02:00");
  EXPECT_EQ(FormatBerlin(BerlinMidnight(Date{std::chrono::year{2026} / 10 / 25})),
            "2026-10-25T00:00:00+02:00");
  // 1788213600 = 2026-09-01 00:00 Berlin (sevdesk-api.md example).
  EXPECT_EQ(FormatBerlin(Instant{std::chrono::seconds{1788213600}}), "2026-09-01T00:00:00+02:00");
}

TEST(SandboxWire, ParsesTheDateFormatsSevdeskAccepts) {
  const auto expected = BerlinMidnight(Date{std::chrono::year{2026} / 9 / 1});
  EXPECT_EQ(ParseSevdeskDate(Json("01.09.2026")), expected);
  EXPECT_EQ(ParseSevdeskDate(Json("2026-09-01")), expected);
  EXPECT_EQ(ParseSevdeskDate(Json(1788213600)), expected);
  EXPECT_EQ(ParseSevdeskDate(Json("1788213600")), expected);
  EXPECT_EQ(ParseSevdeskDate(Json("2026-09-01T00:00:00+02:00")), expected);
  EXPECT_FALSE(ParseSevdeskDate(Json("31.02.2026")));
  EXPECT_FALSE(ParseSevdeskDate(Json("2026/09/01")));
  EXPECT_FALSE(ParseSevdeskDate(Json("1.9.2026")));
  EXPECT_FALSE(ParseSevdeskDate(Json("gestern")));
  EXPECT_FALSE(ParseSevdeskDate(Json(true)));
}

TEST(SandboxWire, AmountsAndRates) {
  EXPECT_EQ(ParseAmount(Json("178.50")), 17850);
  EXPECT_EQ(ParseAmount(Json(178.5)), 17850);
  EXPECT_EQ(ParseAmount(Json(-57.49)), -5749);
  EXPECT_EQ(ParseAmount(Json(3)), 300);
  EXPECT_FALSE(ParseAmount(Json("1.234")));
  EXPECT_FALSE(ParseAmount(Json("1,50")));
  EXPECT_FALSE(ParseAmount(Json("")));
  EXPECT_EQ(ParseRate(Json("19.00")), 1900);
  EXPECT_EQ(ParseRate(Json(7.0)), 700);
  EXPECT_EQ(FormatAmount(5500), "55");
  EXPECT_EQ(FormatAmount(1045), "10.45");
  EXPECT_EQ(FormatAmount(-1840), "-18.4");
  EXPECT_EQ(FormatAmount(0), "0");
  EXPECT_EQ(FormatAmount(-5), "-0.05");
  EXPECT_EQ(FormatRate(1900), "19");
}

TEST(SandboxWire, ScalarsBecomeSevdeskStrings) {
  EXPECT_EQ(ToWireString(Json(1000)), "1000");
  EXPECT_EQ(ToWireString(Json(1.5)), "1.5");
  EXPECT_EQ(ToWireFlag(Json(true)), "1");
  EXPECT_EQ(ToWireFlag(Json("0")), "0");
  EXPECT_EQ(RefId(Json{{"id", 3}, {"objectName", "Category"}}), "3");
  EXPECT_EQ(RefId(Json{{"id", "3"}, {"objectName", "Category"}}), "3");
  EXPECT_FALSE(RefId(Json(3)));
}

}  // namespace
}  // namespace hs::sevdesk::sandbox
