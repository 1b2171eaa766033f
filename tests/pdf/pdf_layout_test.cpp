#include "pdf/pdf_layout.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::pdf {
namespace {

// One unit per code point, so widths are easy to reason about.
double CodePoints(std::string_view text) {
  return static_cast<double>(DecodeUtf8(text).size());
}

TEST(PdfLayoutTest, DecodeUtf8ReplacesInvalidSequences) {
  EXPECT_EQ(DecodeUtf8("Größe €"), U"Größe €");
  EXPECT_EQ(DecodeUtf8("a\xC3"), U"a\uFFFD");                      // truncated
  EXPECT_EQ(DecodeUtf8("\xC0\xAF"), U"\uFFFD\uFFFD");              // overlong '/'
  EXPECT_EQ(DecodeUtf8("\xED\xA0\x80x"), U"\uFFFD\uFFFD\uFFFDx");  // surrogate
  EXPECT_EQ(EncodeUtf8(DecodeUtf8("Łukasz 🐕")), "Łukasz 🐕");
}

TEST(PdfLayoutTest, Cp1252CoversGermanTextAndEuro) {
  EXPECT_EQ(ToCp1252(U'€'), 0x80);
  EXPECT_EQ(ToCp1252(U'ä'), 0xE4);
  EXPECT_EQ(ToCp1252(U'ß'), 0xDF);
  EXPECT_EQ(ToCp1252(U'„'), 0x84);
  EXPECT_EQ(ToCp1252(U'–'), 0x96);
  EXPECT_EQ(ToCp1252(U'A'), 'A');
  EXPECT_FALSE(ToCp1252(U'Ł').has_value());
  EXPECT_FALSE(ToCp1252(U'ı').has_value());
  EXPECT_FALSE(ToCp1252(0x81).has_value());  // C1 control, unassigned in 1252
}

TEST(PdfLayoutTest, SplitRunsSeparatesTextOutsideWinAnsi) {
  EXPECT_EQ(SplitRuns("Größe 1,00 €"), (std::vector<TextRun>{{true,
                                                              "Gr\xF6\xDF"
                                                              "e 1,00 \x80"}}));
  // The font is chosen per word: a word with one character outside Windows-1252 goes to the
  // Unicode font whole, the spaces and the other words stay WinAnsi.
  EXPECT_EQ(SplitRuns("Łukasz Yılmaz"),
            (std::vector<TextRun>{{false, "Łukasz"}, {true, " "}, {false, "Yılmaz"}}));
  EXPECT_EQ(
      SplitRuns("Kurs für  Şahin-Groß am 1.12."),
      (std::vector<TextRun>{{true, "Kurs f\xFCr  "}, {false, "Şahin-Groß"}, {true, " am 1.12."}}));
  // libharu's UTF-8 encoder handles the BMP only; the '?' that replaces the rest is WinAnsi.
  EXPECT_EQ(SplitRuns("Hund 🐕"), (std::vector<TextRun>{{true, "Hund ?"}}));
  EXPECT_EQ(SplitRuns("a\tb"), (std::vector<TextRun>{{true, "a b"}}));
  EXPECT_TRUE(SplitRuns("").empty());
}

TEST(PdfLayoutTest, SanitizeTextNormalisesLineBreaksAndControls) {
  EXPECT_EQ(SanitizeText("a\r\nb\rc\td", true), "a\nb\nc d");
  EXPECT_EQ(SanitizeText("a\r\nb\nc", false), "a b c");
}

TEST(PdfLayoutTest, WrapTextBreaksAtSpaces) {
  const auto lines = WrapText("Einzelstunde für den Hundeführerschein", 17, CodePoints);
  EXPECT_EQ(lines, (std::vector<std::string>{"Einzelstunde für", "den", "Hundeführerschein"}));
}

TEST(PdfLayoutTest, WrapTextNeverExceedsTheWidth) {
  const std::string text =
      "Gruppenkurs   Grundgehorsam (8 Termine) inklusive Prüfung, Urkunde und "
      "Nachbesprechung mit der Trainerin – Donnerstagsgruppe";
  for (double width : {5.0, 12.0, 20.0, 33.0}) {
    const auto lines = WrapText(text, width, CodePoints);
    std::string joined;
    for (const auto& line : lines) {
      EXPECT_LE(CodePoints(line), width) << line;
      EXPECT_FALSE(line.empty());
      joined += line;
    }
    // Nothing but the collapsed spaces is lost.
    std::string expected;
    for (char c : text) {
      if (c != ' ') expected += c;
    }
    std::string actual;
    for (char c : joined) {
      if (c != ' ') actual += c;
    }
    EXPECT_EQ(actual, expected) << "width " << width;
  }
}

TEST(PdfLayoutTest, WrapTextCutsOverlongWordsBetweenCodePoints) {
  const auto lines = WrapText("ÄÖÜäöüß", 3, CodePoints);
  EXPECT_EQ(lines, (std::vector<std::string>{"ÄÖÜ", "äöü", "ß"}));
  // Even an impossible width makes progress, one code point per line.
  EXPECT_EQ(WrapText("ab", 0.5, CodePoints), (std::vector<std::string>{"a", "b"}));
}

TEST(PdfLayoutTest, WrapTextKeepsParagraphsAndEmptyLines) {
  EXPECT_EQ(WrapText("eins\n\nzwei drei", 4, CodePoints),
            (std::vector<std::string>{"eins", "", "zwei", "drei"}));
  EXPECT_EQ(WrapText("", 10, CodePoints), (std::vector<std::string>{""}));
}

TEST(PdfLayoutTest, EllipsizeShortensToWidth) {
  EXPECT_EQ(Ellipsize("Hundeschule", 20, CodePoints), "Hundeschule");
  EXPECT_EQ(Ellipsize("Hundeschule", 6, CodePoints), "Hunde…");
  EXPECT_EQ(Ellipsize("Größe", 1, CodePoints), "…");
}

TEST(PdfLayoutTest, FormatIbanGroupsByFour) {
  EXPECT_EQ(FormatIban("DE89370400440532013000"), "DE89 3704 0044 0532 0130 00");
  EXPECT_EQ(FormatIban("de89 3704 0044 0532 0130 00"), "DE89 3704 0044 0532 0130 00");
  EXPECT_EQ(FormatIban(""), "");
}

}  // namespace
}  // namespace hs::pdf
