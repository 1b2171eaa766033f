// Received UBL 2.1 e-invoices (XRechnung in UBL, Peppol BIS): the fixtures in fixtures/ read back
// with exactly the numbers written in them (per rate, totals, lines), a credit note as a credit,
// missing parts as German errors or warnings, and hostile XML refused like a hostile CII.
// We never generate UBL, so there is no "validate our own output" step for it; the fixtures were
// checked once by hand against the UBL 2.1 schema and the XRechnung 3.0 UBL rules
// (docs/e-invoice.md, "Receiving").
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "einvoice/received.hpp"

namespace hs::einvoice {
namespace {

using namespace std::chrono;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HS_EINVOICE_FIXTURE_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Replaced(std::string xml, const std::string& from, const std::string& to) {
  const auto pos = xml.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) xml.replace(pos, from.size(), to);
  return xml;
}

// The parts of an element from its opening to its closing tag, both included, cut out.
std::string Without(const std::string& xml, const std::string& open, const std::string& close) {
  const auto from = xml.find(open);
  const auto to = xml.find(close, from);
  EXPECT_NE(from, std::string::npos) << open;
  EXPECT_NE(to, std::string::npos) << close;
  if (from == std::string::npos || to == std::string::npos) return xml;
  return xml.substr(0, from) + xml.substr(to + close.size());
}

bool HasWarning(const ReceivedEInvoice& e, const std::string& part) {
  for (const auto& w : e.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

ReceivedEInvoice MustRead(const std::string& xml) {
  const auto got = ReadEInvoiceXml(xml);
  EXPECT_TRUE(got) << (got ? "" : got.error().message);
  return got ? *got : ReceivedEInvoice{};
}

struct ExpectedLine {
  const char* id;
  const char* name;
  const char* quantity;
  const char* unit;
  Cents net;
  const char* category;
  std::int64_t rate_bp;
};

struct ExpectedGroup {
  const char* category;
  std::int64_t rate_bp;
  Cents basis;
  Cents tax;
  const char* reason;
};

struct ExpectedTotals {
  Cents lines, net, tax, gross, payable;
};

void ExpectLines(const ReceivedEInvoice& got, const std::vector<ExpectedLine>& want) {
  ASSERT_EQ(got.lines.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& l = got.lines[i];
    EXPECT_EQ(l.id, want[i].id) << i;
    EXPECT_EQ(l.name, want[i].name) << i;
    EXPECT_EQ(l.quantity, want[i].quantity) << i;
    EXPECT_EQ(l.unit_code, want[i].unit) << i;
    EXPECT_EQ(l.net_cents, want[i].net) << i;
    EXPECT_EQ(l.vat_category, want[i].category) << i;
    EXPECT_EQ(l.vat_rate_bp, want[i].rate_bp) << i;
  }
}

void ExpectGroups(const ReceivedEInvoice& got, const std::vector<ExpectedGroup>& want) {
  ASSERT_EQ(got.tax_groups.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& g = got.tax_groups[i];
    EXPECT_EQ(g.category, want[i].category) << i;
    EXPECT_EQ(g.rate_bp, want[i].rate_bp) << i;
    EXPECT_EQ(g.basis_cents, want[i].basis) << i;
    EXPECT_EQ(g.tax_cents, want[i].tax) << i;
    EXPECT_EQ(g.exemption_reason, want[i].reason) << i;
  }
}

void ExpectTotals(const ReceivedEInvoice& got, const ExpectedTotals& want) {
  EXPECT_EQ(got.line_total_cents, want.lines);
  EXPECT_EQ(got.allowance_total_cents, 0);
  EXPECT_EQ(got.charge_total_cents, 0);
  EXPECT_EQ(got.tax_basis_cents, want.net);
  EXPECT_EQ(got.tax_total_cents, want.tax);
  EXPECT_EQ(got.gross_cents, want.gross);
  EXPECT_EQ(got.prepaid_cents, 0);
  EXPECT_EQ(got.rounding_cents, 0);
  EXPECT_EQ(got.due_payable_cents, want.payable);
}

TEST(ReceivedUbl, AnXRechnungWith19And7PercentReadsBackExactly) {
  const auto got = MustRead(Fixture("ubl-invoice-19-7.xml"));
  EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
  EXPECT_EQ(got.syntax, Syntax::kUbl);
  EXPECT_EQ(got.container, Container::kXml);
  EXPECT_EQ(got.guideline, "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0");
  EXPECT_EQ(got.format, "XRechnung 3.0 (UBL)");
  EXPECT_EQ(got.supplier_name, "Tierbedarf Nord GmbH");  // the legal name, not the trading name
  EXPECT_EQ(got.supplier_vat_id, "DE123456789");
  EXPECT_EQ(got.supplier_tax_number, "22/815/08154");
  EXPECT_EQ(got.buyer_name, "Hundeschule Pfotenglück");
  EXPECT_EQ(got.number, "TN-2026-04711");
  EXPECT_EQ(got.type_code, "380");
  EXPECT_EQ(got.issue_date, Date{year{2026} / November / 27});
  EXPECT_EQ(got.due_date, Date{year{2026} / December / 11});
  EXPECT_EQ(got.currency, "EUR");
  ExpectLines(got, {{"1", "Trockenfutter Adult 12 kg", "3", "C62", 12450, "S", 700},
                    {"2", "Kauartikel Rinderhaut, lose", "1.5", "KGM", 1950, "S", 700},
                    {"3", "Hundeleine Leder 2 m & Karabiner", "2", "C62", 4980, "S", 1900},
                    {"4", "Versand", "1", "C62", 590, "S", 1900}});
  ExpectGroups(got, {{"S", 700, 14400, 1008, ""}, {"S", 1900, 5570, 1058, ""}});
  ExpectTotals(got, {19970, 19970, 2066, 22036, 22036});
}

TEST(ReceivedUbl, AKleinunternehmerInvoiceHasCategoryEAndNoTax) {
  const auto got = MustRead(Fixture("ubl-kleinunternehmer.xml"));
  EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
  EXPECT_EQ(got.format, "XRechnung 3.0 (UBL)");
  EXPECT_EQ(got.supplier_name, "Hundetraining Anna Weber");
  EXPECT_EQ(got.supplier_vat_id, "");
  EXPECT_EQ(got.supplier_tax_number, "026/123/45678");
  EXPECT_EQ(got.number, "2026-017");
  EXPECT_EQ(got.issue_date, Date{year{2026} / November / 30});
  EXPECT_EQ(got.due_date, Date{year{2026} / December / 14});
  ExpectLines(got, {{"1", "Fortbildung Welpengruppen, ganztägig", "1", "DAY", 18000, "E", 0},
                    {"2", "Skript und Übungsplan", "1", "C62", 2500, "E", 0}});
  ExpectGroups(got, {{"E", 0, 20500, 0,
                      "Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG"}});
  ExpectTotals(got, {20500, 20500, 0, 20500, 20500});
}

// As in CII (type code 381), a credit note's amounts are positive as written and its type says
// it is a credit: "Gutschrift (Rechnungskorrektur)".
TEST(ReceivedUbl, ACreditNoteIsReadAsACredit) {
  const auto got = MustRead(Fixture("ubl-credit-note.xml"));
  EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
  EXPECT_EQ(got.syntax, Syntax::kUbl);
  EXPECT_EQ(got.format, "Peppol BIS Billing 3.0 (UBL)");
  EXPECT_EQ(got.type_code, "381");
  EXPECT_EQ(TypeCodeLabel(got.type_code), "Gutschrift (Rechnungskorrektur)");
  EXPECT_EQ(got.number, "GS-2026-0042");
  EXPECT_EQ(got.supplier_name, "Tierbedarf Nord");  // no legal entity: the trading name
  EXPECT_EQ(got.buyer_name, "Hundeschule Pfotenglück");
  EXPECT_EQ(got.issue_date, Date{year{2026} / December / 3});
  EXPECT_EQ(got.due_date, Date{year{2026} / December / 10});  // PaymentMeans/PaymentDueDate
  ExpectLines(got, {{"1", "Rücknahme Hundeleine Leder 2 m", "1", "C62", 2490, "S", 1900}});
  ExpectGroups(got, {{"S", 1900, 2490, 473, ""}});
  ExpectTotals(got, {2490, 2490, 473, 2963, 2963});

  // A CreditNote without its type code is still a credit note, never an invoice.
  const auto untyped = MustRead(Without(Fixture("ubl-credit-note.xml"), "<cbc:CreditNoteTypeCode>",
                                        "</cbc:CreditNoteTypeCode>"));
  EXPECT_EQ(untyped.type_code, "381");
}

TEST(ReceivedUbl, WithoutTotalsTheFileIsRefusedWithAGermanReason) {
  const auto got = ReadEInvoiceXml(Fixture("ubl-missing-totals.xml"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(got.error().reason, "not_e_invoice");
  EXPECT_EQ(got.error().message,
            "Die XML-Datei ist keine vollständige E-Rechnung im UBL-Format: die Gesamtbeträge "
            "(cac:LegalMonetaryTotal) fehlen.");
  ASSERT_EQ(got.error().details.size(), 1u);
  EXPECT_EQ(got.error().details[0].field, "file");
}

TEST(ReceivedUbl, MissingOrWrongFieldsAreGermanWarnings) {
  const std::string xml = Fixture("ubl-invoice-19-7.xml");
  struct Case {
    const char* name;
    std::string bytes;
    const char* warning;
  };
  const Case cases[] = {
      {"number", Replaced(xml, "<cbc:ID>TN-2026-04711</cbc:ID>", ""), "Die Rechnungsnummer fehlt."},
      {"issue date", Replaced(xml, "<cbc:IssueDate>2026-11-27</cbc:IssueDate>", ""),
       "Das Rechnungsdatum fehlt oder ist kein gültiges Datum."},
      {"date format", Replaced(xml, "2026-11-27</cbc:IssueDate>", "27.11.2026</cbc:IssueDate>"),
       "Das Rechnungsdatum ist kein Datum im Format JJJJ-MM-TT."},
      {"supplier",
       Without(Without(xml, "<cbc:RegistrationName>Tierbedarf", "</cbc:RegistrationName>"),
               "<cac:PartyName>", "</cac:PartyName>"),
       "Der Name des Lieferanten fehlt."},
      {"currency", Replaced(xml, "<cbc:DocumentCurrencyCode>EUR", "<cbc:DocumentCurrencyCode>CHF"),
       "nicht in Euro"},
      {"comma amount",
       Replaced(xml, ">220.36</cbc:TaxInclusiveAmount>", ">220,36</cbc:TaxInclusiveAmount>"),
       "Der Bruttobetrag ist kein gültiger Betrag mit höchstens zwei Nachkommastellen."},
      {"no payable amount", Without(xml, "<cbc:PayableAmount", "</cbc:PayableAmount>"),
       "Der Zahlbetrag fehlt."},
      {"line amount",
       Replaced(xml, ">49.80</cbc:LineExtensionAmount>", ">49.90</cbc:LineExtensionAmount>"),
       "Die Positionen mit USt 19 % ergeben netto 55,80 €"},
      {"group tax", Replaced(xml, ">10.58</cbc:TaxAmount>", ">10.85</cbc:TaxAmount>"),
       "Die Steuer für USt 19 % (10,85 €) passt nicht"},
      {"quantity", Replaced(xml, ">1.5</cbc:InvoicedQuantity>", ">1,5</cbc:InvoicedQuantity>"),
       "Position 2: die Menge ist keine Zahl."},
      {"rate", Replaced(xml, "<cbc:Percent>19.00</cbc:Percent>", "<cbc:Percent>19 %</cbc:Percent>"),
       "Umsatzsteuer: der Steuersatz ist ungültig."},
  };
  for (const auto& c : cases) {
    const auto got = ReadEInvoiceXml(c.bytes);
    ASSERT_TRUE(got) << c.name << ": " << got.error().message;
    EXPECT_TRUE(HasWarning(*got, c.warning))
        << c.name << ": " << (got->warnings.empty() ? "-" : got->warnings.front());
  }
}

// BT-111 (the VAT in the accounting currency) is a second cac:TaxTotal; the invoice's VAT is the
// one in its own currency, wherever it stands.
TEST(ReceivedUbl, TheTaxInTheInvoiceCurrencyCounts) {
  const std::string xml = Replaced(Fixture("ubl-invoice-19-7.xml"), "  <cac:TaxTotal>",
                                   "  <cac:TaxTotal>\n    <cbc:TaxAmount currencyID=\"CHF\">19.35"
                                   "</cbc:TaxAmount>\n  </cac:TaxTotal>\n  <cac:TaxTotal>");
  const auto got = MustRead(xml);
  EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
  EXPECT_EQ(got.tax_total_cents, 2066);
  EXPECT_EQ(got.tax_groups.size(), 2u);
}

TEST(ReceivedUbl, TheDocumentReaderRecognisesUblByRootAndNamespace) {
  for (const char* name :
       {"ubl-invoice-19-7.xml", "ubl-kleinunternehmer.xml", "ubl-credit-note.xml"}) {
    const auto doc = ReadEInvoiceDocument("\xEF\xBB\xBF" + Fixture(name));
    ASSERT_TRUE(doc) << name << ": " << doc.error().message;
    ASSERT_TRUE(doc->has_value()) << name;
    EXPECT_EQ((*doc)->syntax, Syntax::kUbl) << name;
    EXPECT_EQ((*doc)->container, Container::kXml) << name;
  }
  // The names alone are not enough: an Invoice in another namespace is no UBL invoice.
  const std::string other =
      Replaced(Fixture("ubl-invoice-19-7.xml"), "xsd:Invoice-2\"", "xsd:Order-2\"");
  const auto refused = ReadEInvoiceDocument(other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "not_e_invoice");
  EXPECT_NE(refused.error().message.find("UBL-Format"), std::string::npos);
}

TEST(ReceivedUblLabels, FormatLabelsNameTheSyntax) {
  EXPECT_EQ(FormatLabel("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                        Syntax::kUbl),
            "XRechnung 3.0 (UBL)");
  EXPECT_EQ(FormatLabel("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:"
                        "billing:3.0",
                        Syntax::kUbl),
            "Peppol BIS Billing 3.0 (UBL)");
  EXPECT_EQ(FormatLabel("urn:cen.eu:en16931:2017", Syntax::kUbl), "EN 16931 (UBL)");
  // Factur-X profiles exist in CII only.
  EXPECT_EQ(FormatLabel("urn:factur-x.eu:1p0:basic", Syntax::kUbl), "E-Rechnung (UBL)");
  EXPECT_EQ(FormatLabel("", Syntax::kUbl), "E-Rechnung (UBL)");
  EXPECT_EQ(FormatLabel("urn:xeinkauf.de:kosit:xrechnung_3.0", Syntax::kCii), "XRechnung 3.0");
}

// UTF-16LE with a byte order mark, which hides "<!DOCTYPE" from a search of the raw bytes.
std::string Utf16(const std::string& ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

std::string ManyLines(const std::string& xml, std::size_t count) {
  const auto from = xml.find("  <cac:InvoiceLine>");
  const auto to =
      xml.find("</cac:InvoiceLine>\n", from) + std::string("</cac:InvoiceLine>\n").size();
  std::string lines;
  for (std::size_t i = 0; i < count; ++i) lines += xml.substr(from, to - from);
  return xml.substr(0, from) + lines + xml.substr(from);
}

TEST(ReceivedUblHostile, RefusedWithAGermanReasonAndNoParserText) {
  const std::string xml = Fixture("ubl-invoice-19-7.xml");
  const std::string body = xml.substr(xml.find("<Invoice "));
  struct Case {
    const char* name;
    std::string bytes;
    const char* reason;
  };
  const Case cases[] = {
      {"xxe file",
       "<?xml version=\"1.0\"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
           Replaced(body, "TN-2026-04711", "&x;"),
       "e_invoice_dtd"},
      {"xxe network",
       "<?xml version=\"1.0\"?><!DOCTYPE Invoice SYSTEM \"http://127.0.0.1:9/x.dtd\">" + body,
       "e_invoice_dtd"},
      {"billion laughs",
       "<?xml version=\"1.0\"?><!DOCTYPE Invoice [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
       "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>" +
           Replaced(body, "TN-2026-04711", "&c;"),
       "e_invoice_dtd"},
      {"utf-16 with a dtd",
       Utf16("<!DOCTYPE Invoice [<!ENTITY x \"y\">]><Invoice xmlns=\"urn:oasis:names:"
             "specification:ubl:schema:xsd:Invoice-2\">&x;</Invoice>"),
       "e_invoice_dtd"},
      {"truncated", xml.substr(0, xml.size() / 2), "e_invoice_unreadable"},
      {"truncated at the end", xml.substr(0, xml.size() - 12), "e_invoice_unreadable"},
      {"empty invoice",
       "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"/>",
       "not_e_invoice"},
      {"credit note root in the invoice namespace",
       "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"/>",
       "not_e_invoice"},
      {"xhtml named like ubl",
       "<Invoice xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></Invoice>",
       "not_e_invoice"},
      {"too many lines", ManyLines(xml, kMaxEInvoiceLines + 1), "e_invoice_too_large"},
  };
  for (const auto& c : cases) {
    const auto got = ReadEInvoiceXml(c.bytes);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().reason, c.reason) << c.name;
    EXPECT_FALSE(got.error().message.empty());
    for (const char* part : {"parser", "error", "line", "passwd", "entity", "Entity"}) {
      EXPECT_EQ(got.error().message.find(part), std::string::npos) << c.name << ": " << part;
    }
  }
}

TEST(ReceivedUblHostile, DeepNestingIsRefusedNotACrash) {
  std::string deep = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">";
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  const auto got = ReadEInvoiceXml(deep);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().reason, "e_invoice_unreadable");
}

}  // namespace
}  // namespace hs::einvoice
