#pragma once
// German invoice PDFs (§ 14 UStG content, DIN 5008 letter layout) rendered with libharu.
//
// Fonts (docs/adr/0005-finalize-throughput.md): text in Windows-1252 - all German text,
// including umlauts, ß, € and typographic quotes - is set in the PDF base-14 Helvetica /
// Helvetica-Bold with WinAnsiEncoding, which are not embedded; such a PDF is a few KB. Only
// words outside Windows-1252 (e.g. "Łukasz") are set in DejaVu Sans, embedded as a subset.
//
// Output is byte-identical for identical input: the PDF dates come from the invoice, libharu
// writes no /ID without encryption, and font subset tags are assigned in a fixed order. The
// stored sha256 and the bytes sent to sevdesk rely on that.
//
// Thread safety: Render is const and may run on many threads at once. Each thread keeps its
// own libharu handle with the parsed TrueType fonts (parsing both DejaVu files costs ~1 ms, see
// bench/pdf_bench.cpp; they are parsed even if no invoice needs them, so a wrong font_dir shows
// on the first render, not on the first foreign name); every render starts a fresh document on
// it (HPDF_NewDoc).
#include <string>

#include "core/result.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

namespace hs::pdf {

struct PdfSettings {
  // Must contain DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian: fonts-dejavu-core).
  std::string font_dir = "/usr/share/fonts/truetype/dejavu";
  // Only matters for the PDFs that embed DejaVu (text outside Windows-1252): flate-compressing
  // the font program makes such a PDF about 3x smaller (~90 KB instead of ~290 KB) but costs
  // ~8 ms more per render (bench/pdf_bench.cpp). Page content is always compressed.
  bool compress_fonts = false;
  // PDF/A (the Factur-X invoice, einvoice/facturx_pdf.hpp) forbids fonts that are not embedded:
  // then the Windows-1252 text is set in DejaVu Sans with WinAnsiEncoding, embedded like the
  // Unicode runs. Off by default, so the plain invoice PDF and its stored bytes stay as they are.
  bool embed_all_fonts = false;
  // With embed_all_fonts: a directory with DejaVuSans.ttf and DejaVuSans-Bold.ttf reduced to the
  // Windows-1252 characters (scripts/make-pdfa-fonts.py; the build writes them to
  // <build>/fonts/pdfa). libharu embeds a TrueType font with all its tables, so the full DejaVu
  // adds ~150 KB per weight to every PDF and ~8 ms to its render. The reduced fonts are instead
  // embedded whole, flate-compressed once per thread (~14 KB per weight, no per-document
  // subsetting, ADR 0017). Empty: the full DejaVu of font_dir.
  std::string embedded_ansi_font_dir = {};
};

class InvoicePdfRenderer {
 public:
  explicit InvoicePdfRenderer(PdfSettings settings);

  // school: the issuer; invoice: finalized (number, customer_snapshot, totals set).
  // Fails with kInvalidArgument when the invoice has no number or (for an invoice, not a
  // cancellation) a printed text holds characters the PDF cannot print as typed
  // (printable.hpp; reason "unprintable_characters", details naming the fields), kInternal when
  // libharu or the font files fail.
  Result<std::string> Render(const domain::School& school, const domain::Invoice& invoice) const;

 private:
  PdfSettings settings_;
};

}  // namespace hs::pdf
