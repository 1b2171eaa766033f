// The CII syntax (rsm:CrossIndustryInvoice) of a received e-invoice mapped onto
// ReceivedEInvoice: XRechnung in CII and the XML of a ZUGFeRD / Factur-X PDF. Parsing and its
// protections are xml_reading.cpp's (ReadEInvoiceXml); this file only walks the tree.
#include <initializer_list>
#include <string>

#include "einvoice/xml_reading.hpp"

namespace hs::einvoice {

namespace {

constexpr const char* kRsm = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
constexpr const char* kRam =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
constexpr const char* kUdt = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

using xml::Attribute;
using xml::Child;
using xml::Children;
using xml::FieldReader;
using xml::Text;

// The ram: element at the end of a path of ram: names.
const xmlNode* Ram(const xmlNode* node, std::initializer_list<const char*> path) {
  return xml::Path(node, kRam, path);
}

std::optional<Date> DateOf(const xmlNode* date_time, const std::string& what, FieldReader& r) {
  if (date_time == nullptr) return std::nullopt;
  const xmlNode* text = Child(date_time, kUdt, "DateTimeString");
  const std::string format = Attribute(text, "format");
  auto date = ParseDate102(Text(text));
  if (!date || (!format.empty() && format != "102")) {
    r.Warn(what + " ist kein Datum im Format JJJJMMTT.");
    return std::nullopt;
  }
  return date;
}

void ReadContext(const xmlNode* root, ReceivedEInvoice& out) {
  const xmlNode* context = Child(root, kRsm, "ExchangedDocumentContext");
  out.guideline = Text(Ram(context, {"GuidelineSpecifiedDocumentContextParameter", "ID"}));
  out.format = FormatLabel(out.guideline);
}

void ReadDocument(const xmlNode* root, ReceivedEInvoice& out, FieldReader& r) {
  const xmlNode* doc = Child(root, kRsm, "ExchangedDocument");
  out.number = Text(Child(doc, kRam, "ID"));
  out.type_code = Text(Child(doc, kRam, "TypeCode"));
  out.issue_date = DateOf(Child(doc, kRam, "IssueDateTime"), "Das Rechnungsdatum", r);
}

Status ReadLines(const xmlNode* transaction, ReceivedEInvoice& out, FieldReader& r) {
  const auto items = Children(transaction, kRam, "IncludedSupplyChainTradeLineItem");
  HS_CHECK(xml::CheckLineCount(items.size()));
  for (const xmlNode* item : items) {
    ReceivedLine line;
    line.id = Text(Ram(item, {"AssociatedDocumentLineDocument", "LineID"}));
    const std::string what = "Position " + (line.id.empty() ? "?" : line.id);
    line.name = Text(Ram(item, {"SpecifiedTradeProduct", "Name"}));
    const xmlNode* quantity = Ram(item, {"SpecifiedLineTradeDelivery", "BilledQuantity"});
    line.quantity = r.Quantity(quantity, what);
    line.unit_code = Attribute(quantity, "unitCode");
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

void ReadSettlement(const xmlNode* transaction, ReceivedEInvoice& out, FieldReader& r) {
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
  out.due_date = DateOf(Ram(settlement, {"SpecifiedTradePaymentTerms", "DueDateDateTime"}),
                        "Das Fälligkeitsdatum", r);
  const xmlNode* sum = Child(settlement, kRam, "SpecifiedTradeSettlementHeaderMonetarySummation");
  out.line_total_cents = r.Amount(Child(sum, kRam, "LineTotalAmount"), "Die Summe der Positionen");
  out.allowance_total_cents =
      r.Amount(Child(sum, kRam, "AllowanceTotalAmount"), "Die Summe der Nachlässe", false);
  out.charge_total_cents =
      r.Amount(Child(sum, kRam, "ChargeTotalAmount"), "Die Summe der Zuschläge", false);
  out.tax_basis_cents = r.Amount(Child(sum, kRam, "TaxBasisTotalAmount"), "Der Nettobetrag");
  // BT-110 may be given twice (in the invoice currency and in the accounting currency); the one
  // in the invoice currency counts.
  out.tax_total_cents =
      r.Amount(xml::InCurrency(Children(sum, kRam, "TaxTotalAmount"), out.currency),
               "Die Umsatzsteuer", !out.tax_groups.empty());
  out.gross_cents = r.Amount(Child(sum, kRam, "GrandTotalAmount"), "Der Bruttobetrag");
  out.prepaid_cents = r.Amount(Child(sum, kRam, "TotalPrepaidAmount"), "Die Anzahlung", false);
  out.rounding_cents = r.Amount(Child(sum, kRam, "RoundingAmount"), "Die Rundung", false);
  out.due_payable_cents = r.Amount(Child(sum, kRam, "DuePayableAmount"), "Der Zahlbetrag");
}

}  // namespace

Result<ReceivedEInvoice> xml::ReadCii(const xmlNode* root) {
  const xmlNode* transaction = Child(root, kRsm, "SupplyChainTradeTransaction");
  if (Child(root, kRsm, "ExchangedDocument") == nullptr || transaction == nullptr) {
    return NotEInvoice();
  }
  ReceivedEInvoice out;
  out.syntax = Syntax::kCii;
  FieldReader reader(out);
  ReadContext(root, out);
  ReadDocument(root, out, reader);
  HS_CHECK(ReadLines(transaction, out, reader));
  ReadParties(transaction, out);
  ReadSettlement(transaction, out, reader);
  CheckReceived(out);
  return out;
}

}  // namespace hs::einvoice
