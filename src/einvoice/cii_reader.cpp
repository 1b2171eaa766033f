// ReadEInvoiceXml: the CII XML of a received e-invoice read with libxml2 (the only file that
// includes its headers). The parser gets no network (XML_PARSE_NONET), no entity substitution
// (no XML_PARSE_NOENT), no DTD loading or validation, no XML_PARSE_HUGE (libxml2's own depth and
// size limits stay), and a document with any DTD is refused before it is looked at: an
// e-invoice has none, and entity declarations are how XXE and "billion laughs" arrive.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <mutex>

#include "core/text.hpp"
#include "einvoice/received.hpp"

namespace hs::einvoice {

namespace {

constexpr const char* kRsm = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
constexpr const char* kRam =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
constexpr const char* kUdt = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

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

tl::unexpected<Error> NotEInvoice() {
  return Fail(ErrorCode::kInvalidArgument, "not_e_invoice",
              "Die XML-Datei ist keine E-Rechnung. Angenommen werden XRechnung und ZUGFeRD / "
              "Factur-X im CII-Format (rsm:CrossIndustryInvoice).",
              {{"file", "Keine E-Rechnung im CII-Format."}});
}

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

// The ram: element at the end of a path of ram: names.
const xmlNode* Ram(const xmlNode* node, std::initializer_list<const char*> path) {
  for (const char* name : path) node = Child(node, kRam, name);
  return node;
}

// The element's own text (text and CDATA children; the parser has already resolved the
// predefined entities and character references), trimmed and cut to kMaxText bytes of UTF-8.
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

class Reader {
 public:
  explicit Reader(ReceivedEInvoice& out) : out_(out) {}

  Cents Amount(const xmlNode* node, const std::string& what, bool required = true) {
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

  std::int64_t Rate(const xmlNode* node, const std::string& what) {
    if (node == nullptr) return 0;  // a category without a rate (O: outside the scope of VAT)
    const auto rate = ParseRateBasisPoints(Text(node));
    if (!rate) Warn(what + ": der Steuersatz ist ungültig.");
    return rate.value_or(0);
  }

  std::optional<Date> DateOf(const xmlNode* date_time, const std::string& what) {
    if (date_time == nullptr) return std::nullopt;
    const xmlNode* text = Child(date_time, kUdt, "DateTimeString");
    const std::string format = Attribute(text, "format");
    auto date = ParseDate102(Text(text));
    if (!date || (!format.empty() && format != "102")) {
      Warn(what + " ist kein Datum im Format JJJJMMTT.");
      return std::nullopt;
    }
    return date;
  }

  void Warn(std::string text) { out_.warnings.push_back(std::move(text)); }

 private:
  ReceivedEInvoice& out_;
};

void ReadContext(const xmlNode* root, ReceivedEInvoice& out) {
  const xmlNode* context = Child(root, kRsm, "ExchangedDocumentContext");
  out.guideline = Text(Ram(context, {"GuidelineSpecifiedDocumentContextParameter", "ID"}));
  out.format = FormatLabel(out.guideline);
}

void ReadDocument(const xmlNode* root, ReceivedEInvoice& out, Reader& r) {
  const xmlNode* doc = Child(root, kRsm, "ExchangedDocument");
  out.number = Text(Child(doc, kRam, "ID"));
  out.type_code = Text(Child(doc, kRam, "TypeCode"));
  out.issue_date = r.DateOf(Child(doc, kRam, "IssueDateTime"), "Das Rechnungsdatum");
}

Status ReadLines(const xmlNode* transaction, ReceivedEInvoice& out, Reader& r) {
  const auto items = Children(transaction, kRam, "IncludedSupplyChainTradeLineItem");
  if (items.size() > kMaxEInvoiceLines) {
    return Fail(ErrorCode::kInvalidArgument, "e_invoice_too_large",
                "Die E-Rechnung hat mehr als 10.000 Positionen und wird nicht angenommen.",
                {{"file", "Zu viele Positionen."}});
  }
  for (const xmlNode* item : items) {
    ReceivedLine line;
    line.id = Text(Ram(item, {"AssociatedDocumentLineDocument", "LineID"}));
    const std::string what = "Position " + (line.id.empty() ? "?" : line.id);
    line.name = Text(Ram(item, {"SpecifiedTradeProduct", "Name"}));
    const xmlNode* quantity = Ram(item, {"SpecifiedLineTradeDelivery", "BilledQuantity"});
    if (quantity != nullptr) {
      auto text = ParseQuantityText(Text(quantity));
      if (!text) r.Warn(what + ": die Menge ist keine Zahl.");
      line.quantity = text.value_or("");
      line.unit_code = Attribute(quantity, "unitCode");
    }
    const xmlNode* settlement = Child(item, kRam, "SpecifiedLineTradeSettlement");
    const xmlNode* tax = Child(settlement, kRam, "ApplicableTradeTax");
    line.vat_category = Text(Child(tax, kRam, "CategoryCode"));
    line.vat_rate_bp = r.Rate(Child(tax, kRam, "RateApplicablePercent"), what);
    line.net_cents = r.Amount(
        Ram(settlement, {"SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"}),
        what + ": der Nettobetrag");
    out.lines.push_back(std::move(line));
  }
  return {};
}

void ReadParties(const xmlNode* transaction, ReceivedEInvoice& out) {
  const xmlNode* agreement = Child(transaction, kRam, "ApplicableHeaderTradeAgreement");
  const xmlNode* seller = Child(agreement, kRam, "SellerTradeParty");
  out.supplier_name = Text(Child(seller, kRam, "Name"));
  for (const xmlNode* reg : Children(seller, kRam, "SpecifiedTaxRegistration")) {
    const xmlNode* id = Child(reg, kRam, "ID");
    const std::string scheme = Attribute(id, "schemeID");
    if (scheme == "VA") out.supplier_vat_id = Text(id);
    if (scheme == "FC") out.supplier_tax_number = Text(id);
  }
  out.buyer_name = Text(Ram(agreement, {"BuyerTradeParty", "Name"}));
}

// BT-110 may be given twice (in the invoice currency and in the accounting currency); the one in
// the invoice currency counts.
const xmlNode* TaxTotal(const xmlNode* summation, const std::string& currency) {
  const auto totals = Children(summation, kRam, "TaxTotalAmount");
  for (const xmlNode* t : totals) {
    const std::string id = Attribute(t, "currencyID");
    if (id.empty() || id == currency) return t;
  }
  return totals.empty() ? nullptr : totals.front();
}

void ReadSettlement(const xmlNode* transaction, ReceivedEInvoice& out, Reader& r) {
  const xmlNode* settlement = Child(transaction, kRam, "ApplicableHeaderTradeSettlement");
  out.currency = Text(Child(settlement, kRam, "InvoiceCurrencyCode"));
  for (const xmlNode* tax : Children(settlement, kRam, "ApplicableTradeTax")) {
    ReceivedTaxGroup group;
    group.category = Text(Child(tax, kRam, "CategoryCode"));
    group.rate_bp = r.Rate(Child(tax, kRam, "RateApplicablePercent"), "Umsatzsteuer");
    const std::string what = "Umsatzsteuer " + FormatRateDe(group.rate_bp);
    group.basis_cents =
        r.Amount(Child(tax, kRam, "BasisAmount"), what + ": die Bemessungsgrundlage");
    group.tax_cents = r.Amount(Child(tax, kRam, "CalculatedAmount"), what + ": der Steuerbetrag");
    group.exemption_reason = Text(Child(tax, kRam, "ExemptionReason"));
    out.tax_groups.push_back(std::move(group));
  }
  out.due_date = r.DateOf(Ram(settlement, {"SpecifiedTradePaymentTerms", "DueDateDateTime"}),
                          "Das Fälligkeitsdatum");
  const xmlNode* sum = Child(settlement, kRam, "SpecifiedTradeSettlementHeaderMonetarySummation");
  out.line_total_cents = r.Amount(Child(sum, kRam, "LineTotalAmount"), "Die Summe der Positionen");
  out.allowance_total_cents =
      r.Amount(Child(sum, kRam, "AllowanceTotalAmount"), "Die Summe der Nachlässe", false);
  out.charge_total_cents =
      r.Amount(Child(sum, kRam, "ChargeTotalAmount"), "Die Summe der Zuschläge", false);
  out.tax_basis_cents = r.Amount(Child(sum, kRam, "TaxBasisTotalAmount"), "Der Nettobetrag");
  out.tax_total_cents =
      r.Amount(TaxTotal(sum, out.currency), "Die Umsatzsteuer", !out.tax_groups.empty());
  out.gross_cents = r.Amount(Child(sum, kRam, "GrandTotalAmount"), "Der Bruttobetrag");
  out.prepaid_cents = r.Amount(Child(sum, kRam, "TotalPrepaidAmount"), "Die Anzahlung", false);
  out.rounding_cents = r.Amount(Child(sum, kRam, "RoundingAmount"), "Die Rundung", false);
  out.due_payable_cents = r.Amount(Child(sum, kRam, "DuePayableAmount"), "Der Zahlbetrag");
}

std::unique_ptr<xmlDoc, DocFree> Parse(std::string_view xml) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return nullptr;
  ctxt->sax->serror = IgnoreError;
  ctxt->sax->warning = nullptr;
  ctxt->sax->error = nullptr;
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  return std::unique_ptr<xmlDoc, DocFree>(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), "e-rechnung.xml", nullptr, options));
}

}  // namespace

