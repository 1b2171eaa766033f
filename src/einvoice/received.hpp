#pragma once
// Received e-invoices (issue 17): an uploaded expense that is an XRechnung in CII or UBL, a
// ZUGFeRD / Factur-X CII XML or a ZUGFeRD / Factur-X PDF, read into plain structs. Money in integer
// cents read exactly from the decimal text (never through a double), dates as civil dates. What
// does not add up is reported as German warnings; the file itself is stored unchanged by the
// caller.
//
// The readers (ReadEInvoiceXml: libxml2 in xml_reading.cpp, the syntaxes in cii_reader.cpp and
// ubl_reader.cpp; ExtractEInvoiceXml in facturx_extract.cpp with qpdf) keep their third-party
// types to themselves; the functions declared here besides them are pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "domain/receipt.hpp"

namespace hs::einvoice {

// Hard limit for an e-invoice XML (the upload limit of a receipt is the same 10 MB).
inline constexpr std::size_t kMaxEInvoiceXmlBytes = 10 * 1024 * 1024;
// More lines than any real invoice has; a document beyond it is refused, not half read.
inline constexpr std::size_t kMaxEInvoiceLines = 10000;

enum class Container { kXml, kPdf };
// The XML syntax of EN 16931: UN/CEFACT CII (rsm:CrossIndustryInvoice) or OASIS UBL 2.1
// (Invoice, CreditNote). Both carry the same business terms (BT-n below).
enum class Syntax { kCii, kUbl };

struct ReceivedLine {
  std::string id;                // BT-126
  std::string name;              // BT-153
  std::string quantity;          // BT-129 as the exact decimal text ("1.5"), "" when missing
  std::string unit_code;         // BT-130, UN/ECE Rec. 20 ("HUR", "C62")
  Cents net_cents = 0;           // BT-131
  std::string vat_category;      // BT-151 ("S", "E", "Z", "AE", ...)
  std::int64_t vat_rate_bp = 0;  // BT-152 in hundredths of a percent (19 % = 1900)
};

struct ReceivedTaxGroup {
  std::string category;          // BT-118
  std::int64_t rate_bp = 0;      // BT-119 in hundredths of a percent
  Cents basis_cents = 0;         // BT-116
  Cents tax_cents = 0;           // BT-117
  std::string exemption_reason;  // BT-120
};

struct ReceivedEInvoice {
  Container container = Container::kXml;
  Syntax syntax = Syntax::kCii;
  std::string guideline;            // BT-24 as written
  std::string format;               // German label: "XRechnung 3.0", "XRechnung 3.0 (UBL)", ...
  std::string supplier_name;        // BT-27
  std::string supplier_vat_id;      // BT-31
  std::string supplier_tax_number;  // BT-32
  std::string buyer_name;           // BT-44
  std::string number;               // BT-1
  std::string type_code;            // BT-3: 380 invoice, 381 credit note, ... (as in CII, the
                                    // amounts of a credit note are positive as written)
  std::optional<Date> issue_date;   // BT-2
  std::optional<Date> due_date;     // BT-9
  std::string currency;             // BT-5
  std::vector<ReceivedLine> lines;
  std::vector<ReceivedTaxGroup> tax_groups;
  Cents line_total_cents = 0;         // BT-106
  Cents allowance_total_cents = 0;    // BT-107
  Cents charge_total_cents = 0;       // BT-108
  Cents tax_basis_cents = 0;          // BT-109
  Cents tax_total_cents = 0;          // BT-110
  Cents gross_cents = 0;              // BT-112
  Cents prepaid_cents = 0;            // BT-113
  Cents rounding_cents = 0;           // BT-114
  Cents due_payable_cents = 0;        // BT-115
  std::vector<std::string> warnings;  // German, one sentence each
};

// "1234.56", "-0.5", "+12", "7.000" -> cents. nullopt for anything else: no exponent, no comma,
// no more than two decimals that are not zero, nothing beyond +-1e13 cents.
std::optional<Cents> ParseDecimalCents(std::string_view text);
// A VAT rate "19", "19.00", "5.5" -> hundredths of a percent (1900, 550); 0..100 % only.
std::optional<std::int64_t> ParseRateBasisPoints(std::string_view text);
// A quantity "1.5", "-2", "0.3330": the text when it is a plain decimal, nullopt otherwise.
std::optional<std::string> ParseQuantityText(std::string_view text);
// Format 102 of UNTDID 2379, "20261127", valid dates only.
std::optional<Date> ParseDate102(std::string_view text);

// "XRechnung 3.0", "ZUGFeRD / Factur-X (EN 16931)", "ZUGFeRD / Factur-X (BASIC)", ... for the
// guideline id (BT-24) of a CII; "E-Rechnung (CII)" for one not known. For UBL: "XRechnung 3.0
// (UBL)", "Peppol BIS Billing 3.0 (UBL)", "EN 16931 (UBL)", else "E-Rechnung (UBL)" (the
// ZUGFeRD / Factur-X profiles exist in CII only).
std::string FormatLabel(std::string_view guideline, Syntax syntax = Syntax::kCii);
// "19 %", "5,5 %", "0 %".
std::string FormatRateDe(std::int64_t rate_bp);
// "Rechnung", "Gutschrift", "Korrekturrechnung", ... for BT-3.
std::string TypeCodeLabel(std::string_view type_code);

// The sum rules of EN 16931 (BR-CO-10..16, the VAT breakdown per category and rate, tax = basis
// x rate within a cent per group) and the fields a receipt needs, checked on what was read:
// each finding appended to `invoice.warnings` in German. Never fails.
void CheckReceived(ReceivedEInvoice& invoice);

// Fills what the user left blank in an expense from its e-invoice: supplier, document number
// and a description (the first line's name, "und N weitere Positionen"). Never overwrites.
void PrefillExpense(domain::NewExpense& expense, const ReceivedEInvoice& invoice);

// German notes where the receipt as entered differs from its e-invoice (date, gross amount).
std::vector<std::string> CompareWithReceipt(const ReceivedEInvoice& invoice, Date date,
                                            Cents gross_cents);

// The XML of an e-invoice, CII (rsm:CrossIndustryInvoice) or UBL 2.1 (Invoice, CreditNote),
// read with libxml2 without network, DTDs or entity expansion. kInvalidArgument with a German
// message (reason "e_invoice_unreadable", "e_invoice_dtd", "not_e_invoice", "e_invoice_too_large")
// when the bytes are not one; never the parser's own text.
Result<ReceivedEInvoice> ReadEInvoiceXml(std::string_view xml);

// The e-invoice XML embedded in a ZUGFeRD / Factur-X / XRechnung PDF (factur-x.xml,
// zugferd-invoice.xml, xrechnung.xml, ZUGFeRD-invoice.xml), nullopt for a PDF without one or one
// qpdf cannot read.
std::optional<std::string> ExtractEInvoiceXml(std::string_view pdf);

// An uploaded document read as an e-invoice: a PDF through its embedded XML (CII only, as the
// ZUGFeRD / Factur-X standard says), anything else as XML (CII or UBL). nullopt when it is none (a
// plain PDF, an image); an error when it claims to be one but cannot be read (the reasons of
// ReadEInvoiceXml).
Result<std::optional<ReceivedEInvoice>> ReadEInvoiceDocument(std::string_view bytes);

}  // namespace hs::einvoice
