#include "pdf/printable.hpp"

#include <gtest/gtest.h>

namespace hs::pdf {
namespace {

TEST(Printable, UnprintableCharactersFollowWhatTheRendererCanDo) {
  struct Case {
    const char* name;
    std::string text;
    std::u32string unprintable;
  };
  const Case cases[] = {
      {"German with € and quotes", "Grüße „Rex“ – 5 € • 3½", U""},
      {"Latin Extended, Greek, Cyrillic (DejaVu)", "Łukasz Dvořák Ελλάδα Ёжик", U""},
      {"line breaks and tabs of a note", "Zeile 1\r\nZeile 2\tTab", U""},
      {"combining mark (decomposed ü)", "Mu\xCC\x88ller", U""},
      {"emoji", "Bello 🐕🐕 😀", U"🐕😀"},
      {"Hebrew (right to left)", "שלום", U"שלום"},
      {"Arabic (right to left, joined)", "مرحبا", U"مرحبا"},
      {"Arabic presentation form", "\xEF\xBB\xB7", U"\uFEF7"},
      {"right-to-left mark",
       "a\xE2\x80\x8F"
       "b",
       U"\u200F"},
      {"zero-width joiner",
       "a\xE2\x80\x8D"
       "b",
       U"\u200D"},
      {"byte order mark", "\xEF\xBB\xBFRex", U"\uFEFF"},
      {"private use", "\xEE\x80\x80", U"\uE000"},
      {"CJK (no glyph in DejaVu Sans)", "犬", U"犬"},
      {"control character", std::string("a\0b\x1B", 4), std::u32string(U"\0\x1B", 2)},
      {"invalid UTF-8", "M\xFCller", U"\uFFFD"},
  };
  for (const auto& c : cases) EXPECT_EQ(UnprintableCharacters(c.text), c.unprintable) << c.name;
}

TEST(Printable, DescribeCharactersQuotesAndNamesCodePoints) {
  EXPECT_EQ(DescribeCharacters(U"🐕"), "„🐕“ (U+1F415)");
  EXPECT_EQ(DescribeCharacters(U"\u200Fש"), "U+200F, „ש“ (U+05E9)");
  EXPECT_EQ(DescribeCharacters(U"abc", 2), "„a“ (U+0061), „b“ (U+0062), …");
}

TEST(Printable, UnprintableFieldsNameEveryPrintedText) {
  domain::School school;
  school.name = "Pfotenglück";
  school.bank_name = "Bank 🏦";
  domain::Invoice invoice;
  invoice.number = "RE-2026-0001";
  invoice.lines = {{"Einzelstunde", 1000, "Stunde", 5500, 19},
                   {"Kurs für שרה", 1000, "Kurs", 5500, 19}};
  invoice.notes = "Danke! 😀";
  invoice.customer_snapshot.name = "Łukasz";
  invoice.customer_snapshot.address.city = "مدينة";
  const auto fields = UnprintableFields(school, invoice);
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.field);
  EXPECT_EQ(names, (std::vector<std::string>{"lines[1].text", "notes", "customer.address.city",
                                             "school.bank_name"}));
  EXPECT_NE(fields[1].message.find("„😀“ (U+1F600)"), std::string::npos) << fields[1].message;
}

}  // namespace
}  // namespace hs::pdf
