#include "pdf/printable.hpp"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <utility>

#include "pdf/pdf_layout.hpp"

namespace hs::pdf {

namespace {

struct Range {
  char32_t first;
  char32_t last;
};

constexpr Range kFontCoverage[] = {
#include "pdf/font_coverage.inc"
};

// Scripts the renderer would print reversed or unjoined, and characters that print nothing
// visible or a placeholder although a font may have a glyph for them.
constexpr Range kNeverPrintable[] = {
    {0x0590, 0x08FF},  // Hebrew, Arabic, Syriac, Arabic Supplement, Thaana, N'Ko, Samaritan, ...
    {0x200B, 0x200F},  // zero-width space/joiners, LRM, RLM
    {0x2028, 0x202E},  // line/paragraph separators, bidi embeddings and overrides
    {0x2060, 0x206F},  // word joiner, invisible operators, bidi isolates
    {0xE000, 0xF8FF},  // private use area
    {0xFB1D, 0xFDFF},  // Hebrew and Arabic presentation forms
    {0xFE70, 0xFEFF},  // Arabic presentation forms B, byte order mark
    {0xFFF9, 0xFFFF},  // interlinear annotation, object and replacement characters
};

bool InRanges(char32_t c, const Range* begin, const Range* end) {
  const Range* it = std::upper_bound(
      begin, end, c, [](char32_t value, const Range& r) { return value < r.first; });
  return it != begin && c <= std::prev(it)->last;
}

bool IsInvisible(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF;
}

std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

void CheckField(const std::string& text, const std::string& field,
                std::vector<FieldError>& errors) {
  const std::u32string bad = UnprintableCharacters(text);
  if (bad.empty()) return;
  errors.push_back({field, "Kann im PDF nicht so gedruckt werden, wie es eingegeben ist: " +
                               DescribeCharacters(bad) + "."});
}

void CheckAddress(const domain::Address& address, const std::string& prefix,
                  std::vector<FieldError>& errors) {
  CheckField(address.street, prefix + "street", errors);
  CheckField(address.zip, prefix + "zip", errors);
  CheckField(address.city, prefix + "city", errors);
}

}  // namespace

bool IsPrintable(char32_t c) {
  if (c == U'\n' || c == U'\r' || c == U'\t') return true;
  if (ToCp1252(c) && !IsInvisible(c)) return true;
  if (c > 0xFFFF || IsInvisible(c)) return false;
  if (InRanges(c, std::begin(kNeverPrintable), std::end(kNeverPrintable))) return false;
  return InRanges(c, std::begin(kFontCoverage), std::end(kFontCoverage));
}

std::u32string UnprintableCharacters(std::string_view utf8) {
  std::u32string out;
  for (char32_t c : DecodeUtf8(utf8)) {
    if (!IsPrintable(c) && out.find(c) == std::u32string::npos) out.push_back(c);
  }
  return out;
}

std::string DescribeCharacters(std::u32string_view characters, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < characters.size(); ++i) {
    if (i == max) return out + ", …";
    if (!out.empty()) out += ", ";
    const char32_t c = characters[i];
    if (IsInvisible(c)) {
      out += CodePointName(c);
    } else {
      out += "„" + EncodeUtf8(std::u32string(1, c)) + "“ (" + CodePointName(c) + ")";
    }
  }
  return out;
}

std::vector<FieldError> UnprintableFields(const domain::School& school,
                                          const domain::Invoice& invoice) {
  std::vector<FieldError> errors;
  CheckField(invoice.number.value_or(""), "number", errors);
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) {
    const std::string prefix = "lines[" + std::to_string(i) + "].";
    CheckField(invoice.lines[i].text, prefix + "text", errors);
    CheckField(invoice.lines[i].unit, prefix + "unit", errors);
  }
  CheckField(invoice.notes, "notes", errors);
  const domain::PartySnapshot& customer = invoice.customer_snapshot;
  CheckField(customer.name, "customer.name", errors);
  CheckField(customer.contact_person, "customer.contact_person", errors);
  CheckAddress(customer.address, "customer.address.", errors);
  for (const auto& [value, field] :
       std::initializer_list<std::pair<const std::string*, const char*>>{
           {&school.name, "school.name"},
           {&school.email, "school.email"},
           {&school.phone, "school.phone"},
           {&school.tax_number, "school.tax_number"},
           {&school.vat_id, "school.vat_id"},
           {&school.iban, "school.iban"},
           {&school.bic, "school.bic"},
           {&school.bank_name, "school.bank_name"}}) {
    CheckField(*value, field, errors);
  }
  CheckAddress(school.address, "school.address.", errors);
  return errors;
}

}  // namespace hs::pdf
