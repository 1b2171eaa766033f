#pragma once
// Small text helpers of HTTP's header grammar, shared by the parser, multipart and compression.
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace hs::http {

// Header names, tokens and parameter keys compare case-insensitively (ASCII only).
inline std::string LowerAscii(std::string_view text) {
  return ToLowerAscii(text);
}

// Optional white space (RFC 9110 OWS: spaces and tabs) around a value.
inline std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace hs::http
