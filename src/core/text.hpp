#pragma once
// Small text helpers shared by every layer.
#include <string>
#include <string_view>

namespace hs {

bool IsValidUtf8(std::string_view text);
std::string Trim(std::string_view text);
std::string ToLowerAscii(std::string_view text);
std::string HexEncode(std::string_view bytes);

}  // namespace hs
