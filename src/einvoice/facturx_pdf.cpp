#include "einvoice/facturx_pdf.hpp"

#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <qpdf/Pl_String.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEFStreamObjectHelper.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFWriter.hh>
#include <sstream>
#include <string_view>

#include "einvoice/xml_writer.hpp"

namespace hs::einvoice {

namespace {

using Handle = QPDFObjectHandle;

constexpr const char* kProducer = "hundeschule (libharu, qpdf)";

struct Names {
  const char* file;   // the attachment's name, fx:DocumentFileName
  const char* level;  // fx:ConformanceLevel
};

// Factur-X 1.0 / ZUGFeRD 2.3 name the attachment after the profile; XRechnung has its own name.
Names NamesFor(Profile profile) {
  return profile == Profile::kXRechnung ? Names{"xrechnung.xml", "XRECHNUNG"}
                                        : Names{"factur-x.xml", "EN 16931"};
}

struct Civil {
  int year, month, day, hour, minute, second;
};

Civil CivilOf(Instant instant) {
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<std::chrono::seconds> time{
      std::chrono::floor<std::chrono::seconds>(instant - day)};
  return {static_cast<int>(ymd.year()),
          static_cast<int>(unsigned{ymd.month()}),
          static_cast<int>(unsigned{ymd.day()}),
          static_cast<int>(time.hours().count()),
          static_cast<int>(time.minutes().count()),
          static_cast<int>(time.seconds().count())};
}

// PDF date (Info dictionary, embedded file params) and XMP date of the same instant in UTC;
// PDF/A requires the two to agree.
std::string PdfDate(Instant instant) {
  const Civil c = CivilOf(instant);
  char buf[40];
  std::snprintf(buf, sizeof buf, "D:%04d%02d%02d%02d%02d%02d+00'00'", c.year, c.month, c.day,
                c.hour, c.minute, c.second);
  return buf;
}

std::string XmpDate(Instant instant) {
  const Civil c = CivilOf(instant);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+00:00", c.year, c.month, c.day,
                c.hour, c.minute, c.second);
  return buf;
}

// The pdfaExtension declaration of the fx schema is required by PDF/A for any non-standard XMP
// schema; its text follows the Factur-X 1.0 specification's template.
constexpr const char* kFacturXExtensionSchema = R"(  <rdf:Description rdf:about=""
      xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
      xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
      xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>
     <rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>
    </rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
)";

// The XMP packet; every value the Info dictionary also holds is written identically there.
std::string Xmp(const FacturXDocument& doc, const Names& names) {
  const std::string date = XmpDate(doc.created);
  std::string x =
      "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
      " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
      "  <rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
      "   <pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>\n"
      "  </rdf:Description>\n"
      "  <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
      "   <dc:format>application/pdf</dc:format>\n"
      "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
      XmlEscape(doc.title) +
      "</rdf:li></rdf:Alt></dc:title>\n"
      "   <dc:creator><rdf:Seq><rdf:li>" +
      XmlEscape(doc.author) +
      "</rdf:li></rdf:Seq></dc:creator>\n"
      "  </rdf:Description>\n"
      "  <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
      "   <xmp:CreatorTool>hundeschule</xmp:CreatorTool>\n"
      "   <xmp:CreateDate>" +
      date + "</xmp:CreateDate><xmp:ModifyDate>" + date + "</xmp:ModifyDate><xmp:MetadataDate>" +
      date +
      "</xmp:MetadataDate>\n"
      "  </rdf:Description>\n"
      "  <rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
      "   <pdf:Producer>" +
      std::string(kProducer) +
      "</pdf:Producer>\n"
      "  </rdf:Description>\n"
      "  <rdf:Description rdf:about=\"\" xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\">\n"
      "   <xmpMM:DocumentID>" +
      XmlEscape(doc.document_id) +
      "</xmpMM:DocumentID>\n"
      "  </rdf:Description>\n"
      "  <rdf:Description rdf:about=\"\" "
      "xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">\n"
      "   <fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>" +
      names.file + "</fx:DocumentFileName>\n   <fx:Version>1.0</fx:Version><fx:ConformanceLevel>" +
      names.level +
      "</fx:ConformanceLevel>\n"
      "  </rdf:Description>\n";
  x += kFacturXExtensionSchema;
  x += " </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";
  return x;
}

// Read and flate-compressed once per process: the profile is configuration, and re-reading it
// per invoice would show in the finalize throughput; compressed, it adds 2.4 KB instead of 6.9 KB
// to every stored PDF. An empty string means it is missing (or could not be compressed).
const std::string& SrgbProfileFlate() {
  static const std::string profile = [] {
    std::ifstream in(kSrgbIccProfile, std::ios::binary);
    std::ostringstream read;
    read << in.rdbuf();
    const std::string bytes = in ? read.str() : std::string();
    if (bytes.empty()) return std::string();
    uLongf size = compressBound(static_cast<uLong>(bytes.size()));
    std::string flate(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(flate.data()), &size,
                  reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()),
                  Z_BEST_COMPRESSION) != Z_OK) {
      return std::string();
    }
    flate.resize(size);
    return flate;
  }();
  return profile;
}

