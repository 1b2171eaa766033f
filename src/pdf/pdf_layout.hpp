#pragma once
// Pure text helpers of the PDF renderer: UTF-8 handling, the split into WinAnsi and Unicode
// runs, and word wrapping. Nothing here touches libharu, so it is unit-testable on its own.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

namespace hs::pdf {

// Decodes UTF-8 (core/text.hpp); an invalid or truncated sequence becomes U+FFFD so broken
// input still renders.
using hs::DecodeUtf8;
std::string EncodeUtf8(std::u32string_view text);

// The Windows-1252 byte of a code point (umlauts, ß, € and the typographic quotes all have one),
// or nullopt.
std::optional<unsigned char> ToCp1252(char32_t code_point);

// A piece of text drawable with one font: Windows-1252 bytes for the base-14 Helvetica
// (WinAnsiEncoding, nothing embedded), or UTF-8 for the embedded Unicode (Identity-H) fallback
// font that is only created when a text needs it.
struct TextRun {
  bool win_ansi = true;
  std::string bytes;

  bool operator==(const TextRun&) const = default;
};

// The font is chosen per word (a maximal run of non-space characters): a word with any
// character outside Windows-1252 is drawn entirely in the Unicode font, so "Łukasz" does not mix
// two typefaces; spaces and all other words use WinAnsi. Widths stay additive at spaces, which
// is all WrapText relies on. Control characters become spaces; code points beyond the BMP
// (libharu's UTF-8 encoder only handles the BMP) become '?', before the font is chosen.
std::vector<TextRun> SplitRuns(std::string_view utf8);

// Replaces tabs/CR/other control characters with a space, keeps '\n' when keep_newlines.
std::string SanitizeText(std::string_view utf8, bool keep_newlines);

// Width of a UTF-8 text in points; widths must be additive (libharu does not kern).
using MeasureFn = std::function<double(std::string_view utf8)>;

// Greedy word wrap into lines no wider than max_width. '\n' starts a new line (an empty line
// stays empty), runs of spaces collapse, and a word wider than the line is broken between code
// points. Always returns at least one line.
std::vector<std::string> WrapText(std::string_view utf8, double max_width,
                                  const MeasureFn& measure);

// Shortens text with a trailing "…" until it fits max_width.
std::string Ellipsize(std::string_view utf8, double max_width, const MeasureFn& measure);

// "DE89370400440532013000" -> "DE89 3704 0044 0532 0130 00" (spaces in the input are ignored).
std::string FormatIban(std::string_view iban);

}  // namespace hs::pdf
