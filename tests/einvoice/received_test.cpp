// Received e-invoices: the exact decimal readers, the sum checks, our own CII read back with the
// same numbers, and hostile XML refused with a German message and nothing of the parser's text.
#include "einvoice/received.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/date.hpp"
#include "einvoice/amounts.hpp"
#include "einvoice/cii.hpp"
#include "samples.hpp"

namespace hs::einvoice {
namespace {

using namespace std::chrono;

TEST(ReceivedDecimal, AmountsAreReadExactlyIntoCents) {
  struct Case {
    std::string text;
    std::optional<Cents> cents;
  };
  const Case cases[] = {
      {"0", 0},
      {"12.5", 1250},
      {"12.50", 1250},
      {"-0.05", -5},
      {"+3", 300},
      {".5", 50},
      {"7.000", 700},
      {"1234567.89", 123456789},
      {"0.1", 10},  // a double would give 0.1000000000000000055...
      {"99999999999.99", 9999999999999},
      {"100000000000.01", std::nullopt},  // beyond 1e13 cents
      {"12.345", std::nullopt},           // a third decimal that is not zero
      {"12,50", std::nullopt},
      {"1e3", std::nullopt},
      {" 1", std::nullopt},
      {"", std::nullopt},
      {"-", std::nullopt},
      {"1.", std::nullopt},
      {"1.2.3", std::nullopt},
      {"0x10", std::nullopt},
      {"99999999999999999999999", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(ParseDecimalCents(c.text), c.cents) << c.text;
}

TEST(ReceivedDecimal, RatesQuantitiesAndDates) {
  EXPECT_EQ(ParseRateBasisPoints("19"), 1900);
  EXPECT_EQ(ParseRateBasisPoints("19.00"), 1900);
  EXPECT_EQ(ParseRateBasisPoints("5.5"), 550);
  EXPECT_EQ(ParseRateBasisPoints("0"), 0);
  EXPECT_EQ(ParseRateBasisPoints("100.01"), std::nullopt);
  EXPECT_EQ(ParseRateBasisPoints("-7"), std::nullopt);
  EXPECT_EQ(ParseQuantityText("1.5"), "1.5");
  EXPECT_EQ(ParseQuantityText("-2"), "-2");
  EXPECT_EQ(ParseQuantityText("1,5"), std::nullopt);
  EXPECT_EQ(ParseDate102("20261127"), Date{year{2026} / November / 27});
  EXPECT_EQ(ParseDate102("20260229"), std::nullopt);
  EXPECT_EQ(ParseDate102("2026-11-27"), std::nullopt);
  EXPECT_EQ(ParseDate102("2026112"), std::nullopt);
}

TEST(ReceivedLabels, FormatRateAndType) {
  EXPECT_EQ(FormatLabel(kXRechnungGuideline), "XRechnung 3.0");
  EXPECT_EQ(FormatLabel(kEn16931Guideline), "ZUGFeRD / Factur-X (EN 16931)");
  EXPECT_EQ(FormatLabel("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic"),
            "ZUGFeRD / Factur-X (BASIC)");
  EXPECT_EQ(FormatLabel("urn:factur-x.eu:1p0:basicwl"), "ZUGFeRD / Factur-X (BASIC WL)");
  EXPECT_EQ(FormatLabel("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"),
            "ZUGFeRD / Factur-X (EXTENDED)");
  EXPECT_EQ(FormatLabel("irgendwas"), "E-Rechnung (CII)");
  EXPECT_EQ(FormatRateDe(1900), "19 %");
  EXPECT_EQ(FormatRateDe(550), "5,5 %");
  EXPECT_EQ(FormatRateDe(1025), "10,25 %");
  EXPECT_EQ(FormatRateDe(0), "0 %");
  EXPECT_EQ(TypeCodeLabel("380"), "Rechnung");
  EXPECT_EQ(TypeCodeLabel("381"), "Gutschrift (Rechnungskorrektur)");
}

// A consistent invoice: 100.00 at 19 % and 50.00 at 7 %.
ReceivedEInvoice Consistent() {
  ReceivedEInvoice e;
  e.number = "R-1";
  e.issue_date = year{2026} / November / 27;
  e.supplier_name = "Futterhaus";
  e.currency = "EUR";
  e.lines = {{"1", "Futter", "1", "C62", 10000, "S", 1900},
             {"2", "Leine", "2", "C62", 5000, "S", 700}};
  e.tax_groups = {{"S", 700, 5000, 350, ""}, {"S", 1900, 10000, 1900, ""}};
  e.line_total_cents = 15000;
  e.tax_basis_cents = 15000;
  e.tax_total_cents = 2250;
  e.gross_cents = 17250;
  e.due_payable_cents = 17250;
  return e;
}

TEST(ReceivedChecks, AConsistentInvoiceHasNoWarnings) {
  auto e = Consistent();
  CheckReceived(e);
  EXPECT_TRUE(e.warnings.empty()) << e.warnings.front();
}

TEST(ReceivedChecks, EachInconsistencyIsAGermanWarning) {
  struct Case {
    const char* name;
    void (*spoil)(ReceivedEInvoice&);
    const char* warning;  // a part of the expected warning
  };
  const Case cases[] = {
      {"line sum", [](ReceivedEInvoice& e) { e.lines[0].net_cents = 9999; },
       "Die Positionen ergeben netto 149,99 €"},
      {"group basis", [](ReceivedEInvoice& e) { e.tax_groups[1].basis_cents = 10001; },
       "Die Positionen mit USt 19 % ergeben netto 100,00 €"},
      {"group tax", [](ReceivedEInvoice& e) { e.tax_groups[1].tax_cents = 1700; },
       "Die Steuer für USt 19 % (17,00 €) passt nicht"},
      {"tax total", [](ReceivedEInvoice& e) { e.tax_total_cents = 2200; },
       "Die Steuerbeträge je Steuersatz ergeben 22,50 €"},
      {"gross", [](ReceivedEInvoice& e) { e.gross_cents = 17300; },
       "Der Bruttobetrag 173,00 € ist nicht netto plus Umsatzsteuer"},
      {"due", [](ReceivedEInvoice& e) { e.due_payable_cents = 1; }, "Der Zahlbetrag 0,01 €"},
      {"missing group", [](ReceivedEInvoice& e) { e.tax_groups.erase(e.tax_groups.begin()); },
       "Für Positionen mit USt 7 % (50,00 € netto) fehlt die Aufschlüsselung"},
      {"number", [](ReceivedEInvoice& e) { e.number.clear(); }, "Die Rechnungsnummer fehlt."},
      {"date", [](ReceivedEInvoice& e) { e.issue_date.reset(); }, "Das Rechnungsdatum fehlt"},
      {"supplier", [](ReceivedEInvoice& e) { e.supplier_name = " "; }, "Der Name des Lieferanten"},
      {"currency", [](ReceivedEInvoice& e) { e.currency = "CHF"; }, "nicht in Euro"},
      {"no lines", [](ReceivedEInvoice& e) { e.lines.clear(); }, "keine Positionen"},
  };
  for (const auto& c : cases) {
    auto e = Consistent();
    c.spoil(e);
    CheckReceived(e);
    bool found = false;
    for (const auto& w : e.warnings) found = found || w.find(c.warning) != std::string::npos;
    EXPECT_TRUE(found) << c.name << ": " << (e.warnings.empty() ? "-" : e.warnings.front());
  }
}

TEST(ReceivedChecks, AllowancesMoveTheBasisButNotTheLineSum) {
  auto e = Consistent();
  e.allowance_total_cents = 1000;
  e.tax_basis_cents = 14000;
  e.tax_groups[1].basis_cents = 9000;
  e.tax_groups[1].tax_cents = 1710;
  e.tax_total_cents = 2060;
  e.gross_cents = 16060;
  e.due_payable_cents = 16060;
  CheckReceived(e);
  EXPECT_TRUE(e.warnings.empty()) << e.warnings.front();
}

TEST(ReceivedPrefill, OnlyBlankFieldsAreTakenFromTheEInvoice) {
  auto e = Consistent();
  domain::NewExpense blank;
  blank.supplier = "  ";
  PrefillExpense(blank, e);
  EXPECT_EQ(blank.supplier, "Futterhaus");
  EXPECT_EQ(blank.number, "R-1");
  EXPECT_EQ(blank.description, "Futter und 1 weitere Position");
  domain::NewExpense entered;
  entered.supplier = "Mein Laden";
  entered.number = "X";
  entered.description = "Eigene Notiz";
  PrefillExpense(entered, e);
  EXPECT_EQ(entered.supplier, "Mein Laden");
  EXPECT_EQ(entered.number, "X");
  EXPECT_EQ(entered.description, "Eigene Notiz");
  e.lines.push_back(e.lines.front());
  e.supplier_name = std::string(199, 'a') + "ä";  // cut at a character boundary
  domain::NewExpense more;
  PrefillExpense(more, e);
  EXPECT_EQ(more.description, "Futter und 2 weitere Positionen");
  EXPECT_EQ(more.supplier, std::string(199, 'a'));
}

TEST(ReceivedPrefill, DifferencesToTheEnteredReceiptAreNoted) {
  const auto e = Consistent();
  EXPECT_TRUE(CompareWithReceipt(e, year{2026} / November / 27, 17250).empty());
  const auto notes = CompareWithReceipt(e, year{2026} / November / 28, 17200);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0],
            "Das erfasste Belegdatum 28.11.2026 weicht vom Rechnungsdatum der E-Rechnung "
            "(27.11.2026) ab.");
  EXPECT_NE(notes[1].find("Der erfasste Betrag 172,00 € weicht vom Bruttobetrag der E-Rechnung "
                          "(172,50 €) ab."),
            std::string::npos);
}

// Our own e-invoice read back: every number per rate, the totals, the lines, number and dates.
void ExpectSameNumbers(const testing::Sample& sample, const ReceivedEInvoice& got) {
  const auto& invoice = sample.invoice;
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_TRUE(amounts);
  EXPECT_TRUE(got.warnings.empty()) << sample.name << ": " << got.warnings.front();
  EXPECT_EQ(got.number, *invoice.number);
  EXPECT_EQ(got.issue_date, invoice.invoice_date);
  const bool cancellation = invoice.kind == domain::InvoiceKind::kCancellation;
  EXPECT_EQ(got.type_code, cancellation ? "381" : "380");
  if (cancellation) {
    EXPECT_EQ(got.due_date, std::nullopt);
  } else {
    EXPECT_EQ(got.due_date, AddDays(invoice.invoice_date, sample.school.payment_term_days));
  }
  EXPECT_EQ(got.format, sample.options.profile == Profile::kXRechnung
                            ? "XRechnung 3.0"
                            : "ZUGFeRD / Factur-X (EN 16931)");
  EXPECT_EQ(got.supplier_name, sample.school.name);
  EXPECT_EQ(got.supplier_vat_id, sample.school.vat_id);
  EXPECT_EQ(got.supplier_tax_number, sample.school.tax_number);
  EXPECT_EQ(got.buyer_name, invoice.customer_snapshot.name);
  EXPECT_EQ(got.currency, "EUR");
  const std::string category =
      sample.school.tax_mode == domain::TaxMode::kKleinunternehmer ? "E" : "S";
  ASSERT_EQ(got.lines.size(), invoice.lines.size());
  for (std::size_t i = 0; i < got.lines.size(); ++i) {
    EXPECT_EQ(got.lines[i].id, std::to_string(i + 1));
    EXPECT_EQ(got.lines[i].name, invoice.lines[i].text);
    EXPECT_EQ(got.lines[i].quantity, FormatQuantity(amounts->lines[i].quantity));
    EXPECT_EQ(got.lines[i].unit_code, UnitCode(invoice.lines[i].unit));
    EXPECT_EQ(got.lines[i].net_cents, amounts->lines[i].net_cents) << sample.name << " " << i;
    EXPECT_EQ(got.lines[i].vat_category, category);
    EXPECT_EQ(got.lines[i].vat_rate_bp, invoice.lines[i].vat_rate * 100);
  }
  const auto& totals = amounts->totals;
  ASSERT_EQ(got.tax_groups.size(), totals.groups.size());
  for (std::size_t i = 0; i < got.tax_groups.size(); ++i) {
    EXPECT_EQ(got.tax_groups[i].rate_bp, totals.groups[i].rate * 100);
    EXPECT_EQ(got.tax_groups[i].basis_cents, totals.groups[i].net_cents);
    EXPECT_EQ(got.tax_groups[i].tax_cents, totals.groups[i].tax_cents);
    EXPECT_EQ(got.tax_groups[i].category, category);
  }
  EXPECT_EQ(got.line_total_cents, totals.net_cents);
  EXPECT_EQ(got.tax_basis_cents, totals.net_cents);
  EXPECT_EQ(got.tax_total_cents, totals.tax_cents);
  EXPECT_EQ(got.gross_cents, totals.gross_cents);
  EXPECT_EQ(got.due_payable_cents, totals.gross_cents);
}

TEST(ReceivedRoundTrip, EverySampleReadsBackWithTheSameNumbers) {
  int read = 0;
  for (const auto& sample : testing::AllSamples()) {
    const auto xml = GenerateCii(sample.invoice, sample.school, sample.options);
    ASSERT_TRUE(xml) << sample.name;
    const auto got = ReadEInvoiceXml(*xml);
    ASSERT_TRUE(got) << sample.name << ": " << got.error().message;
    EXPECT_EQ(got->container, Container::kXml);
    ExpectSameNumbers(sample, *got);
    const auto doc = ReadEInvoiceDocument(*xml);
    ASSERT_TRUE(doc && doc->has_value()) << sample.name;
    EXPECT_EQ((*doc)->gross_cents, got->gross_cents);
    ++read;
  }
  EXPECT_GE(read, 10);
}

TEST(ReceivedRoundTrip, ABomAndAnotherPrefixAreTheSameInvoice) {
  const auto sample = testing::AllSamples()[1];
  auto xml = *GenerateCii(sample.invoice, sample.school, sample.options);
  std::string renamed = xml;
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"rsm:", "inv:"},
                                 {"ram:", "agg:"},
                                 {"xmlns:rsm", "xmlns:inv"},
                                 {"xmlns:ram", "xmlns:agg"}}) {
    for (auto pos = renamed.find(from); pos != std::string::npos;
         pos = renamed.find(from, pos + to.size())) {
      renamed.replace(pos, from.size(), to);
    }
  }
  const auto got = ReadEInvoiceXml("\xEF\xBB\xBF" + renamed);
  ASSERT_TRUE(got) << got.error().message;
  ExpectSameNumbers(sample, *got);
}

