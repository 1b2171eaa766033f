#pragma once
// ZUGFeRD / Factur-X hybrid invoices (issue 17): the rendered invoice PDF post-processed into
// PDF/A-3b with the CII XML attached as factur-x.xml. libharu cannot write PDF/A-3 or /AF, so
// this adapter edits its output with qpdf (docs/adr/0017-pdfa3-with-qpdf.md); no qpdf type
// leaves facturx_pdf.cpp.
//
// The input PDF must embed every font (pdf::PdfSettings::embed_all_fonts); PDF/A forbids the
// base-14 fonts the plain invoice PDF uses. docs/e-invoice.md lists what is written.
#include <string>

#include "core/date.hpp"
#include "core/result.hpp"
#include "einvoice/cii.hpp"

namespace hs::einvoice {

// Where the sRGB output intent's ICC profile comes from (Debian: icc-profiles-free).
inline constexpr const char* kSrgbIccProfile = "/usr/share/color/icc/sRGB.icc";

struct FacturXDocument {
  std::string title;        // "Rechnung RE-2026-0001"
  std::string author;       // the school's name
  Instant created{};        // the invoice's finalization instant (UTC): dates in the PDF come
                            // from it, so the bytes are stable
  std::string document_id;  // stable id for /ID and XMP (e.g. school id + invoice number)
  Profile profile = Profile::kEn16931;  // the conformance level written into the XMP
};

// The PDF of the invoice (as rendered) turned into PDF/A-3b with `cii_xml` embedded as
// factur-x.xml (AFRelationship /Alternative, /AF on the catalog, MIME text/xml, XMP with
// pdfaid:part 3 conformance B and the Factur-X extension schema fx:DocumentType INVOICE,
// fx:DocumentFileName factur-x.xml, fx:Version 1.0, fx:ConformanceLevel EN 16931 or XRECHNUNG),
// an sRGB output intent (embedded ICC profile), a trailer /ID from document_id.
// Same inputs, same bytes. kInvalidArgument for an unreadable PDF or an empty document_id,
// kInternal when the ICC profile is missing.
Result<std::string> MakeFacturXPdf(const std::string& pdf, const std::string& cii_xml,
                                   const FacturXDocument& doc);

}  // namespace hs::einvoice
