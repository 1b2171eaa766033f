// The generator's arithmetic and refusals. Whether the XML is what EN 16931 and XRechnung want
// is decided by the official validators (einvoice_validation_test.cpp); here: the sums (lines ->
// tax per rate -> totals) on amounts where rounding bites, and the German refusals.
#include "einvoice/cii.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "einvoice/amounts.hpp"
#include "einvoice/xml_writer.hpp"
#include "samples.hpp"

namespace hs::einvoice {
namespace {

using domain::PriceEntry;
using testing::Finalized;
using testing::Line;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The EN 16931 sum rules restated over the integer amounts: BR-S-08 / BR-E-08 (line nets per
// rate = taxable amount), BR-CO-17 (tax = basis x rate, the validator allows one cent either
// way), BR-CO-10, -13, -14, -15.
void ExpectSumRules(const DocumentAmounts& amounts, const domain::Invoice& invoice) {
  std::map<int, Cents> line_sums;
  for (std::size_t i = 0; i < amounts.lines.size(); ++i) {
    line_sums[invoice.lines[i].vat_rate] += amounts.lines[i].net_cents;
    EXPECT_GE(amounts.lines[i].net_price, 0) << "BR-27, line " << i;
  }
  Cents net = 0, tax = 0;
  for (const auto& g : amounts.totals.groups) {
    EXPECT_EQ(line_sums[g.rate], g.net_cents) << "rate " << g.rate;
    EXPECT_LE(std::llabs(g.tax_cents - RoundDiv(g.net_cents * g.rate, 100)), 1) << g.rate;
    EXPECT_EQ(g.gross_cents, g.net_cents + g.tax_cents);
    net += g.net_cents;
    tax += g.tax_cents;
  }
  EXPECT_EQ(amounts.totals.net_cents, net);
  EXPECT_EQ(amounts.totals.tax_cents, tax);
  EXPECT_EQ(amounts.totals.gross_cents, net + tax);
}

TEST(EinvoiceAmounts, NetEntryRoundsEachRateOnceHalfAwayFromZero) {
  // 0.50 at 19 % = 0.095 -> 0.10; 1.50 at 7 % = 0.105 -> 0.11; 3 x 0.17 = 0.51 at 7 % = 0.0357.
  const auto invoice = Finalized({Line("a", 1000, "Stk", 50, 19), Line("b", 1000, "Stk", 150, 7),
                                  Line("c", 3000, "Stk", 17, 7)},
                                 PriceEntry::kNet, "RE-1");
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_TRUE(amounts);
  ASSERT_EQ(amounts->totals.groups.size(), 2u);
  EXPECT_EQ(amounts->totals.groups[0].net_cents, 201);  // 7 %: 1.50 + 0.51
  EXPECT_EQ(amounts->totals.groups[0].tax_cents, 14);   // 0.1407
  EXPECT_EQ(amounts->totals.groups[1].tax_cents, 10);   // 0.095
  EXPECT_EQ(amounts->totals.gross_cents, 201 + 14 + 50 + 10);
  ExpectSumRules(*amounts, invoice);
  const auto xml = GenerateCii(invoice, testing::RegularSchool(), {});
  ASSERT_TRUE(xml);
  EXPECT_TRUE(Contains(*xml, "<ram:CalculatedAmount>0.10</ram:CalculatedAmount>"));
  EXPECT_TRUE(Contains(*xml, "<ram:CalculatedAmount>0.14</ram:CalculatedAmount>"));
  EXPECT_TRUE(Contains(*xml, "<ram:GrandTotalAmount>2.75</ram:GrandTotalAmount>"));
}

TEST(EinvoiceAmounts, FractionalQuantitiesRoundPerLine) {
  // 1.333 h x 49.99 = 66.63667 -> 66.64; 0.333 x 33.33 = 11.09889 -> 11.10.
  const auto invoice =
      Finalized({Line("a", 1333, "Stunde", 4999, 19), Line("b", 333, "Stunde", 3333, 19)},
                PriceEntry::kNet, "RE-2");
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_TRUE(amounts);
  EXPECT_EQ(amounts->lines[0].net_cents, 6664);
  EXPECT_EQ(amounts->lines[1].net_cents, 1110);
  EXPECT_EQ(amounts->totals.groups[0].tax_cents, 1477);  // 77.74 x 0.19 = 14.7706
  ExpectSumRules(*amounts, invoice);
}

TEST(EinvoiceAmounts, GrossEntryLineNetsAddUpToTheGroupNet) {
  // 0.01 .. 0.99 gross at 19 % and 7 %: converted line by line the nets miss the group net by
  // several cents; the remainder lands on the largest line and the sum is exact.
  std::vector<domain::InvoiceLine> lines;
  for (int cents = 1; cents < 100; cents += 2) {
    lines.push_back(Line("x", 1000, "Stk", cents, cents % 4 == 1 ? 19 : 7));
  }
  const auto invoice = Finalized(lines, PriceEntry::kGross, "RE-3");
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_TRUE(amounts);
  ExpectSumRules(*amounts, invoice);
  EXPECT_EQ(amounts->totals.gross_cents, invoice.totals.gross_cents);
}

TEST(EinvoiceAmounts, GrossEntryNetPriceHasFourDecimals) {
  const auto invoice = Finalized({Line("a", 1000, "Stk", 1000, 19)}, PriceEntry::kGross, "RE-4");
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_TRUE(amounts);
  EXPECT_EQ(amounts->lines[0].net_price, 84034);  // 10.00 / 1.19 = 8.40336
  EXPECT_EQ(amounts->lines[0].net_cents, 840);
  EXPECT_EQ(amounts->totals.groups[0].tax_cents, 160);
}

TEST(EinvoiceAmounts, EverySampleKeepsTheSumRules) {
  for (const auto& sample : testing::AllSamples()) {
    SCOPED_TRACE(sample.name);
    const auto amounts = ComputeDocumentAmounts(sample.invoice);
    ASSERT_TRUE(amounts);
    ExpectSumRules(*amounts, sample.invoice);
  }
}

TEST(EinvoiceAmounts, CancellationIsACreditNoteWithTheOriginalAmounts) {
  const auto original =
      Finalized({Line("a", 1500, "Stunde", 3333, 19), Line("b", 3000, "Stk", 17, 7)},
                PriceEntry::kGross, "RE-5");
  auto cancellation = domain::MakeCancellation(original, original.invoice_date);
  cancellation.status = domain::InvoiceStatus::kFinalized;
  cancellation.number = "RE-6";
  const auto a = ComputeDocumentAmounts(original);
  const auto c = ComputeDocumentAmounts(cancellation);
  ASSERT_TRUE(a && c);
  for (std::size_t i = 0; i < a->lines.size(); ++i) {
    EXPECT_EQ(c->lines[i].quantity, a->lines[i].quantity);
    EXPECT_EQ(c->lines[i].net_cents, a->lines[i].net_cents);
  }
  EXPECT_EQ(c->totals.gross_cents, a->totals.gross_cents);
  EXPECT_GT(c->totals.gross_cents, 0);
  const auto xml = GenerateCii(cancellation, testing::RegularSchool(), {});
  ASSERT_TRUE(xml);
  EXPECT_TRUE(Contains(*xml, "<ram:TypeCode>381</ram:TypeCode>"));
  EXPECT_TRUE(Contains(*xml, "<ram:IssuerAssignedID>RE-5</ram:IssuerAssignedID>"));
  EXPECT_FALSE(Contains(*xml, ">-"));  // no negative number anywhere
}

TEST(EinvoiceAmounts, StoredTotalsThatDoNotMatchTheLinesAreABug) {
  auto invoice = Finalized({Line("a", 1000, "Stk", 100, 19)}, PriceEntry::kNet, "RE-7");
  invoice.totals.tax_cents += 1;
  const auto amounts = ComputeDocumentAmounts(invoice);
  ASSERT_FALSE(amounts);
  EXPECT_EQ(amounts.error().code, ErrorCode::kInternal);
}

std::vector<std::string> Fields(const Error& error) {
  std::vector<std::string> out;
  for (const auto& d : error.details) out.push_back(d.field);
  return out;
}

TEST(EinvoiceGenerator, XRechnungRefusesMissingDataNamingEachField) {
  auto school = testing::RegularSchool();
  school.phone.clear();
  school.email = " ";
  auto invoice = Finalized({Line("a", 1000, "Stk", 100, 19)}, PriceEntry::kNet, "RE-8");
  invoice.customer_snapshot.email.clear();
  invoice.customer_snapshot.address.zip.clear();
  const auto xml = GenerateCii(invoice, school, {Profile::kXRechnung, "", ""});
  ASSERT_FALSE(xml);
  EXPECT_EQ(xml.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(xml.error().message, "Die E-Rechnung kann nicht erstellt werden, weil Angaben fehlen.");
  EXPECT_EQ(Fields(xml.error()), (std::vector<std::string>{"school.contact_name", "school.phone",
                                                           "school.email", "customer.address.zip",
                                                           "buyer_reference", "customer.email"}));
  EXPECT_EQ(xml.error().details[1].message, "Die Telefonnummer der Hundeschule fehlt.");
  // The same invoice as plain EN 16931 needs none of the XRechnung fields.
  invoice.customer_snapshot.address.zip = "10115";
  EXPECT_TRUE(GenerateCii(invoice, school, {}));
}

TEST(EinvoiceGenerator, XRechnungRefusesAContactNoOneCanReach) {
  auto school = testing::RegularSchool();
  school.phone = "siehe Website";
  school.email = "info(at)example.org";
  const auto invoice = testing::AllSamples()[0].invoice;
  const auto xml = GenerateCii(invoice, school, {Profile::kXRechnung, "991-12345-67", "Anna"});
  ASSERT_FALSE(xml);
  EXPECT_EQ(Fields(xml.error()), (std::vector<std::string>{"school.phone", "school.email"}));
}

TEST(EinvoiceGenerator, RefusesDraftsZeroRatedLinesOfARegularSchoolAndMissingTaxIds) {
  auto school = testing::RegularSchool();
  school.tax_number.clear();
  school.vat_id.clear();
  school.iban = "DE00";
  auto invoice = Finalized({Line("a", 1000, "Stk", 100, 0)}, PriceEntry::kNet, "RE-9");
  invoice.status = domain::InvoiceStatus::kDraft;
  const auto xml = GenerateCii(invoice, school, {});
  ASSERT_FALSE(xml);
  EXPECT_EQ(Fields(xml.error()), (std::vector<std::string>{"school.tax_number", "school.iban",
                                                           "invoice.number", "lines[0].vat_rate"}));
}

TEST(EinvoiceGenerator, KleinunternehmerIsExemptWithTheReasonAndNoTax) {
  const auto sample = testing::AllSamples()[2];
  ASSERT_EQ(sample.name, "kleinunternehmer");
  const auto xml = GenerateCii(sample.invoice, sample.school, sample.options);
  ASSERT_TRUE(xml);
  EXPECT_TRUE(Contains(*xml, "<ram:CategoryCode>E</ram:CategoryCode>"));
  EXPECT_FALSE(Contains(*xml, "<ram:CategoryCode>S</ram:CategoryCode>"));
  EXPECT_TRUE(Contains(*xml, "<ram:ExemptionReason>Kleinunternehmer gemäß § 19 UStG<"));
  EXPECT_TRUE(Contains(*xml, "<ram:TaxTotalAmount currencyID=\"EUR\">0.00<"));
  // No USt-IdNr: the Steuernummer identifies the seller (BR-CO-26) and is its FC registration.
  EXPECT_TRUE(Contains(*xml, "<ram:ID>143/123/45678</ram:ID>"));
  EXPECT_TRUE(Contains(*xml, "<ram:ID schemeID=\"FC\">143/123/45678</ram:ID>"));
}

TEST(EinvoiceGenerator, EscapesTextAndIsDeterministic) {
  const auto sample = testing::AllSamples()[0];
  const auto a = GenerateCii(sample.invoice, sample.school, sample.options);
  const auto b = GenerateCii(sample.invoice, sample.school, sample.options);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(Contains(*a, "Erika Mustermann &amp; Söhne &lt;Hunde&gt;"));
  EXPECT_EQ(XmlEscape("a\"b'c\x01\n"), "a&quot;b&apos;c \n");
}

TEST(EinvoiceGenerator, BuyerVatIdIsTheBuyersVaRegistrationAfterItsAddress) {
  const auto samples = testing::AllSamples();
  const auto authority = std::ranges::find(samples, "xrechnung-authority", &testing::Sample::name);
  ASSERT_NE(authority, samples.end());
  const auto xml = GenerateCii(authority->invoice, authority->school, authority->options);
  ASSERT_TRUE(xml);
  const auto buyer = xml->find("<ram:BuyerTradeParty>");
  const auto buyer_end = xml->find("</ram:BuyerTradeParty>");
  const auto vat = xml->find("<ram:ID schemeID=\"VA\">DE987654321</ram:ID>");
  ASSERT_NE(vat, std::string::npos);
  EXPECT_GT(vat, xml->find("</ram:URIUniversalCommunication>", buyer));
  EXPECT_LT(vat, buyer_end);
  // A private customer without one gets no registration (the seller's two stay).
  const auto regular = GenerateCii(samples[0].invoice, samples[0].school, samples[0].options);
  ASSERT_TRUE(regular);
  const auto regular_buyer = regular->find("<ram:BuyerTradeParty>");
  EXPECT_EQ(regular->find("SpecifiedTaxRegistration", regular_buyer), std::string::npos);
}

TEST(EinvoiceFormat, AmountsPricesAndUnits) {
  EXPECT_EQ(FormatAmount(0), "0.00");
  EXPECT_EQ(FormatAmount(-5), "-0.05");
  EXPECT_EQ(FormatAmount(123456789), "1234567.89");
  EXPECT_EQ(FormatPrice(125000), "12.50");
  EXPECT_EQ(FormatPrice(84034), "8.4034");
  EXPECT_EQ(FormatPrice(84030), "8.403");
  EXPECT_EQ(FormatPrice(5), "0.0005");
  EXPECT_EQ(UnitCode("Stunde"), "HUR");
  EXPECT_EQ(UnitCode(" Std. "), "HUR");
  EXPECT_EQ(UnitCode("km"), "KMT");
  EXPECT_EQ(UnitCode("Kurs"), "C62");
  EXPECT_EQ(UnitCode(""), "C62");
}

}  // namespace
}  // namespace hs::einvoice