std::string Spoiled(std::string xml, const std::string& from, const std::string& to) {
  const auto pos = xml.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) xml.replace(pos, from.size(), to);
  return xml;
}

TEST(ReceivedRoundTrip, WrongAmountsAreReadWithWarningsNotRefused) {
  const auto sample = testing::AllSamples()[0];
  const auto xml = *GenerateCii(sample.invoice, sample.school, sample.options);
  const auto grand = xml.find("<ram:GrandTotalAmount>");
  ASSERT_NE(grand, std::string::npos);
  std::string spoiled = xml;
  spoiled.replace(grand, std::string("<ram:GrandTotalAmount>").size(), "<ram:GrandTotalAmount>1");
  const auto got = ReadEInvoiceXml(spoiled);
  ASSERT_TRUE(got);
  ASSERT_FALSE(got->warnings.empty());
  EXPECT_NE(got->warnings.front().find("Der Bruttobetrag"), std::string::npos);

  const auto unreadable =
      ReadEInvoiceXml(Spoiled(xml, "<ram:TaxBasisTotalAmount>", "<ram:TaxBasisTotalAmount>x"));
  ASSERT_TRUE(unreadable);
  EXPECT_EQ(unreadable->warnings.front(),
            "Der Nettobetrag ist kein gültiger Betrag mit höchstens zwei Nachkommastellen.");
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

TEST(ReceivedHostile, RefusedWithAGermanReasonAndNoParserText) {
  const auto sample = testing::AllSamples()[0];
  const auto xml = *GenerateCii(sample.invoice, sample.school, sample.options);
  const std::string body = xml.substr(xml.find("<rsm:CrossIndustryInvoice"));
  struct Case {
    const char* name;
    std::string bytes;
    const char* reason;
  };
  const Case cases[] = {
      {"xxe file",
       "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
           Spoiled(body, "RE-2026-0001", "&x;"),
       "e_invoice_dtd"},
      {"xxe network",
       "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"http://127.0.0.1:9/x.dtd\">" + body,
       "e_invoice_dtd"},
      {"billion laughs",
       "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
       "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;"
       "</l>",
       "e_invoice_dtd"},
      {"utf-16 with a dtd", Utf16("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>"), "e_invoice_dtd"},
      {"truncated", xml.substr(0, xml.size() / 2), "e_invoice_unreadable"},
      {"not xml", "Rechnung 12,50 EUR", "e_invoice_unreadable"},
      {"empty", "", "e_invoice_unreadable"},
      {"odd bytes", std::string("<a>\xC3\x28\x00\xFF</a>", 9), "e_invoice_unreadable"},
      {"other xml", "<?xml version=\"1.0\"?><note><to>Tove</to></note>", "not_e_invoice"},
      {"html", "<html><body><script>alert(1)</script></body></html>", "not_e_invoice"},
      {"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", "not_e_invoice"},
      {"xhtml named like cii",
       "<CrossIndustryInvoice xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script>"
       "</CrossIndustryInvoice>",
       "not_e_invoice"},
      {"cii without content",
       "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:"
       "CrossIndustryInvoice:100\"/>",
       "not_e_invoice"},
      {"too large", std::string(kMaxEInvoiceXmlBytes + 1, ' '), "e_invoice_too_large"},
  };
  for (const auto& c : cases) {
    const auto got = ReadEInvoiceXml(c.bytes);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().reason, c.reason) << c.name;
    EXPECT_FALSE(got.error().message.empty());
    // Our own sentence only: nothing of libxml2's English messages or the document's content.
    for (const char* part : {"parser", "error", "line", "passwd", "entity", "Entity"}) {
      EXPECT_EQ(got.error().message.find(part), std::string::npos) << c.name << ": " << part;
    }
  }
}

TEST(ReceivedHostile, DeepNestingIsRefusedNotACrash) {
  std::string deep =
      "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:"
      "CrossIndustryInvoice:100\">";
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  const auto got = ReadEInvoiceXml(deep);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().reason, "e_invoice_unreadable");
}

TEST(ReceivedDocument, ImagesAndPlainPdfsAreNoEInvoice) {
  const auto png = ReadEInvoiceDocument(std::string("\x89PNG\r\n\x1a\n", 8));
  ASSERT_TRUE(png);
  EXPECT_FALSE(png->has_value());
  const auto pdf = ReadEInvoiceDocument("%PDF-1.4\n%%EOF\n");
  ASSERT_TRUE(pdf);
  EXPECT_FALSE(pdf->has_value());
  EXPECT_EQ(ExtractEInvoiceXml("%PDF-1.4 kaputt"), std::nullopt);
  const auto other = ReadEInvoiceDocument("<note/>");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().reason, "not_e_invoice");
}

}  // namespace
}  // namespace hs::einvoice