Result<ReceivedEInvoice> ReadEInvoiceXml(std::string_view xml) {
  if (xml.size() > kMaxEInvoiceXmlBytes) {
    return Fail(ErrorCode::kPayloadTooLarge, "e_invoice_too_large",
                "Die XML-Datei ist zu groß (höchstens 10 MB).", {{"file", "Höchstens 10 MB."}});
  }
  // Cheap and before the parser: an e-invoice has no document type declaration.
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "e_invoice_dtd",
                "Die XML-Datei enthält eine Dokumenttyp-Deklaration (DTD) oder Entitäten. "
                "Eine E-Rechnung enthält keine; aus Sicherheitsgründen wird sie nicht angenommen.",
                {{"file", "XML mit DTD wird nicht angenommen."}});
  }
  const auto doc = Parse(xml);
  if (!doc) return Unreadable();
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "e_invoice_dtd",
                "Die XML-Datei enthält eine Dokumenttyp-Deklaration (DTD). Eine E-Rechnung "
                "enthält keine; aus Sicherheitsgründen wird sie nicht angenommen.",
                {{"file", "XML mit DTD wird nicht angenommen."}});
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!Is(root, kRsm, "CrossIndustryInvoice")) return NotEInvoice();
  const xmlNode* transaction = Child(root, kRsm, "SupplyChainTradeTransaction");
  if (Child(root, kRsm, "ExchangedDocument") == nullptr || transaction == nullptr) {
    return NotEInvoice();
  }
  ReceivedEInvoice out;
  Reader reader(out);
  ReadContext(root, out);
  ReadDocument(root, out, reader);
  HS_CHECK(ReadLines(transaction, out, reader));
  ReadParties(transaction, out);
  ReadSettlement(transaction, out, reader);
  CheckReceived(out);
  return out;
}

}  // namespace hs::einvoice
