#include "einvoice/cii.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/date.hpp"
#include "core/text.hpp"
#include "einvoice/amounts.hpp"
#include "einvoice/xml_writer.hpp"

namespace hs::einvoice {
namespace {

using domain::Invoice;
using domain::School;

constexpr const char* kCurrency = "EUR";

bool IsXRechnung(const Options& options) {
  return options.profile == Profile::kXRechnung;
}

bool IsCancellation(const Invoice& invoice) {
  return invoice.kind == domain::InvoiceKind::kCancellation;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool Blank(std::string_view text) {
  return Trim(text).empty();
}

// "20261127" (format 102 of UNTDID 2379, the only one EN 16931 allows).
std::string Date102(Date date) {
  std::string iso = FormatIsoDate(date);
  std::erase(iso, '-');
  return iso;
}

void Require(bool present, std::string field, std::string what, std::vector<FieldError>& errors) {
  if (!present) errors.push_back({std::move(field), what + " fehlt."});
}

void CheckAddress(const domain::Address& address, const std::string& prefix,
                  const std::string& owner, std::vector<FieldError>& errors) {
  Require(!Blank(address.street), prefix + ".street", "Die Straße " + owner, errors);
  Require(!Blank(address.zip), prefix + ".zip", "Die Postleitzahl " + owner, errors);
  Require(!Blank(address.city), prefix + ".city", "Der Ort " + owner, errors);
  Require(address.country.size() == 2, prefix + ".country", "Das Land (ISO-Code) " + owner, errors);
}

void CheckSchool(const School& school, const Options& options, std::vector<FieldError>& errors) {
  const std::string of = "der Hundeschule";
  Require(!Blank(school.name), "school.name", "Der Name " + of, errors);
  CheckAddress(school.address, "school.address", of, errors);
  Require(!Blank(school.tax_number) || !Blank(school.vat_id), "school.tax_number",
          "Die Steuernummer oder USt-IdNr. " + of, errors);
  Require(domain::IsValidIban(school.iban), "school.iban", "Eine gültige IBAN " + of, errors);
  if (!IsXRechnung(options)) return;
  // BR-DE-2, -5, -6, -7: XRechnung needs a seller contact with name, phone and e-mail; the
  // e-mail is also the seller's electronic address (BT-34).
  Require(!Blank(options.seller_contact_name), "school.contact_name", "Der Ansprechpartner " + of,
          errors);
  Require(!Blank(school.phone), "school.phone", "Die Telefonnummer " + of, errors);
  Require(!Blank(school.email), "school.email", "Die E-Mail-Adresse " + of, errors);
  // BR-DE-27 and -28 only warn, but a receiver cannot call or write to such a contact.
  if (!Blank(school.phone) && std::ranges::count_if(school.phone, IsDigit) < 3) {
    errors.push_back({"school.phone",
                      "Die Telefonnummer der Hundeschule braucht mindestens "
                      "drei Ziffern."});
  }
  if (!Blank(school.email) && std::ranges::count(school.email, '@') != 1) {
    errors.push_back({"school.email", "Die E-Mail-Adresse der Hundeschule ist ungültig."});
  }
}

void CheckInvoice(const Invoice& invoice, const School& school, const Options& options,
                  std::vector<FieldError>& errors) {
  Require(invoice.status != domain::InvoiceStatus::kDraft && invoice.number.has_value(),
          "invoice.number", "Die Rechnungsnummer (die Rechnung ist noch ein Entwurf)", errors);
  Require(!invoice.lines.empty(), "invoice.lines", "Mindestens eine Position", errors);
  if (IsCancellation(invoice)) {
    Require(invoice.cancels_invoice_number.has_value(), "invoice.cancels_invoice_number",
            "Die Nummer der stornierten Rechnung", errors);
  }
  const auto& customer = invoice.customer_snapshot;
  Require(!Blank(customer.name), "customer.name", "Der Name des Kunden", errors);
  CheckAddress(customer.address, "customer.address", "des Kunden", errors);
  if (IsXRechnung(options)) {
    Require(!Blank(options.buyer_reference), "buyer_reference",
            "Die Leitweg-ID (Käuferreferenz) der Behörde", errors);
    Require(!Blank(customer.email), "customer.email", "Die E-Mail-Adresse des Kunden", errors);
  }
  // A 0 % line of a regular school is a tax exemption whose reason (BT-120) the product does
  // not record yet; writing it as "S 0 %" or guessing a reason would be wrong.
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) {
    if (school.tax_mode == domain::TaxMode::kRegular && invoice.lines[i].vat_rate == 0) {
      errors.push_back({"lines[" + std::to_string(i) + "].vat_rate",
                        "Positionen mit 0 % Umsatzsteuer brauchen einen Befreiungsgrund; den "
                        "unterstützt die E-Rechnung noch nicht."});
    }
  }
}

}  // namespace

std::vector<FieldError> MissingSchoolData(const School& school, Profile profile) {
  Options options;
  options.profile = profile;
  options.seller_contact_name = school.contact_name;
  std::vector<FieldError> errors;
  CheckSchool(school, options, errors);
  for (auto& error : errors) {
    if (error.field.starts_with("school.")) error.field.erase(0, 7);
  }
  return errors;
}

namespace {

Status CheckInputs(const Invoice& invoice, const School& school, const Options& options) {
  std::vector<FieldError> errors;
  CheckSchool(school, options, errors);
  CheckInvoice(invoice, school, options, errors);
  if (errors.empty()) return {};
  return Invalid(std::move(errors),
                 "Die E-Rechnung kann nicht erstellt werden, weil Angaben fehlen.");
}

struct TaxCategory {
  std::string code;    // BT-118 / BT-151: S or E
  std::string reason;  // BT-120, only for E
};

TaxCategory CategoryOf(const School& school) {
  if (school.tax_mode == domain::TaxMode::kKleinunternehmer) return {"E", kKleinunternehmerReason};
  return {"S", ""};
}

}  // namespace

namespace {

void WriteContext(XmlWriter& xml, const Options& options) {
  xml.Open("rsm:ExchangedDocumentContext");
  if (IsXRechnung(options)) {
    // BT-23: XRechnung 3.0 takes over the Peppol rule that the business process is given
    // (PEPPOL-EN16931-R001); billing is the only process the product knows.
    xml.Open("ram:BusinessProcessSpecifiedDocumentContextParameter");
    xml.Leaf("ram:ID", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0");
    xml.Close();
  }
  xml.Open("ram:GuidelineSpecifiedDocumentContextParameter");
  xml.Leaf("ram:ID", IsXRechnung(options) ? kXRechnungGuideline : kEn16931Guideline);
  xml.Close();
  xml.Close();
}

void WriteNote(XmlWriter& xml, const std::string& text) {
  xml.Open("ram:IncludedNote");
  xml.Leaf("ram:Content", text);
  xml.Close();
}

void WriteDocument(XmlWriter& xml, const Invoice& invoice, const School& school) {
  xml.Open("rsm:ExchangedDocument");
  xml.Leaf("ram:ID", *invoice.number);
  // 381: a cancellation is a credit note with the cancelled amounts (ADR 0016).
  xml.Leaf("ram:TypeCode", IsCancellation(invoice) ? "381" : "380");
  xml.Open("ram:IssueDateTime");
  xml.Leaf("udt:DateTimeString", Date102(invoice.invoice_date), {{"format", "102"}});
  xml.Close();
  if (school.tax_mode == domain::TaxMode::kKleinunternehmer) {
    WriteNote(xml, "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.");
  }
  if (!Blank(invoice.notes)) WriteNote(xml, invoice.notes);
  xml.Close();
}

void WriteLineTax(XmlWriter& xml, const TaxCategory& category, int rate) {
  xml.Open("ram:ApplicableTradeTax");
  xml.Leaf("ram:TypeCode", "VAT");
  xml.Leaf("ram:CategoryCode", category.code);
  xml.Leaf("ram:RateApplicablePercent", std::to_string(rate));
  xml.Close();
}

void WriteLine(XmlWriter& xml, std::size_t index, const domain::InvoiceLine& line,
               const LineAmounts& amounts, const TaxCategory& category) {
  xml.Open("ram:IncludedSupplyChainTradeLineItem");
  xml.Open("ram:AssociatedDocumentLineDocument");
  xml.Leaf("ram:LineID", std::to_string(index + 1));
  xml.Close();
  xml.Open("ram:SpecifiedTradeProduct");
  xml.Leaf("ram:Name", line.text);
  xml.Close();
  xml.Open("ram:SpecifiedLineTradeAgreement");
  xml.Open("ram:NetPriceProductTradePrice");
  xml.Leaf("ram:ChargeAmount", FormatPrice(amounts.net_price));
  xml.Close();
  xml.Close();
  xml.Open("ram:SpecifiedLineTradeDelivery");
  xml.Leaf("ram:BilledQuantity", FormatQuantity(amounts.quantity),
           {{"unitCode", UnitCode(line.unit)}});
  xml.Close();
  xml.Open("ram:SpecifiedLineTradeSettlement");
  WriteLineTax(xml, category, line.vat_rate);
  xml.Open("ram:SpecifiedTradeSettlementLineMonetarySummation");
  xml.Leaf("ram:LineTotalAmount", FormatAmount(amounts.net_cents));
  xml.Close();
  xml.Close();
  xml.Close();
}

void WriteAddress(XmlWriter& xml, const domain::Address& address) {
  xml.Open("ram:PostalTradeAddress");
  xml.Leaf("ram:PostcodeCode", address.zip);
  xml.Leaf("ram:LineOne", address.street);
  xml.Leaf("ram:CityName", address.city);
  xml.Leaf("ram:CountryID", address.country);
  xml.Close();
}

void WriteElectronicAddress(XmlWriter& xml, const std::string& email) {
  if (Blank(email)) return;
  xml.Open("ram:URIUniversalCommunication");
  xml.Leaf("ram:URIID", email, {{"schemeID", "EM"}});
  xml.Close();
}

void WriteSellerContact(XmlWriter& xml, const School& school, const Options& options) {
  if (Blank(options.seller_contact_name) && Blank(school.phone) && Blank(school.email)) return;
  xml.Open("ram:DefinedTradeContact");
  if (!Blank(options.seller_contact_name)) xml.Leaf("ram:PersonName", options.seller_contact_name);
  if (!Blank(school.phone)) {
    xml.Open("ram:TelephoneUniversalCommunication");
    xml.Leaf("ram:CompleteNumber", school.phone);
    xml.Close();
  }
  if (!Blank(school.email)) {
    xml.Open("ram:EmailURIUniversalCommunication");
    xml.Leaf("ram:URIID", school.email);
    xml.Close();
  }
  xml.Close();
}

void WriteTaxRegistration(XmlWriter& xml, const std::string& id, const char* scheme) {
  if (Blank(id)) return;
  xml.Open("ram:SpecifiedTaxRegistration");
  xml.Leaf("ram:ID", id, {{"schemeID", scheme}});
  xml.Close();
}

void WriteSeller(XmlWriter& xml, const School& school, const Options& options) {
  xml.Open("ram:SellerTradeParty");
  // BR-CO-26 wants a seller identifier (BT-29), a legal registration (BT-30) or a VAT id
  // (BT-31). A school without a USt-IdNr - most Kleinunternehmer - has only its Steuernummer,
  // which then identifies it as BT-29 too (it is also sent as BT-32, schemeID FC).
  if (Blank(school.vat_id)) xml.Leaf("ram:ID", school.tax_number);
  xml.Leaf("ram:Name", school.name);
  WriteSellerContact(xml, school, options);
  WriteAddress(xml, school.address);
  WriteElectronicAddress(xml, school.email);
  WriteTaxRegistration(xml, school.tax_number, "FC");
  WriteTaxRegistration(xml, school.vat_id, "VA");
  xml.Close();
}

void WriteBuyer(XmlWriter& xml, const domain::PartySnapshot& customer) {
  xml.Open("ram:BuyerTradeParty");
  if (customer.customer_number > 0) xml.Leaf("ram:ID", std::to_string(customer.customer_number));
  xml.Leaf("ram:Name", customer.name);
  if (!Blank(customer.contact_person)) {
    xml.Open("ram:DefinedTradeContact");
    xml.Leaf("ram:PersonName", customer.contact_person);
    xml.Close();
  }
  WriteAddress(xml, customer.address);
  WriteElectronicAddress(xml, customer.email);
  // BT-48: the buyer's USt-IdNr, last in the party as the schema orders it.
  WriteTaxRegistration(xml, Trim(customer.vat_id), "VA");
  xml.Close();
}

void WriteAgreement(XmlWriter& xml, const Invoice& invoice, const School& school,
                    const Options& options) {
  xml.Open("ram:ApplicableHeaderTradeAgreement");
  if (!Blank(options.buyer_reference)) xml.Leaf("ram:BuyerReference", options.buyer_reference);
  WriteSeller(xml, school, options);
  WriteBuyer(xml, invoice.customer_snapshot);
  xml.Close();
}

bool HasPeriod(const Invoice& invoice) {
  return invoice.service_date && invoice.service_period_end &&
         *invoice.service_period_end != *invoice.service_date;
}

// BT-72: the date of the service. As on the PDF, the invoice date when none was given (§ 14
// Abs. 4 UStG). For a period (written as BG-14 in the settlement) the service is complete on its
// last day; that date also keeps the delivery element, which the schema requires, from being
// empty (PEPPOL-EN16931-R008).
void WriteDelivery(XmlWriter& xml, const Invoice& invoice) {
  const Date date = HasPeriod(invoice) ? *invoice.service_period_end
                                       : invoice.service_date.value_or(invoice.invoice_date);
  xml.Open("ram:ApplicableHeaderTradeDelivery");
  xml.Open("ram:ActualDeliverySupplyChainEvent");
  xml.Open("ram:OccurrenceDateTime");
  xml.Leaf("udt:DateTimeString", Date102(date), {{"format", "102"}});
  xml.Close();
  xml.Close();
  xml.Close();
}

}  // namespace

namespace {

// BG-16. An invoice is paid by SEPA credit transfer to the school (58, BG-17 with the IBAN).
// For a credit note the school pays or sets off the amount, to an account it does not know
// from the invoice, so the means is "not defined" (1) with a sentence saying what happens.
void WritePaymentMeans(XmlWriter& xml, const Invoice& invoice, const School& school) {
  xml.Open("ram:SpecifiedTradeSettlementPaymentMeans");
  if (IsCancellation(invoice)) {
    xml.Leaf("ram:TypeCode", "1");
    xml.Leaf("ram:Information",
             "Erstattung oder Verrechnung mit der Rechnung " + *invoice.cancels_invoice_number);
    xml.Close();
    return;
  }
  xml.Leaf("ram:TypeCode", "58");
  xml.Open("ram:PayeePartyCreditorFinancialAccount");
  xml.Leaf("ram:IBANID", school.iban);
  xml.Leaf("ram:AccountName", school.name);
  xml.Close();
  if (!Blank(school.bic)) {
    xml.Open("ram:PayeeSpecifiedCreditorFinancialInstitution");
    xml.Leaf("ram:BICID", school.bic);
    xml.Close();
  }
  xml.Close();
}

void WriteTaxBreakdown(XmlWriter& xml, const domain::VatGroup& group, const TaxCategory& category) {
  xml.Open("ram:ApplicableTradeTax");
  xml.Leaf("ram:CalculatedAmount", FormatAmount(group.tax_cents));
  xml.Leaf("ram:TypeCode", "VAT");
  if (!category.reason.empty()) xml.Leaf("ram:ExemptionReason", category.reason);
  xml.Leaf("ram:BasisAmount", FormatAmount(group.net_cents));
  xml.Leaf("ram:CategoryCode", category.code);
  xml.Leaf("ram:RateApplicablePercent", std::to_string(group.rate));
  xml.Close();
}

void WritePeriod(XmlWriter& xml, const Invoice& invoice) {
  if (!HasPeriod(invoice)) return;
  xml.Open("ram:BillingSpecifiedPeriod");
  for (const auto& [tag, date] : {std::pair{"ram:StartDateTime", *invoice.service_date},
                                  std::pair{"ram:EndDateTime", *invoice.service_period_end}}) {
    xml.Open(tag);
    xml.Leaf("udt:DateTimeString", Date102(date), {{"format", "102"}});
    xml.Close();
  }
  xml.Close();
}

// BT-20 and BT-9: the same sentence as on the PDF, and the due date from the school's term.
void WritePaymentTerms(XmlWriter& xml, const Invoice& invoice, const School& school) {
  xml.Open("ram:SpecifiedTradePaymentTerms");
  if (IsCancellation(invoice)) {
    xml.Leaf("ram:Description", "Der Betrag wird erstattet oder mit der Rechnung " +
                                    *invoice.cancels_invoice_number + " verrechnet.");
    xml.Close();
    return;
  }
  const Date due = AddDays(invoice.invoice_date, school.payment_term_days);
  xml.Leaf("ram:Description", school.payment_term_days > 0
                                  ? "Zahlbar ohne Abzug bis " + FormatDateDe(due) + "."
                                  : std::string("Zahlbar sofort ohne Abzug."));
  xml.Open("ram:DueDateDateTime");
  xml.Leaf("udt:DateTimeString", Date102(due), {{"format", "102"}});
  xml.Close();
  xml.Close();
}

// BR-CO-10..16: no allowances or charges, nothing prepaid, so the line total is the tax basis
// and the grand total is due.
void WriteSummation(XmlWriter& xml, const domain::Totals& totals) {
  xml.Open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
  xml.Leaf("ram:LineTotalAmount", FormatAmount(totals.net_cents));
  xml.Leaf("ram:TaxBasisTotalAmount", FormatAmount(totals.net_cents));
  xml.Leaf("ram:TaxTotalAmount", FormatAmount(totals.tax_cents), {{"currencyID", kCurrency}});
  xml.Leaf("ram:GrandTotalAmount", FormatAmount(totals.gross_cents));
  xml.Leaf("ram:DuePayableAmount", FormatAmount(totals.gross_cents));
  xml.Close();
}

void WriteSettlement(XmlWriter& xml, const Invoice& invoice, const School& school,
                     const DocumentAmounts& amounts) {
  xml.Open("ram:ApplicableHeaderTradeSettlement");
  xml.Leaf("ram:PaymentReference", *invoice.number);
  xml.Leaf("ram:InvoiceCurrencyCode", kCurrency);
  WritePaymentMeans(xml, invoice, school);
  for (const auto& group : amounts.totals.groups) {
    WriteTaxBreakdown(xml, group, CategoryOf(school));
  }
  WritePeriod(xml, invoice);
  WritePaymentTerms(xml, invoice, school);
  WriteSummation(xml, amounts.totals);
  if (IsCancellation(invoice)) {
    xml.Open("ram:InvoiceReferencedDocument");
    xml.Leaf("ram:IssuerAssignedID", *invoice.cancels_invoice_number);
    xml.Close();
  }
  xml.Close();
}

}  // namespace

Result<std::string> GenerateCii(const Invoice& invoice, const School& school,
                                const Options& options) {
  HS_CHECK(CheckInputs(invoice, school, options));
  HS_TRY(amounts, ComputeDocumentAmounts(invoice));
  XmlWriter xml;
  xml.Open("rsm:CrossIndustryInvoice",
           {{"xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"},
            {"xmlns:ram",
             "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"},
            {"xmlns:qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"},
            {"xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}});
  WriteContext(xml, options);
  WriteDocument(xml, invoice, school);
  xml.Open("rsm:SupplyChainTradeTransaction");
  const TaxCategory category = CategoryOf(school);
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) {
    WriteLine(xml, i, invoice.lines[i], amounts->lines[i], category);
  }
  WriteAgreement(xml, invoice, school, options);
  WriteDelivery(xml, invoice);
  WriteSettlement(xml, invoice, school, *amounts);
  xml.Close();
  return xml.Finish();
}

std::string UnitCode(std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kUnits{{
      {"stunde", "HUR"},
      {"stunden", "HUR"},
      {"std", "HUR"},
      {"std.", "HUR"},
      {"h", "HUR"},
      {"minute", "MIN"},
      {"minuten", "MIN"},
      {"min", "MIN"},
      {"tag", "DAY"},
      {"tage", "DAY"},
      {"woche", "WEE"},
      {"wochen", "WEE"},
      {"monat", "MON"},
      {"km", "KMT"},
  }};
  const std::string key = ToLowerAscii(Trim(unit));
  for (const auto& [name, code] : kUnits) {
    if (key == name) return std::string(code);
  }
  return "C62";
}

std::string FormatAmount(Cents cents) {
  return FormatDecimal(cents);
}

std::string FormatPrice(std::int64_t ten_thousandths) {
  const bool negative = ten_thousandths < 0;
  const std::uint64_t abs = negative ? 0 - static_cast<std::uint64_t>(ten_thousandths)
                                     : static_cast<std::uint64_t>(ten_thousandths);
  std::string digits = std::to_string(abs % 10000);
  digits.insert(0, 4 - digits.size(), '0');
  while (digits.size() > 2 && digits.back() == '0') digits.pop_back();
  return (negative ? "-" : "") + std::to_string(abs / 10000) + "." + digits;
}

}  // namespace hs::einvoice
