#include "pdf/pdf_layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace hs::pdf {

namespace {

// Windows-1252 0x80..0x9F; 0 marks the five unassigned bytes.
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

bool IsControl(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0);
}

// Byte length of the code point starting at text[pos] (1 for an invalid lead byte), so a long
// word can be cut between code points without decoding the whole text.
std::size_t CodePointLength(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 1;
  if (lead >= 0xF0) {
    length = 4;
  } else if (lead >= 0xE0) {
    length = 3;
  } else if (lead >= 0xC0) {
    length = 2;
  }
  if (pos + length > text.size()) return 1;
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 1;
  }
  return length;
}

}  // namespace

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::optional<unsigned char> ToCp1252(char32_t code_point) {
  if (code_point < 0x80 || (code_point >= 0xA0 && code_point <= 0xFF)) {
    return static_cast<unsigned char>(code_point);
  }
  for (std::size_t i = 0; i < kCp1252High.size(); ++i) {
    if (kCp1252High[i] != 0 && kCp1252High[i] == code_point) {
      return static_cast<unsigned char>(0x80 + i);
    }
  }
  return std::nullopt;
}

std::string SanitizeText(std::string_view utf8, bool keep_newlines) {
  std::u32string text = DecodeUtf8(utf8);
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r') {
      // "\r\n" is one line break; a lone '\r' is one as well.
      if (i + 1 < text.size() && text[i + 1] == U'\n') continue;
      out.push_back(keep_newlines ? U'\n' : U' ');
    } else if (c == U'\n') {
      out.push_back(keep_newlines ? U'\n' : U' ');
    } else if (IsControl(c)) {
      out.push_back(U' ');
    } else {
      out.push_back(c);
    }
  }
  return EncodeUtf8(out);
}

std::vector<TextRun> SplitRuns(std::string_view utf8) {
  std::u32string text = DecodeUtf8(utf8);
  for (char32_t& c : text) {
    if (IsControl(c)) {
      c = U' ';
    } else if (c > 0xFFFF) {
      c = U'?';
    }
  }
  std::vector<TextRun> runs;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Alternating pieces of spaces and of words; a word is the unit that picks the font.
    const bool space = text[pos] == U' ';
    std::size_t end = pos;
    while (end < text.size() && (text[end] == U' ') == space) ++end;
    const std::u32string_view piece(text.data() + pos, end - pos);
    const bool win_ansi =
        std::all_of(piece.begin(), piece.end(), [](char32_t c) { return ToCp1252(c).has_value(); });
    if (runs.empty() || runs.back().win_ansi != win_ansi) runs.push_back(TextRun{win_ansi, {}});
    if (win_ansi) {
      for (char32_t c : piece) runs.back().bytes.push_back(static_cast<char>(*ToCp1252(c)));
    } else {
      runs.back().bytes += EncodeUtf8(piece);
    }
    pos = end;
  }
  return runs;
}

std::vector<std::string> WrapText(std::string_view utf8, double max_width,
                                  const MeasureFn& measure) {
  std::vector<std::string> lines;
  const double space_width = measure(" ");
  std::size_t paragraph_start = 0;
  while (paragraph_start <= utf8.size()) {
    std::size_t paragraph_end = utf8.find('\n', paragraph_start);
    if (paragraph_end == std::string_view::npos) paragraph_end = utf8.size();
    const std::string_view paragraph =
        utf8.substr(paragraph_start, paragraph_end - paragraph_start);

    std::string line;
    double line_width = 0;
    bool emitted = false;  // whether this paragraph produced a line already
    std::size_t pos = 0;
    while (pos < paragraph.size()) {
      if (paragraph[pos] == ' ') {
        ++pos;
        continue;
      }
      std::size_t word_end = paragraph.find(' ', pos);
      if (word_end == std::string_view::npos) word_end = paragraph.size();
      std::string_view word = paragraph.substr(pos, word_end - pos);
      pos = word_end;

      double word_width = measure(word);
      if (!line.empty() && line_width + space_width + word_width <= max_width) {
        line += ' ';
        line += word;
        line_width += space_width + word_width;
        continue;
      }
      if (!line.empty()) {
        lines.push_back(std::move(line));
        line.clear();
        line_width = 0;
        emitted = true;
      }
      // A word wider than the whole line is cut between code points; each piece keeps at least
      // one code point so the loop always advances.
      while (word_width > max_width) {
        std::size_t cut = CodePointLength(word, 0);
        while (cut < word.size()) {
          const std::size_t next = cut + CodePointLength(word, cut);
          if (measure(word.substr(0, next)) > max_width) break;
          cut = next;
        }
        lines.emplace_back(word.substr(0, cut));
        emitted = true;
        word.remove_prefix(cut);
        word_width = word.empty() ? 0 : measure(word);
      }
      line.assign(word);
      line_width = word_width;
    }
    // An empty paragraph stays an empty line; a paragraph that ended with a cut word does not
    // get a trailing empty one.
    if (!line.empty() || !emitted) lines.push_back(std::move(line));
    paragraph_start = paragraph_end + 1;
  }
  return lines;
}

std::string Ellipsize(std::string_view utf8, double max_width, const MeasureFn& measure) {
  if (measure(utf8) <= max_width) return std::string(utf8);
  std::u32string text = DecodeUtf8(utf8);
  while (!text.empty()) {
    text.pop_back();
    std::string candidate = EncodeUtf8(text) + "…";
    if (measure(candidate) <= max_width) return candidate;
  }
  return "…";
}

std::string FormatIban(std::string_view iban) {
  std::string out;
  int count = 0;
  for (char c : iban) {
    if (c == ' ') continue;
    if (count > 0 && count % 4 == 0) out += ' ';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ++count;
  }
  return out;
}

}  // namespace hs::pdf
