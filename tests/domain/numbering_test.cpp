#include "domain/numbering.hpp"

#include <gtest/gtest.h>

namespace hs::domain {
namespace {

TEST(Numbering, DefaultFormat) {
  EXPECT_EQ(FormatInvoiceNumber("RE-{YYYY}-{NNNN}", 2026, 1), "RE-2026-0001");
  EXPECT_EQ(FormatInvoiceNumber("RE-{YYYY}-{NNNN}", 2026, 12345), "RE-2026-12345");
  EXPECT_EQ(FormatInvoiceNumber("{YY}/{NNN}", 2007, 42), "07/042");
  EXPECT_EQ(FormatInvoiceNumber("R{N}", 2026, 9), "R9");
}

TEST(Numbering, ValidatesFormats) {
  EXPECT_TRUE(ValidateNumberFormat("RE-{YYYY}-{NNNN}"));
  EXPECT_TRUE(ValidateNumberFormat("{NNNNNN}"));
  for (const char* bad :
       {"", "RE-{YYYY}", "{NNNN}-{NN}", "{X}", "RE-{NNNN", "RE-}{NNNN}", "{NNNNNNNNNNN}"}) {
    EXPECT_FALSE(ValidateNumberFormat(bad)) << bad;
  }
}

}  // namespace
}  // namespace hs::domain
