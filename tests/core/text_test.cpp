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
