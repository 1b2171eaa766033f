// ExtractEInvoiceXml and ReadEInvoiceDocument: the XML attachment of a received ZUGFeRD /
// Factur-X / XRechnung PDF, found with qpdf (whose types stay in this file). The attachment is
// decoded through a pipeline that stops at kMaxEInvoiceXmlBytes, so a compressed "bomb" costs
// no more than the limit.
#include <array>
#include <exception>
#include <qpdf/Pipeline.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <string>

#include "core/text.hpp"
#include "einvoice/received.hpp"
#include "einvoice/xml_reading.hpp"

namespace hs::einvoice {

namespace {

// The names the standards give the XML (compared in lower case): Factur-X 1.0 / ZUGFeRD 2.x,
// XRechnung in a PDF, and ZUGFeRD 1.0 / 2.0 ("ZUGFeRD-invoice.xml"; a 1.0 CII is an older
// version that the reader then reports as no e-invoice).
constexpr std::array<std::string_view, 3> kNames = {"factur-x.xml", "zugferd-invoice.xml",
                                                    "xrechnung.xml"};

struct TooLarge : std::exception {};

// Collects at most kMaxEInvoiceXmlBytes, then throws.
class LimitedSink : public Pipeline {
 public:
  LimitedSink() : Pipeline("e-invoice attachment", nullptr) {}
  void write(unsigned char const* data, size_t len) override {
    if (out_.size() + len > kMaxEInvoiceXmlBytes) throw TooLarge();
    out_.append(reinterpret_cast<const char*>(data), len);
  }
  void finish() override {}
  std::string& Bytes() { return out_; }

 private:
  std::string out_;
};

bool IsEInvoiceName(const std::string& name) {
  const std::string lower = ToLowerAscii(name);
  for (std::string_view known : kNames) {
    if (lower == known) return true;
  }
  return false;
}

bool LooksLikeXml(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const auto first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '<';
}

}  // namespace

std::optional<std::string> ExtractEInvoiceXml(std::string_view pdf) {
  try {
    QPDF qpdf;
    qpdf.setSuppressWarnings(true);
    qpdf.processMemoryFile("beleg.pdf", pdf.data(), pdf.size());
    QPDFEmbeddedFileDocumentHelper files(qpdf);
    if (!files.hasEmbeddedFiles()) return std::nullopt;
    for (const auto& [key, spec] : files.getEmbeddedFiles()) {
      if (!IsEInvoiceName(key) && !IsEInvoiceName(spec->getFilename())) continue;
      QPDFObjectHandle stream = spec->getEmbeddedFileStream();
      if (!stream.isStream()) continue;
      LimitedSink sink;
      bool filtered = false;
      if (!stream.pipeStreamData(&sink, &filtered, 0, qpdf_dl_generalized, true)) continue;
      return std::move(sink.Bytes());
    }
  } catch (const TooLarge&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;  // not a PDF qpdf can read: a plain receipt, as before
  }
  return std::nullopt;
}

Result<std::optional<ReceivedEInvoice>> ReadEInvoiceDocument(std::string_view bytes) {
  if (bytes.starts_with("%PDF-")) {
    const auto embedded = ExtractEInvoiceXml(bytes);
    if (!embedded) return std::optional<ReceivedEInvoice>();
    HS_TRY(invoice, xml::ReadXml(*embedded, xml::Accept::kCiiOnly));
    invoice->container = Container::kPdf;
    return std::optional<ReceivedEInvoice>(std::move(*invoice));
  }
  if (!LooksLikeXml(bytes)) return std::optional<ReceivedEInvoice>();
  HS_TRY(invoice, ReadEInvoiceXml(bytes));
  return std::optional<ReceivedEInvoice>(std::move(*invoice));
}

}  // namespace hs::einvoice
