#pragma once
// What the invoice PDF can print as typed: the single source of truth for the check before an
// invoice is finalized (InvoicePdfRenderer::Render refuses an invoice with such characters, so a
// frozen PDF never differs silently from the stored text).
//
// What the renderer can do (invoice_pdf.hpp, pdf_layout.hpp):
//  - Windows-1252 text is set in base-14 Helvetica: always printable;
//  - other BMP characters are set in the embedded DejaVu Sans (regular and bold), without any
//    shaping or bidirectional reordering (libharu draws glyphs left to right, one per code
//    point): printable when both faces have a glyph (font_coverage.inc, generated from the
//    Debian fonts by scripts/font-coverage.py);
//  - characters beyond the BMP (emoji, 🐕) are replaced by '?' (libharu's UTF-8 encoder);
//  - right-to-left and joining scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their
//    presentation forms) would print reversed and unjoined, so they count as unprintable even
//    where DejaVu has glyphs; so do invisible format characters (bidi controls, zero-width
//    characters, the BOM), the private use area, U+FFFD and control characters other than
//    LF, CR and TAB (which the layout turns into line breaks and spaces).
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

namespace hs::pdf {

bool IsPrintable(char32_t code_point);

// The distinct characters of `utf8` the PDF cannot print as typed, in order of first
// appearance (an invalid UTF-8 sequence counts as U+FFFD).
std::u32string UnprintableCharacters(std::string_view utf8);

// "„🐕“ (U+1F415), U+200F" - each character quoted with its code point (invisible ones by code
// point only), at most `max` of them, then "…".
std::string DescribeCharacters(std::u32string_view characters, std::size_t max = 8);

// Every printed text of the invoice (lines, notes, number, customer snapshot) and of the issuing
// school with unprintable characters: field (e.g. "lines[0].text", "customer.name",
// "school.bank_name") and a German message naming the characters.
std::vector<FieldError> UnprintableFields(const domain::School& school,
                                          const domain::Invoice& invoice);

}  // namespace hs::pdf
