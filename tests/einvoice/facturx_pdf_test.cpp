// The Factur-X PDF (src/einvoice/facturx_pdf.hpp) checked with real PDF tools from Debian, not
// by reading our own output back with qpdf's library: `qpdf --check` for the file structure,
// `qpdf --json` for the objects PDF/A-3 and Factur-X require, `qpdf --show-attachment` for the
// embedded XML, `pdffonts` (poppler) for embedded fonts, xmllint for the extracted XML.
// veraPDF, the PDF/A validator, is not packaged in Debian 12 (docs/adr/0017-pdfa3-with-qpdf.md).
#include "einvoice/facturx_pdf.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "einvoice/received.hpp"
#include "pdf/invoice_pdf.hpp"
#include "samples.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace hs::einvoice {
namespace {

constexpr const char* kInstallHint = " is missing: run scripts/install-deps.sh (as root)";

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

Output RunTool(const std::string& command) {
  Output out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.text.append(buf, n);
  out.status = pclose(pipe);
  return out;
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class FacturXPdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(HS_QPDF)) << "qpdf" << kInstallHint;
    ASSERT_TRUE(fs::exists(HS_PDFFONTS)) << "pdffonts (poppler-utils)" << kInstallHint;
    dir_ = fs::temp_directory_path() / ("facturx_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  // HS_KEEP=1 keeps the PDFs for a look with other tools.
  void TearDown() override {
    if (std::getenv("HS_KEEP") == nullptr) fs::remove_all(dir_);
  }

  // The hybrid PDF of one sample, as finalization will build it.
  std::string Make(const testing::Sample& sample, std::string* xml_out = nullptr) {
    pdf::PdfSettings settings;
    settings.embed_all_fonts = true;
    settings.embedded_ansi_font_dir = HS_PDFA_FONT_DIR;
    const pdf::InvoicePdfRenderer renderer(settings);
    auto pdf = renderer.Render(sample.school, sample.invoice);
    EXPECT_TRUE(pdf) << pdf.error().message;
    auto xml = GenerateCii(sample.invoice, sample.school, sample.options);
    EXPECT_TRUE(xml) << xml.error().message;
    if (!pdf || !xml) return {};
    FacturXDocument doc;
    doc.title = "Rechnung " + sample.invoice.number.value_or("");
    doc.author = sample.school.name;
    doc.created = sample.invoice.finalized_at.value_or(
        Instant{std::chrono::sys_days{sample.invoice.invoice_date}.time_since_epoch()});
    doc.document_id = "hundeschule:" + std::to_string(sample.school.id) + ":" +
                      sample.invoice.number.value_or("");
    doc.profile = sample.options.profile;
    auto out = MakeFacturXPdf(*pdf, *xml, doc);
    EXPECT_TRUE(out) << out.error().message;
    if (xml_out != nullptr) *xml_out = *xml;
    return out ? *out : std::string();
  }

  fs::path Save(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path dir_;
};

testing::Sample FirstSample(Profile profile) {
  for (testing::Sample& sample : testing::AllSamples()) {
    if (sample.options.profile == profile) return sample;
  }
  return {};
}

TEST_F(FacturXPdfTest, SameInputsGiveTheSameBytes) {
  for (const testing::Sample& sample : testing::AllSamples()) {
    const std::string first = Make(sample);
    ASSERT_FALSE(first.empty()) << sample.name;
    EXPECT_EQ(first, Make(sample)) << sample.name;
  }
}

TEST_F(FacturXPdfTest, RefusesAnEmptyDocumentIdAndGarbage) {
  FacturXDocument doc;
  EXPECT_EQ(MakeFacturXPdf("%PDF-1.4", "<x/>", doc).error().code, ErrorCode::kInvalidArgument);
  doc.document_id = "x";
  EXPECT_EQ(MakeFacturXPdf("kein PDF", "<x/>", doc).error().code, ErrorCode::kInvalidArgument);
}

// The object graph as `qpdf --json` reports it: "obj:N 0 R" -> value.
struct Objects {
  json objects;
  json Get(const json& ref) const {
    if (!ref.is_string()) return ref;
    const std::string key = "obj:" + ref.get<std::string>();
    if (!objects.contains(key)) return ref;
    const json& entry = objects[key];
    return entry.contains("value") ? entry["value"] : entry["stream"]["dict"];
  }
};

TEST_F(FacturXPdfTest, QpdfSeesPdfA3WithTheAlternativeXml) {
  std::string xml;
  const fs::path file = Save("en16931.pdf", Make(FirstSample(Profile::kEn16931), &xml));
  const std::string pdf = Quote(file.string());

  const Output check = RunTool(Quote(HS_QPDF) + " --check " + pdf);
  EXPECT_EQ(check.status, 0) << check.text;
  EXPECT_NE(check.text.find("No syntax or stream encoding errors found"), std::string::npos)
      << check.text;

  const Output dump = RunTool(Quote(HS_QPDF) + " --json=2 --json-key=qpdf " + pdf);
  ASSERT_EQ(dump.status, 0) << dump.text;
  const Objects graph{json::parse(dump.text)["qpdf"][1]};
  const json trailer = graph.objects["trailer"]["value"];
  ASSERT_TRUE(trailer.contains("/ID"));
  const json catalog = graph.Get(trailer["/Root"]);

  const json names = graph.Get(graph.Get(catalog["/Names"])["/EmbeddedFiles"])["/Names"];
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "u:factur-x.xml");
  const json spec = graph.Get(names[1]);
  EXPECT_EQ(spec["/AFRelationship"], "/Alternative");
  EXPECT_EQ(spec["/UF"], "u:factur-x.xml");
  ASSERT_EQ(catalog["/AF"].size(), 1u);
  EXPECT_EQ(catalog["/AF"][0], names[1]);
  const json stream = graph.Get(spec["/EF"]["/F"]);
  EXPECT_EQ(stream["/Subtype"], "/text/xml");  // the file says /text#2fxml
  EXPECT_TRUE(stream["/Params"].contains("/ModDate"));

  const json intent = graph.Get(graph.Get(catalog["/OutputIntents"])[0]);
  EXPECT_EQ(intent["/S"], "/GTS_PDFA1");
  EXPECT_EQ(graph.Get(intent["/DestOutputProfile"])["/N"], 3);
  // Stored compressed, the profile decodes to the sRGB profile byte for byte.
  const std::string profile_ref = intent["/DestOutputProfile"].get<std::string>();
  const Output profile = RunTool(
      Quote(HS_QPDF) + " --show-object=" + Quote(profile_ref.substr(0, profile_ref.find(' '))) +
      " --filtered-stream-data " + pdf);
  ASSERT_EQ(profile.status, 0) << profile.text;
  EXPECT_EQ(graph.Get(intent["/DestOutputProfile"])["/Filter"], "/FlateDecode");
  std::ifstream icc(kSrgbIccProfile, std::ios::binary);
  const std::string icc_bytes{std::istreambuf_iterator<char>(icc), {}};
  ASSERT_FALSE(icc_bytes.empty());
  EXPECT_TRUE(profile.text == icc_bytes) << profile.text.size() << " vs " << icc_bytes.size();

  // XMP through qpdf's object display, decoded as a reader would.
  const std::string metadata_ref = catalog["/Metadata"].get<std::string>();
  const Output xmp = RunTool(
      Quote(HS_QPDF) + " --show-object=" + Quote(metadata_ref.substr(0, metadata_ref.find(' '))) +
      " --filtered-stream-data " + pdf);
  ASSERT_EQ(xmp.status, 0) << xmp.text;
  EXPECT_FALSE(graph.Get(catalog["/Metadata"]).contains("/Filter"));  // PDF/A: unfiltered
  for (const char* expected :
       {"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
        "<fx:DocumentType>INVOICE</fx:DocumentType>",
        "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>", "<fx:Version>1.0</fx:Version>",
        "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"}) {
    EXPECT_NE(xmp.text.find(expected), std::string::npos) << expected;
  }

  const Output attachment = RunTool(Quote(HS_QPDF) + " --show-attachment=factur-x.xml " + pdf);
  EXPECT_EQ(attachment.status, 0);
  EXPECT_EQ(attachment.text, xml);  // byte for byte
}

TEST_F(FacturXPdfTest, EveryFontIsEmbedded) {
  // A name outside Windows-1252 adds the full DejaVu as Type0 font beside the reduced ones.
  std::vector<testing::Sample> samples = testing::AllSamples();
  samples.push_back(FirstSample(Profile::kEn16931));
  samples.back().name = "unicode_name";
  samples.back().invoice.customer_snapshot.name = "Łukasz Yılmaz";
  for (const testing::Sample& sample : samples) {
    const fs::path file = Save(sample.name + ".pdf", Make(sample));
    // poppler's warnings about libharu's ToUnicode CMaps (stderr) are not font lines.
    const Output fonts =
        RunTool("{ " + Quote(HS_PDFFONTS) + " " + Quote(file.string()) + " 2>/dev/null; }");
    ASSERT_EQ(fonts.status, 0) << fonts.text;
    // Columns: name type encoding emb sub uni object ID; two header lines.
    std::istringstream lines(fonts.text);
    std::string line;
    int count = 0;
    for (int i = 0; std::getline(lines, line); ++i) {
      if (i < 2 || line.empty()) continue;
      ++count;
      EXPECT_NE(line.find(" yes "), std::string::npos) << sample.name << ": " << line;
    }
    EXPECT_GT(count, 0) << fonts.text;
  }
}

TEST_F(FacturXPdfTest, ExtractedXmlStillMatchesTheSchema) {
  const fs::path xsd =
      fs::path(HS_EINVOICE_SHARED_DIR) / "schema/ZF_250/EN16931/FACTUR-X_EN16931.xsd";
  ASSERT_TRUE(fs::exists(HS_XMLLINT)) << "xmllint" << kInstallHint;
  ASSERT_TRUE(fs::exists(xsd)) << xsd << " is missing (../shared/einvoice)";
  const fs::path file = Save("schema.pdf", Make(FirstSample(Profile::kEn16931)));
  const fs::path extracted = dir_ / "factur-x.xml";
  const Output show = RunTool(Quote(HS_QPDF) + " --show-attachment=factur-x.xml " +
                              Quote(file.string()) + " > " + Quote(extracted.string()));
  ASSERT_EQ(show.status, 0) << show.text;
  const Output lint = RunTool(Quote(HS_XMLLINT) + " --noout --schema " + Quote(xsd.string()) + " " +
                              Quote(extracted.string()));
  EXPECT_EQ(lint.status, 0) << lint.text;
  EXPECT_NE(lint.text.find("validates"), std::string::npos) << lint.text;
}

// The receiving side: the XML comes out of our own hybrid PDF byte for byte (factur-x.xml, and
// xrechnung.xml for the XRechnung profile) and reads back with our numbers.
TEST_F(FacturXPdfTest, ReceivingReadsTheEmbeddedXmlBack) {
  for (const Profile profile : {Profile::kEn16931, Profile::kXRechnung}) {
    const testing::Sample sample = FirstSample(profile);
    std::string xml;
    const std::string pdf = Make(sample, &xml);
    ASSERT_FALSE(pdf.empty());
    EXPECT_EQ(ExtractEInvoiceXml(pdf), xml);
    const auto read = ReadEInvoiceDocument(pdf);
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_TRUE(read->has_value());
    const ReceivedEInvoice& got = **read;
    EXPECT_EQ(got.container, Container::kPdf);
    EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
    EXPECT_EQ(got.number, *sample.invoice.number);
    EXPECT_EQ(got.issue_date, sample.invoice.invoice_date);
    EXPECT_EQ(got.gross_cents, sample.invoice.totals.gross_cents);
    EXPECT_EQ(got.tax_total_cents, sample.invoice.totals.tax_cents);
    ASSERT_EQ(got.tax_groups.size(), sample.invoice.totals.groups.size());
    for (std::size_t i = 0; i < got.tax_groups.size(); ++i) {
      EXPECT_EQ(got.tax_groups[i].basis_cents, sample.invoice.totals.groups[i].net_cents);
      EXPECT_EQ(got.tax_groups[i].tax_cents, sample.invoice.totals.groups[i].tax_cents);
    }
    EXPECT_EQ(got.lines.size(), sample.invoice.lines.size());
  }
}

// Factur-X / ZUGFeRD carry a CII by their standard: a UBL attached as factur-x.xml is not read as
// the PDF's e-invoice (the upload then stays a plain PDF receipt), though the same UBL as an XML
// upload is.
TEST_F(FacturXPdfTest, AUblInsideAPdfIsNoFacturX) {
  std::ifstream in(std::string(HS_EINVOICE_FIXTURE_DIR) + "/ubl-invoice-19-7.xml",
                   std::ios::binary);
  ASSERT_TRUE(in);
  const std::string ubl((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const testing::Sample sample = FirstSample(Profile::kEn16931);
  pdf::PdfSettings settings;
  settings.embed_all_fonts = true;
  settings.embedded_ansi_font_dir = HS_PDFA_FONT_DIR;
  const auto rendered = pdf::InvoicePdfRenderer(settings).Render(sample.school, sample.invoice);
  ASSERT_TRUE(rendered);
  FacturXDocument doc;
  doc.title = "Rechnung";
  doc.author = sample.school.name;
  doc.document_id = "ubl-in-pdf";
  const auto pdf = MakeFacturXPdf(*rendered, ubl, doc);
  ASSERT_TRUE(pdf) << pdf.error().message;
  EXPECT_EQ(ExtractEInvoiceXml(*pdf), ubl);
  const auto read = ReadEInvoiceDocument(*pdf);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().reason, "not_e_invoice");
  const auto as_xml = ReadEInvoiceDocument(ubl);
  ASSERT_TRUE(as_xml && as_xml->has_value());
  EXPECT_EQ((*as_xml)->syntax, Syntax::kUbl);
}

// A plain PDF (the invoice as rendered, nothing attached) stays a plain PDF receipt.
TEST_F(FacturXPdfTest, APdfWithoutXmlIsNoEInvoice) {
  const testing::Sample sample = FirstSample(Profile::kEn16931);
  const pdf::InvoicePdfRenderer renderer(pdf::PdfSettings{});
  const auto plain = renderer.Render(sample.school, sample.invoice);
  ASSERT_TRUE(plain);
  EXPECT_EQ(ExtractEInvoiceXml(*plain), std::nullopt);
  const auto read = ReadEInvoiceDocument(*plain);
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->has_value());
}

}  // namespace
}  // namespace hs::einvoice
