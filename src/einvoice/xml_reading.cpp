// The shared parse path of received e-invoices (ReadEInvoiceXml) and the element helpers of the
// CII and UBL readers. The parser gets no network (XML_PARSE_NONET), no entity substitution (no
// XML_PARSE_NOENT), no DTD loading or validation, no XML_PARSE_HUGE (libxml2's own depth and
// size limits stay), and a document with any DTD is refused before it is looked at: an
// e-invoice has none, and entity declarations are how XXE and "billion laughs" arrive.
#include "einvoice/xml_reading.hpp"

#include <libxml/parser.h>

#include <memory>
#include <mutex>

#include "core/text.hpp"

namespace hs::einvoice {

namespace xml {

namespace {

constexpr const char* kCii = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
constexpr const char* kUblInvoice = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
constexpr const char* kUblCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

// Texts longer than this are cut: a name or number in an invoice is never that long, and the
// answer that shows them stays small.
constexpr std::size_t kMaxText = 1000;

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

// libxml2 reports every error through a handler; a silent one keeps its text out of logs and
// answers (the German message is ours).
void IgnoreError(void* /*context*/, xmlError* /*error*/) {}

tl::unexpected<Error> Unreadable() {
  return Fail(ErrorCode::kInvalidArgument, "e_invoice_unreadable",
              "Die XML-Datei ist nicht lesbar (kein vollständiges, gültiges XML).",
              {{"file", "Kein gültiges XML."}});
}

tl::unexpected<Error> WithDtd() {
  return Fail(ErrorCode::kInvalidArgument, "e_invoice_dtd",
              "Die XML-Datei enthält eine Dokumenttyp-Deklaration (DTD) oder Entitäten. "
              "Eine E-Rechnung enthält keine; aus Sicherheitsgründen wird sie nicht angenommen.",
              {{"file", "XML mit DTD wird nicht angenommen."}});
}

std::unique_ptr<xmlDoc, DocFree> Parse(std::string_view bytes) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return nullptr;
  ctxt->sax->serror = IgnoreError;
  ctxt->sax->warning = nullptr;
  ctxt->sax->error = nullptr;
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  return std::unique_ptr<xmlDoc, DocFree>(xmlCtxtReadMemory(ctxt.get(), bytes.data(),
                                                            static_cast<int>(bytes.size()),
                                                            "e-rechnung.xml", nullptr, options));
}

bool IsUblRoot(const xmlNode* root) {
  return Is(root, kUblInvoice, "Invoice") || Is(root, kUblCreditNote, "CreditNote");
}

}  // namespace

bool Is(const xmlNode* node, const char* ns, const char* name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         xmlStrEqual(node->ns->href, reinterpret_cast<const xmlChar*>(ns)) != 0 &&
         xmlStrEqual(node->name, reinterpret_cast<const xmlChar*>(name)) != 0;
}

const xmlNode* Child(const xmlNode* node, const char* ns, const char* name) {
  if (node == nullptr) return nullptr;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) return c;
  }
  return nullptr;
}

std::vector<const xmlNode*> Children(const xmlNode* node, const char* ns, const char* name) {
  std::vector<const xmlNode*> out;
  if (node == nullptr) return out;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) out.push_back(c);
  }
  return out;
}

const xmlNode* Path(const xmlNode* node, const char* ns, std::initializer_list<const char*> names) {
  for (const char* name : names) node = Child(node, ns, name);
  return node;
}

// Text and CDATA children only; the parser has already resolved the predefined entities and
// character references.
std::string Text(const xmlNode* node) {
  if (node == nullptr) return "";
  std::string out;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      out += reinterpret_cast<const char*>(c->content);
      if (out.size() > kMaxText * 2) break;
    }
  }
  out = Trim(out);
  if (out.size() > kMaxText) {
    std::size_t cut = kMaxText;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

std::string Attribute(const xmlNode* node, const char* name) {
  if (node == nullptr) return "";
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && xmlStrEqual(a->name, reinterpret_cast<const xmlChar*>(name)) &&
        a->children != nullptr && a->children->content != nullptr) {
      return Trim(reinterpret_cast<const char*>(a->children->content));
    }
  }
  return "";
}

const xmlNode* InCurrency(const std::vector<const xmlNode*>& amounts, const std::string& currency) {
  for (const xmlNode* amount : amounts) {
    const std::string id = Attribute(amount, "currencyID");
    if (id.empty() || id == currency) return amount;
  }
  return amounts.empty() ? nullptr : amounts.front();
}

Cents FieldReader::Amount(const xmlNode* node, const std::string& what, bool required) {
  if (node == nullptr) {
    if (required) Warn(what + " fehlt.");
    return 0;
  }
  const auto cents = ParseDecimalCents(Text(node));
  if (!cents) {
    Warn(what + " ist kein gültiger Betrag mit höchstens zwei Nachkommastellen.");
    return 0;
  }
  return *cents;
}

std::int64_t FieldReader::Rate(const xmlNode* node, const std::string& what) {
  if (node == nullptr) return 0;
  const auto rate = ParseRateBasisPoints(Text(node));
  if (!rate) Warn(what + ": der Steuersatz ist ungültig.");
  return rate.value_or(0);
}

std::string FieldReader::Quantity(const xmlNode* node, const std::string& what) {
  if (node == nullptr) return "";
  auto text = ParseQuantityText(Text(node));
  if (!text) Warn(what + ": die Menge ist keine Zahl.");
  return text.value_or("");
}

void FieldReader::Warn(std::string text) {
  out_.warnings.push_back(std::move(text));
}

Status CheckLineCount(std::size_t lines) {
  if (lines <= kMaxEInvoiceLines) return {};
  return Fail(ErrorCode::kInvalidArgument, "e_invoice_too_large",
              "Die E-Rechnung hat mehr als 10.000 Positionen und wird nicht angenommen.",
              {{"file", "Zu viele Positionen."}});
}

tl::unexpected<Error> NotEInvoice() {
  return Fail(ErrorCode::kInvalidArgument, "not_e_invoice",
              "Die XML-Datei ist keine E-Rechnung. Angenommen werden XRechnung und ZUGFeRD / "
              "Factur-X im CII-Format (rsm:CrossIndustryInvoice) und XRechnung im UBL-Format "
              "(Invoice, CreditNote).",
              {{"file", "Keine E-Rechnung im CII- oder UBL-Format."}});
}

Result<ReceivedEInvoice> ReadXml(std::string_view bytes, Accept accept) {
  if (bytes.size() > kMaxEInvoiceXmlBytes) {
    return Fail(ErrorCode::kPayloadTooLarge, "e_invoice_too_large",
                "Die XML-Datei ist zu groß (höchstens 10 MB).", {{"file", "Höchstens 10 MB."}});
  }
  // Cheap and before the parser: an e-invoice has no document type declaration.
  if (bytes.find("<!DOCTYPE") != std::string_view::npos ||
      bytes.find("<!ENTITY") != std::string_view::npos) {
    return WithDtd();
  }
  const auto doc = Parse(bytes);
  if (!doc) return Unreadable();
  // After the parser as well: a UTF-16 file hides "<!DOCTYPE" from the byte search.
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) return WithDtd();
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (Is(root, kCii, "CrossIndustryInvoice")) return ReadCii(root);
  if (accept == Accept::kCiiOrUbl && IsUblRoot(root)) return ReadUbl(root);
  return NotEInvoice();
}

}  // namespace xml

Result<ReceivedEInvoice> ReadEInvoiceXml(std::string_view bytes) {
  return xml::ReadXml(bytes, xml::Accept::kCiiOrUbl);
}

}  // namespace hs::einvoice
