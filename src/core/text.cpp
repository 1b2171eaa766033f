#include "core/text.hpp"

namespace hs {

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    std::size_t length = 0;
    char32_t value = 0;
    char32_t min_value = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      value = lead & 0x1F;
      min_value = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      value = lead & 0x0F;
      min_value = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      value = lead & 0x07;
      min_value = 0x10000;
    } else {
      out.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    bool valid = i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        valid = false;
      } else {
        value = (value << 6) | (next & 0x3F);
      }
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid UTF-8 as well.
    if (!valid || value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      out.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    out.push_back(value);
    i += length;
  }
  return out;
}

namespace {

bool IsControlCharacter(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0);
}

bool IsBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Whether code point `i` of `text` may stand in a text of `shape`.
bool AllowedAt(const std::u32string& text, std::size_t i, TextShape shape) {
  const char32_t c = text[i];
  const bool multi = shape == TextShape::kMultiLine;
  if (c == U'\n' || c == U'\t') return multi;
  if (c == U'\r') return multi && i + 1 < text.size() && text[i + 1] == U'\n';
  if (c == 0x2028 || c == 0x2029) return multi;
  return !IsControlCharacter(c) && !IsBidiControl(c);
}

}  // namespace

std::optional<std::string> TextInputProblem(std::string_view text, TextShape shape) {
  if (!IsValidUtf8(text)) return "Kein gültiger Text (UTF-8).";
  const std::u32string points = DecodeUtf8(text);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (AllowedAt(points, i, shape)) continue;
    if (shape == TextShape::kSingleLine) {
      return "Steuerzeichen wie Zeilenumbrüche oder Tabulatoren sind hier nicht erlaubt.";
    }
    return "Steuerzeichen sind nicht erlaubt (nur Zeilenumbrüche und Tabulatoren).";
  }
  return std::nullopt;
}

void CheckTextInput(std::string_view text, TextShape shape, const std::string& field,
                    std::vector<FieldError>& errors) {
  if (auto problem = TextInputProblem(text, shape)) errors.push_back({field, std::move(*problem)});
}

std::string Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char b : bytes) {
    const auto u = static_cast<unsigned char>(b);
    out += kDigits[u >> 4];
    out += kDigits[u & 0xF];
  }
  return out;
}

}  // namespace hs
