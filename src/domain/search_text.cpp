#include "domain/search_text.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace hs::domain {

namespace {

// How one code point enters a word: `primary` always, `secondary` in the plain-vowel variant.
// Both empty: the code point ends the word.
struct Piece {
  std::string primary;
  std::string secondary;
};

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Piece Same(std::string s) {
  return {s, s};
}

// Latin-1 letters U+00C0..U+00FF (upper and lower case alike) without their accent; '*' marks
// the ones handled apart (umlauts, Æ, ×/÷, Þ, ß).
constexpr std::string_view kLatin1Base = "aaaa*a*ceeeeiiiidnoooo**ouuu*y**";

Piece FoldLatin1(char32_t cp) {
  if (cp == 0xD7 || cp == 0xF7) return {};  // × and ÷
  if (cp == 0xDF) return Same("ss");
  const std::size_t i = (cp - 0xC0) & 0x1F;
  if (cp == 0xFF) return Same("y");
  switch (i) {
    case 0x04:
      return {"ae", "a"};
    case 0x06:
      return Same("ae");  // Æ
    case 0x16:
      return {"oe", "o"};
    case 0x1C:
      return {"ue", "u"};
    case 0x1E:
      return Same("th");  // Þ
    default:
      return Same(std::string(1, kLatin1Base[i]));
  }
}

// Latin Extended-A U+0100..U+017F without accent, upper case where the letter is; '*' marks Ĳ
// and Œ, which become two letters.
constexpr std::string_view kLatinExtABase =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo**RrRrRr"
    "SsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

Piece FoldLatinExtendedA(char32_t cp) {
  const char base = kLatinExtABase[cp - 0x100];
  if (base == '*') return Same(cp < 0x140 ? "ij" : "oe");
  return Same(
      std::string(1, base >= 'A' && base <= 'Z' ? static_cast<char>(base - 'A' + 'a') : base));
}

// Punctuation, symbols, private use, specials and emoji: separators like ASCII punctuation.
bool IsSymbolBlock(char32_t cp) {
  return (cp >= 0x2000 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) ||
         (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFFFF) ||
         (cp >= 0x1F000 && cp <= 0x1FFFF) || cp >= 0xE0000;
}

// Greek and Cyrillic capitals in lower case; other scripts as they are.
char32_t LowerOtherScript(char32_t cp) {
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

Piece Fold(char32_t cp) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= '0' && c <= '9') return Same(std::string(1, c));
    if (c >= 'a' && c <= 'z') return Same(std::string(1, c));
    if (c >= 'A' && c <= 'Z') return Same(std::string(1, static_cast<char>(c - 'A' + 'a')));
    return {};
  }
  if (cp < 0xC0) return {};  // Latin-1 controls and symbols (NBSP, §, «, ...)
  if (cp <= 0xFF) return FoldLatin1(cp);
  if (cp <= 0x17F) return FoldLatinExtendedA(cp);
  if (cp == 0x1E9E) return Same("ss");  // capital ẞ
  if (IsSymbolBlock(cp) || (cp >= 0x2B0 && cp <= 0x36F)) return {};
  std::string s;
  AppendUtf8(LowerOtherScript(cp), s);
  return Same(s);
}

// "u" + U+0308 (a decomposed umlaut, as some systems send it) as the one code point "ü".
std::u32string ComposeUmlauts(std::u32string text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp == 0x308 && !out.empty()) {
      const char32_t base = out.back();
      const std::u32string_view vowels = U"aouAOU";
      const std::u32string_view umlauts = U"äöüÄÖÜ";
      const auto at = vowels.find(base);
      if (at != std::u32string_view::npos) {
        out.back() = umlauts[at];
        continue;
      }
    }
    out += cp;
  }
  return out;
}

// One word being built: both variants, each ending at the byte cap (the first piece that does
// not fit ends it, so a cut token is still a start of the word, never half a character).
struct Word {
  std::string primary;
  std::string secondary;
  bool primary_full = false;
  bool secondary_full = false;

  void Append(const Piece& p) {
    AppendCapped(primary, primary_full, p.primary);
    AppendCapped(secondary, secondary_full, p.secondary);
  }
  static void AppendCapped(std::string& to, bool& full, const std::string& piece) {
    if (full) return;
    if (to.size() + piece.size() > kMaxSearchTokenBytes) {
      full = true;
      return;
    }
    to += piece;
  }
};

std::string WithoutLeadingZeros(const std::string& digits) {
  const auto first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Calls `emit(word)` for each folded word of `text`.
template <class Emit>
void ForEachWord(std::string_view text, Emit emit) {
  Word word;
  auto flush = [&] {
    if (!word.primary.empty()) emit(word);
    word = Word{};
  };
  for (char32_t cp : ComposeUmlauts(DecodeUtf8(text))) {
    const Piece p = Fold(cp);
    if (p.primary.empty()) {
      flush();
    } else {
      word.Append(p);
    }
  }
  flush();
}

}  // namespace

std::vector<std::string> SearchTokensOf(std::string_view text) {
  std::vector<std::string> out;
  ForEachWord(text, [&](const Word& w) {
    out.push_back(w.primary);
    if (w.secondary != w.primary) out.push_back(w.secondary);
    if (AllDigits(w.primary) && w.primary.size() > 1 && w.primary[0] == '0') {
      out.push_back(WithoutLeadingZeros(w.primary));
    }
  });
  return out;
}

void SearchTokenSet::Insert(std::string token) {
  if (tokens_.size() >= kMaxSearchTokensPerEntity) return;
  if (std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end()) return;
  tokens_.push_back(std::move(token));
}

void SearchTokenSet::Add(std::string_view text) {
  for (auto& token : SearchTokensOf(text)) Insert(std::move(token));
}

std::vector<std::string> SearchQueryWords(std::string_view query) {
  std::vector<std::string> out;
  ForEachWord(query, [&](const Word& w) {
    if (out.size() >= kMaxSearchQueryWords) return;
    if (std::find(out.begin(), out.end(), w.primary) == out.end()) out.push_back(w.primary);
  });
  return out;
}

std::string SearchPrefixEnd(std::string_view word) {
  // The last code point plus one; a folded word never ends in U+10FFFF or just below the
  // surrogates (both are no letters here), so the result is valid UTF-8.
  std::u32string cps = DecodeUtf8(word);
  if (cps.empty()) return std::string(1, '\x01');
  char32_t& last = cps.back();
  last = last == 0xD7FF ? 0xE000 : last + 1;
  std::string out;
  for (char32_t cp : cps) AppendUtf8(cp, out);
  return out;
}

std::vector<std::string> CustomerSearchTokens(const Customer& c) {
  SearchTokenSet set;
  for (const std::string* text : {&c.last_name, &c.first_name, &c.company_name, &c.contact_person,
                                  &c.email, &c.address.city}) {
    set.Add(*text);
  }
  set.Add(std::to_string(c.customer_number));
  for (const auto& dog : c.dogs) set.Add(dog.name);
  return set.tokens();
}

std::vector<std::string> InvoiceSearchTokens(const Invoice& invoice,
                                             const std::vector<std::string>& customer_names) {
  SearchTokenSet set;
  if (invoice.number) set.Add(*invoice.number);
  for (const auto& name : customer_names) set.Add(name);
  for (const auto& line : invoice.lines) set.Add(line.text);
  return set.tokens();
}

std::vector<std::string> ReceiptSearchTokens(const Receipt& receipt) {
  SearchTokenSet set;
  set.Add(receipt.number);
  set.Add(receipt.counterparty);
  set.Add(receipt.description);
  return set.tokens();
}

}  // namespace hs::domain
