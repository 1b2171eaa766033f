#include "core/money.hpp"

#include <gtest/gtest.h>

namespace hs {
namespace {

TEST(RoundDiv, HalfAwayFromZero) {
  EXPECT_EQ(RoundDiv(5, 10), 1);    // 0.5 -> 1
  EXPECT_EQ(RoundDiv(4, 10), 0);    // 0.4 -> 0
  EXPECT_EQ(RoundDiv(-5, 10), -1);  // -0.5 -> -1
  EXPECT_EQ(RoundDiv(-4, 10), 0);
  EXPECT_EQ(RoundDiv(15, 10), 2);
  EXPECT_EQ(RoundDiv(-15, 10), -2);
  EXPECT_EQ(RoundDiv(1499, 1000), 1);
  EXPECT_EQ(RoundDiv(1500, 1000), 2);
  EXPECT_EQ(RoundDiv(0, 7), 0);
}

TEST(ParseQuantity, AcceptsUpToThreeDecimals) {
  EXPECT_EQ(ParseQuantity("1"), 1000);
  EXPECT_EQ(ParseQuantity("1.5"), 1500);
  EXPECT_EQ(ParseQuantity("1,5"), 1500);
  EXPECT_EQ(ParseQuantity("0.125"), 125);
  EXPECT_EQ(ParseQuantity("-2.25"), -2250);
  EXPECT_EQ(ParseQuantity("123456789.999"), 123456789999);
}

TEST(ParseQuantity, RejectsGarbage) {
  for (const char* bad : {"", "-", "1.", ".5", "1.2345", "abc", "1e3", "1.5x", " 1", "1 ",
                          "1234567890", "--1", "1..2"}) {
    EXPECT_FALSE(ParseQuantity(bad).has_value()) << bad;
  }
}

TEST(FormatQuantity, RoundTrips) {
  EXPECT_EQ(FormatQuantity(1500), "1.5");
  EXPECT_EQ(FormatQuantity(2000), "2");
  EXPECT_EQ(FormatQuantity(125), "0.125");
  EXPECT_EQ(FormatQuantity(-2250), "-2.25");
  EXPECT_EQ(FormatQuantityDe(1500), "1,5");
}

TEST(FormatEuroDe, GermanGroupingAndSign) {
  EXPECT_EQ(FormatEuroDe(0), "0,00 €");
  EXPECT_EQ(FormatEuroDe(5), "0,05 €");
  EXPECT_EQ(FormatEuroDe(123456), "1.234,56 €");
  EXPECT_EQ(FormatEuroDe(100000000), "1.000.000,00 €");
  EXPECT_EQ(FormatEuroDe(-1200), "-12,00 €");
}

TEST(FormatDecimal, PlainDecimal) {
  EXPECT_EQ(FormatDecimal(123456), "1234.56");
  EXPECT_EQ(FormatDecimal(-5), "-0.05");
  EXPECT_EQ(FormatDecimal(100), "1.00");
}

}  // namespace
}  // namespace hs
