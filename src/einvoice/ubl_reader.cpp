// The UBL 2.1 syntax (Invoice, CreditNote) of a received e-invoice mapped onto ReceivedEInvoice
// with the EN 16931 UBL binding: XRechnung in UBL and other EN 16931 UBL invoices (Peppol BIS).
// Parsing and its protections are xml_reading.cpp's (ReadEInvoiceXml); this file only walks the
// tree, with the same field reader and sum checks as the CII reader.
#include <initializer_list>
#include <string>

#include "einvoice/xml_reading.hpp"

namespace hs::einvoice {

namespace {

constexpr const char* kCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
constexpr const char* kCac =
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
constexpr const char* kCbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

using xml::Attribute;
using xml::Child;
using xml::Children;
using xml::FieldReader;
using xml::Text;

// The cac: element at the end of a path of cac: names.
const xmlNode* Cac(const xmlNode* node, std::initializer_list<const char*> path) {
  return xml::Path(node, kCac, path);
}

const xmlNode* Cbc(const xmlNode* node, const char* name) {
  return Child(node, kCbc, name);
}

// UBL dates are xs:date, "2026-11-27".
std::optional<Date> IsoDate(const xmlNode* node, const std::string& what, FieldReader& r) {
  if (node == nullptr) return std::nullopt;
  auto date = ParseIsoDate(Text(node));
  if (!date) r.Warn(what + " ist kein Datum im Format JJJJ-MM-TT.");
  return date;
}

// BT-9: cbc:DueDate of an Invoice; a CreditNote has none and states it per payment means.
const xmlNode* DueDate(const xmlNode* root) {
  if (const xmlNode* due = Cbc(root, "DueDate")) return due;
  for (const xmlNode* means : Children(root, kCac, "PaymentMeans")) {
    if (const xmlNode* due = Cbc(means, "PaymentDueDate")) return due;
  }
  return nullptr;
}

void ReadHeader(const xmlNode* root, bool credit_note, ReceivedEInvoice& out, FieldReader& r) {
  out.guideline = Text(Cbc(root, "CustomizationID"));
  out.format = FormatLabel(out.guideline, Syntax::kUbl);
  out.number = Text(Cbc(root, "ID"));
  out.type_code = Text(Cbc(root, credit_note ? "CreditNoteTypeCode" : "InvoiceTypeCode"));
  // The root already says what the document is; a CreditNote without its code is a credit note
  // (381), so that it is never shown as an invoice.
  if (credit_note && out.type_code.empty()) out.type_code = "381";
  out.issue_date = IsoDate(Cbc(root, "IssueDate"), "Das Rechnungsdatum", r);
  out.due_date = IsoDate(DueDate(root), "Das Fälligkeitsdatum", r);
  out.currency = Text(Cbc(root, "DocumentCurrencyCode"));
}

// BT-27 / BT-44: the legal name; the trading name (cac:PartyName) when that is all there is.
std::string PartyName(const xmlNode* party) {
  std::string name = Text(Cbc(Cac(party, {"PartyLegalEntity"}), "RegistrationName"));
  if (name.empty()) name = Text(Cbc(Cac(party, {"PartyName"}), "Name"));
  return name;
}

// BT-31 is the registration under the tax scheme "VAT"; BT-32 (Steuernummer) the one under any
// other scheme (XRechnung writes "FC").
void ReadParties(const xmlNode* root, ReceivedEInvoice& out) {
  const xmlNode* supplier = Cac(root, {"AccountingSupplierParty", "Party"});
  out.supplier_name = PartyName(supplier);
  for (const xmlNode* scheme : Children(supplier, kCac, "PartyTaxScheme")) {
    const std::string id = Text(Cbc(scheme, "CompanyID"));
    const std::string kind = Text(Cbc(Cac(scheme, {"TaxScheme"}), "ID"));
    if (kind == "VAT") {
      out.supplier_vat_id = id;
    } else if (!kind.empty() && out.supplier_tax_number.empty()) {
      out.supplier_tax_number = id;
    }
  }
  out.buyer_name = PartyName(Cac(root, {"AccountingCustomerParty", "Party"}));
}

Status ReadLines(const xmlNode* root, bool credit_note, ReceivedEInvoice& out, FieldReader& r) {
  const auto items = Children(root, kCac, credit_note ? "CreditNoteLine" : "InvoiceLine");
  HS_CHECK(xml::CheckLineCount(items.size()));
  for (const xmlNode* item : items) {
    ReceivedLine line;
    line.id = Text(Cbc(item, "ID"));
    const std::string what = "Position " + (line.id.empty() ? "?" : line.id);
    line.name = Text(Cbc(Cac(item, {"Item"}), "Name"));
    const xmlNode* quantity = Cbc(item, credit_note ? "CreditedQuantity" : "InvoicedQuantity");
    line.quantity = r.Quantity(quantity, what);
    line.unit_code = Attribute(quantity, "unitCode");
    const xmlNode* category = Cac(item, {"Item", "ClassifiedTaxCategory"});
    line.vat_category = Text(Cbc(category, "ID"));
    line.vat_rate_bp = r.Rate(Cbc(category, "Percent"), what);
    line.net_cents = r.Amount(Cbc(item, "LineExtensionAmount"), what + ": der Nettobetrag");
    out.lines.push_back(std::move(line));
  }
  return {};
}

// cac:TaxTotal may be given twice: in the invoice currency with the breakdown (BT-110) and in
// the accounting currency without (BT-111); the one in the invoice currency counts.
const xmlNode* DocumentTaxTotal(const xmlNode* root, const std::string& currency) {
  std::vector<const xmlNode*> amounts;
  for (const xmlNode* total : Children(root, kCac, "TaxTotal")) {
    if (const xmlNode* amount = Cbc(total, "TaxAmount")) amounts.push_back(amount);
  }
  const xmlNode* amount = xml::InCurrency(amounts, currency);
  return amount == nullptr ? nullptr : amount->parent;
}

void ReadTaxes(const xmlNode* root, ReceivedEInvoice& out, FieldReader& r) {
  const xmlNode* total = DocumentTaxTotal(root, out.currency);
  for (const xmlNode* subtotal : Children(total, kCac, "TaxSubtotal")) {
    ReceivedTaxGroup group;
    const xmlNode* category = Cac(subtotal, {"TaxCategory"});
    group.category = Text(Cbc(category, "ID"));
    group.rate_bp = r.Rate(Cbc(category, "Percent"), "Umsatzsteuer");
    const std::string what = "Umsatzsteuer " + FormatRateDe(group.rate_bp);
    group.basis_cents =
        r.Amount(Cbc(subtotal, "TaxableAmount"), what + ": die Bemessungsgrundlage");
    group.tax_cents = r.Amount(Cbc(subtotal, "TaxAmount"), what + ": der Steuerbetrag");
    group.exemption_reason = Text(Cbc(category, "TaxExemptionReason"));
    out.tax_groups.push_back(std::move(group));
  }
  out.tax_total_cents =
      r.Amount(Cbc(total, "TaxAmount"), "Die Umsatzsteuer", !out.tax_groups.empty());
}

void ReadTotals(const xmlNode* sum, ReceivedEInvoice& out, FieldReader& r) {
  out.line_total_cents = r.Amount(Cbc(sum, "LineExtensionAmount"), "Die Summe der Positionen");
  out.allowance_total_cents =
      r.Amount(Cbc(sum, "AllowanceTotalAmount"), "Die Summe der Nachlässe", false);
  out.charge_total_cents =
      r.Amount(Cbc(sum, "ChargeTotalAmount"), "Die Summe der Zuschläge", false);
  out.tax_basis_cents = r.Amount(Cbc(sum, "TaxExclusiveAmount"), "Der Nettobetrag");
  out.gross_cents = r.Amount(Cbc(sum, "TaxInclusiveAmount"), "Der Bruttobetrag");
  out.prepaid_cents = r.Amount(Cbc(sum, "PrepaidAmount"), "Die Anzahlung", false);
  out.rounding_cents = r.Amount(Cbc(sum, "PayableRoundingAmount"), "Die Rundung", false);
  out.due_payable_cents = r.Amount(Cbc(sum, "PayableAmount"), "Der Zahlbetrag");
}

// Without cac:LegalMonetaryTotal (mandatory in UBL and EN 16931) there is no amount to show or
// check: the file is refused like a CII without its transaction, with the missing part named.
tl::unexpected<Error> WithoutTotals() {
  return Fail(ErrorCode::kInvalidArgument, "not_e_invoice",
              "Die XML-Datei ist keine vollständige E-Rechnung im UBL-Format: die Gesamtbeträge "
              "(cac:LegalMonetaryTotal) fehlen.",
              {{"file", "UBL-Rechnung ohne Gesamtbeträge."}});
}

}  // namespace

Result<ReceivedEInvoice> xml::ReadUbl(const xmlNode* root) {
  const xmlNode* sum = Child(root, kCac, "LegalMonetaryTotal");
  if (sum == nullptr) return WithoutTotals();
  const bool credit_note = Is(root, kCreditNote, "CreditNote");
  ReceivedEInvoice out;
  out.syntax = Syntax::kUbl;
  FieldReader reader(out);
  ReadHeader(root, credit_note, out, reader);
  HS_CHECK(ReadLines(root, credit_note, out, reader));
  ReadParties(root, out);
  ReadTaxes(root, out, reader);
  ReadTotals(sum, out, reader);
  CheckReceived(out);
  return out;
}

}  // namespace hs::einvoice