void AddOutputIntent(QPDF& qpdf, Handle catalog, const std::string& icc_flate) {
  Handle profile = qpdf.newStream();
  profile.replaceStreamData(icc_flate, Handle::newName("/FlateDecode"), Handle::newNull());
  profile.getDict().replaceKey("/N", Handle::newInteger(3));
  Handle intent = Handle::newDictionary();
  intent.replaceKey("/Type", Handle::newName("/OutputIntent"));
  intent.replaceKey("/S", Handle::newName("/GTS_PDFA1"));
  intent.replaceKey("/OutputConditionIdentifier", Handle::newString("sRGB IEC61966-2.1"));
  intent.replaceKey("/Info", Handle::newString("sRGB IEC61966-2.1"));
  intent.replaceKey("/RegistryName", Handle::newString("http://www.color.org"));
  intent.replaceKey("/DestOutputProfile", profile);
  Handle intents = Handle::newArray();
  intents.appendItem(qpdf.makeIndirectObject(intent));
  catalog.replaceKey("/OutputIntents", intents);
}

void AddAttachment(QPDF& qpdf, Handle catalog, const std::string& xml, const Names& names,
                   const FacturXDocument& doc) {
  const std::string date = PdfDate(doc.created);
  auto stream = QPDFEFStreamObjectHelper::createEFStream(qpdf, xml);
  stream.setSubtype("text/xml").setCreationDate(date).setModDate(date);
  auto spec = QPDFFileSpecObjectHelper::createFileSpec(qpdf, names.file, stream);
  spec.setDescription("Factur-X/ZUGFeRD-Rechnung (CII XML)");
  Handle spec_object = spec.getObjectHandle();
  // The XML carries the same invoice as the visible pages (ZUGFeRD: Alternative for EN 16931).
  spec_object.replaceKey("/AFRelationship", Handle::newName("/Alternative"));
  QPDFEmbeddedFileDocumentHelper(qpdf).replaceEmbeddedFile(names.file, spec);
  Handle af = Handle::newArray();
  af.appendItem(spec_object);
  catalog.replaceKey("/AF", af);
}

void SetMetadata(QPDF& qpdf, Handle catalog, const FacturXDocument& doc, const Names& names) {
  Handle metadata = qpdf.newStream(Xmp(doc, names));
  metadata.getDict().replaceKey("/Type", Handle::newName("/Metadata"));
  metadata.getDict().replaceKey("/Subtype", Handle::newName("/XML"));
  catalog.replaceKey("/Metadata", metadata);

  // libharu's Info dictionary is replaced so that it says exactly what the XMP says.
  const std::string date = PdfDate(doc.created);
  Handle info = Handle::newDictionary();
  info.replaceKey("/Title", Handle::newUnicodeString(doc.title));
  info.replaceKey("/Author", Handle::newUnicodeString(doc.author));
  info.replaceKey("/Creator", Handle::newString("hundeschule"));
  info.replaceKey("/Producer", Handle::newString(kProducer));
  info.replaceKey("/CreationDate", Handle::newString(date));
  info.replaceKey("/ModDate", Handle::newString(date));
  qpdf.getTrailer().replaceKey("/Info", qpdf.makeIndirectObject(info));

  // The first /ID entry is the document's identity (PDF/A requires an /ID); QPDFWriter keeps it
  // and derives the second from the written content (deterministic ID), so nothing depends on
  // the clock.
  Handle ids = Handle::newArray();
  ids.appendItem(Handle::newString(doc.document_id));
  ids.appendItem(Handle::newString(doc.document_id));
  qpdf.getTrailer().replaceKey("/ID", ids);
}

// `expected_size`: about the size of the result, so the output grows in place instead of being
// copied as it fills.
std::string Write(QPDF& qpdf, std::size_t expected_size) {
  std::string out;
  out.reserve(expected_size);
  Pl_String sink("facturx", nullptr, out);
  QPDFWriter writer(qpdf);
  writer.setOutputPipeline(&sink);
  writer.setDeterministicID(true);
  writer.setMinimumPDFVersion("1.7");
  // A classic xref table and streams as they are: the font programs keep whatever compression
  // the renderer chose (re-compressing them would cost milliseconds per invoice), and the XMP
  // stays unfiltered as PDF/A requires.
  writer.setObjectStreamMode(qpdf_o_disable);
  writer.setStreamDataMode(qpdf_s_preserve);
  writer.write();
  return out;
}

}  // namespace

Result<std::string> MakeFacturXPdf(const std::string& pdf, const std::string& cii_xml,
                                   const FacturXDocument& doc) {
  if (doc.document_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "facturx_no_document_id",
                "Für die Factur-X-PDF fehlt die Dokumentkennung.");
  }
  const std::string& icc = SrgbProfileFlate();
  if (icc.empty()) {
    return Internal(std::string("ICC-Farbprofil für PDF/A fehlt: ") + kSrgbIccProfile +
                    " (Paket icc-profiles-free)");
  }
  const Names names = NamesFor(doc.profile);
  try {
    QPDF qpdf;
    qpdf.setSuppressWarnings(true);
    qpdf.processMemoryFile("invoice.pdf", pdf.data(), pdf.size());
    Handle catalog = qpdf.getRoot();
    AddOutputIntent(qpdf, catalog, icc);
    AddAttachment(qpdf, catalog, cii_xml, names, doc);
    SetMetadata(qpdf, catalog, doc, names);
    // The XMP, the dictionaries and the xref table add a few KB to the three parts.
    return Write(qpdf, pdf.size() + cii_xml.size() + icc.size() + 16 * 1024);
  } catch (const QPDFExc& e) {
    return Fail(ErrorCode::kInvalidArgument, "facturx_pdf_invalid",
                std::string("Die Rechnungs-PDF ist nicht lesbar: ") + e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("Die Factur-X-PDF konnte nicht erzeugt werden: ") + e.what());
  }
}

}  // namespace hs::einvoice
