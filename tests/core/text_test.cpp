#include "core/text.hpp"

#include <gtest/gtest.h>

namespace hs {
namespace {

TEST(Utf8, AcceptsValidText) {
  EXPECT_TRUE(IsValidUtf8("Hundeführerschein € ✓ 🐕"));
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(Utf8, RejectsInvalidSequences) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ab\xFF"));
}

TEST(Text, Helpers) {
  EXPECT_EQ(Trim("  a b \n"), "a b");
  EXPECT_EQ(ToLowerAscii("AbC"), "abc");
  EXPECT_EQ(HexEncode(std::string("\x01\xAB", 2)), "01ab");
}

}  // namespace
}  // namespace hs

namespace hs {
namespace {

struct TextCase {
  const char* name;
  std::string text;
  TextShape shape;
  bool accepted;
};

TEST(TextInput, RefusesControlCharactersWhereTheyMakeNoSense) {
  const TextCase cases[] = {
      {"plain German", "Frau Müller-Lüdenscheidt, Straße 5 €", TextShape::kSingleLine, true},
      {"emoji and Hebrew are text", "Bello 🐕 שלום", TextShape::kSingleLine, true},
      {"empty", "", TextShape::kSingleLine, true},
      {"NUL", std::string("Rex\0.pdf", 8), TextShape::kSingleLine, false},
      {"ESC", "Rex\x1B[31m", TextShape::kSingleLine, false},
      {"LF in a name", "Rex\nBello", TextShape::kSingleLine, false},
      {"CR in a name", "Rex\rBello", TextShape::kSingleLine, false},
      {"TAB in a name", "Rex\tBello", TextShape::kSingleLine, false},
      {"DEL", "Rex\x7F", TextShape::kSingleLine, false},
      {"C1 control (U+0085)", "Rex\xC2\x85", TextShape::kSingleLine, false},
      {"bidi override (U+202E)",
       "rechnung\xE2\x80\xAE"
       "fdp.exe",
       TextShape::kSingleLine, false},
      {"bidi isolate (U+2066)",
       "a\xE2\x81\xA6"
       "b",
       TextShape::kMultiLine, false},
      {"line separator in a name",
       "a\xE2\x80\xA8"
       "b",
       TextShape::kSingleLine, false},
      {"invalid UTF-8", "M\xFCller", TextShape::kSingleLine, false},
      {"LF in a note", "Zeile 1\nZeile 2", TextShape::kMultiLine, true},
      {"CR-LF in a note", "Zeile 1\r\nZeile 2", TextShape::kMultiLine, true},
      {"TAB in a note", "Menge\t3", TextShape::kMultiLine, true},
      {"lone CR in a note", "Zeile 1\rZeile 2", TextShape::kMultiLine, false},
      {"CR at the end of a note", "Zeile 1\r", TextShape::kMultiLine, false},
      {"NUL in a note", std::string("a\0b", 3), TextShape::kMultiLine, false},
      {"ESC in a note",
       "a\x1B"
       "b",
       TextShape::kMultiLine, false},
      {"invalid UTF-8 in a note", "\xC3", TextShape::kMultiLine, false},
  };
  for (const auto& c : cases) {
    const auto problem = TextInputProblem(c.text, c.shape);
    EXPECT_EQ(!problem.has_value(), c.accepted) << c.name;
  }
}

TEST(TextInput, CheckTextInputNamesTheFieldInGerman) {
  std::vector<FieldError> errors;
  CheckTextInput("ok", TextShape::kSingleLine, "name", errors);
  CheckTextInput("a\nb", TextShape::kSingleLine, "city", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "city");
  EXPECT_NE(errors[0].message.find("Steuerzeichen"), std::string::npos);
}

TEST(TextInput, DecodeUtf8DecodesCodePoints) {
  EXPECT_EQ(DecodeUtf8("aü€🐕"), std::u32string(U"aü€🐕"));
}

}  // namespace
}  // namespace hs
