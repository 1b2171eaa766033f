#include "domain/numbering.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace hs::domain {
namespace {

TEST(Numbering, DefaultFormat) {
  EXPECT_EQ(FormatInvoiceNumber("RE-{YYYY}-{NNNN}", 2026, 1), "RE-2026-0001");
  EXPECT_EQ(FormatInvoiceNumber("RE-{YYYY}-{NNNN}", 2026, 12345), "RE-2026-12345");
  EXPECT_EQ(FormatInvoiceNumber("{YY}/{NNN}", 2007, 42), "07/042");
  EXPECT_EQ(FormatInvoiceNumber("R{N}", 2026, 9), "R9");
}

TEST(Numbering, ValidatesFormats) {
  struct Case {
    const char* format;
    bool valid;
    const char* message_part;  // of the German message of an invalid format
  };
  const std::vector<Case> cases = {
      {"RE-{YYYY}-{NNNN}", true, ""},
      {"{YY}/{NNN}", true, ""},
      {"{NNNN}-{YYYY}", true, ""},
      {"R{YYYY}{N}", true, ""},
      {"{YYYY}-{YY}-{NN}", true, ""},
      // The sequence restarts every year: without the year the numbers repeat (issue 13).
      {"RE-{NNNN}", false, "Jahr"},
      {"{NNNNNN}", false, "Jahr"},
      {"2026-{NNNN}", false, "Jahr"},
      {"", false, "1 bis 50"},
      {"RE-{YYYY}", false, "genau einen"},
      {"{YYYY}{NNNN}-{NN}", false, "genau einen"},
      {"{NNNN}-{NN}", false, "genau einen"},
      {"{X}", false, "Unbekannter Platzhalter"},
      {"RE-{NNNN", false, "Nicht geschlossene"},
      {"RE-}{NNNN}", false, "Unerwartete Klammer"},
      {"{YYYY}{NNNNNNNNNNN}", false, "10 Stellen"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.format);
    const auto st = ValidateNumberFormat(c.format);
    EXPECT_EQ(static_cast<bool>(st), c.valid);
    if (!st) {
      EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(st.error().message.find(c.message_part), std::string::npos) << st.error().message;
    }
  }
}

// Valid formats give every (year, sequence) its own number: no two of a few years and
// sequences around the padding width coincide.
TEST(Numbering, ValidFormatsKeepNumbersUnique) {
  for (const char* format :
       {"RE-{YYYY}-{NNNN}", "{YY}{N}", "{N}{YY}", "{NN}{YYYY}1", "R{YYYY}{N}"}) {
    SCOPED_TRACE(format);
    ASSERT_TRUE(ValidateNumberFormat(format));
    std::set<std::string> seen;
    int count = 0;
    for (int year : {2025, 2026, 2027, 2125}) {
      if (year == 2125 && std::string(format).find("{YY}") != std::string::npos) continue;
      for (std::int64_t sequence = 1; sequence <= 1200; ++sequence) {
        seen.insert(FormatInvoiceNumber(format, year, sequence));
        ++count;
      }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));
  }
}

}  // namespace
}  // namespace hs::domain
