#pragma once
// German invoice PDFs (§ 14 UStG content, DIN 5008 letter layout) rendered with libharu.
//
// Output is byte-identical for identical input: the PDF dates come from the invoice, libharu
// writes no /ID without encryption, and font subset tags are assigned in a fixed order. The
// stored sha256 and the bytes sent to sevdesk rely on that.
//
// Thread safety: Render is const and may run on many threads at once. Each thread keeps its
// own libharu handle with the parsed TrueType fonts (parsing both DejaVu files costs ~1 ms, see
// bench/pdf_bench.cpp); every render starts a fresh document on it (HPDF_NewDoc).
#include <string>

#include "core/result.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

namespace hs::pdf {

struct PdfSettings {
  // Must contain DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian: fonts-dejavu-core).
  std::string font_dir = "/usr/share/fonts/truetype/dejavu";
  // Flate-compressing the embedded font programs makes a PDF about 2.5x smaller (~110 KB instead
  // of ~290 KB) but roughly triples the render time, which the finalization throughput target
  // cannot afford. Page content is always compressed.
  bool compress_fonts = false;
};

class InvoicePdfRenderer {
 public:
  explicit InvoicePdfRenderer(PdfSettings settings);

  // school: the issuer; invoice: finalized (number, customer_snapshot, totals set).
  // Fails with kInvalidArgument when the invoice has no number, kInternal when libharu or the
  // font files fail.
  Result<std::string> Render(const domain::School& school, const domain::Invoice& invoice) const;

 private:
  PdfSettings settings_;
};

}  // namespace hs::pdf
