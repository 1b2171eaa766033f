#pragma once
// Small text helpers shared by every layer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hs {

bool IsValidUtf8(std::string_view text);

// The code points of UTF-8 text; every invalid sequence (a stray byte, a truncated, overlong or
// surrogate form, a value beyond U+10FFFF) becomes one U+FFFD.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;
std::u32string DecodeUtf8(std::string_view text);

// Where a typed text may break lines: names, street, e-mail, numbers, titles and file names are
// one line; notes and invoice line texts may hold LF, CR-LF and TAB.
enum class TextShape { kSingleLine, kMultiLine };

// Why a typed text cannot be stored as it is (a German sentence for the school), or nullopt.
// Refused: invalid UTF-8, the C0 and C1 control characters (NUL, ESC, CR, LF, ...) and DEL, the
// bidirectional embedding/override/isolate controls (U+202A..U+202E, U+2066..U+2069, which make
// "rechnung<U+202E>fdp.exe" look like a PDF); in a single-line text also TAB and the Unicode line
// and paragraph separators. A multi-line text keeps LF, CR-LF (a lone CR is refused) and TAB.
std::optional<std::string> TextInputProblem(std::string_view text, TextShape shape);

// Records TextInputProblem(text, shape) as a detail for `field`.
void CheckTextInput(std::string_view text, TextShape shape, const std::string& field,
                    std::vector<FieldError>& errors);
std::string Trim(std::string_view text);
std::string ToLowerAscii(std::string_view text);
std::string HexEncode(std::string_view bytes);

}  // namespace hs
