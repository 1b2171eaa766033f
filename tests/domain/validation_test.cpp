#include <gtest/gtest.h>

#include "domain/customer.hpp"
#include "domain/invoice.hpp"
#include "domain/receipt.hpp"

namespace hs::domain {
namespace {

bool HasField(const Status& st, const std::string& field) {
  if (st) return false;
  for (const auto& d : st.error().details) {
    if (d.field == field) return true;
  }
  return false;
}

Invoice ValidDraft() {
  Invoice inv;
  inv.customer_id = 1;
  inv.invoice_date = *ParseIsoDate("2026-11-27");
  inv.lines = {{"Einzelstunde", 1000, "Stunde", 5500, 19}};
  return inv;
}

TEST(InvoiceValidation, AcceptsAValidDraft) {
  EXPECT_TRUE(ValidateDraft(ValidDraft(), School{}));
}

TEST(InvoiceValidation, RejectsBadLines) {
  Invoice inv = ValidDraft();
  inv.lines[0].vat_rate = 16;
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "lines[0].vat_rate"));
  inv = ValidDraft();
  inv.lines[0].quantity = -1000;
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "lines[0].quantity"));
  inv.lines[0].quantity = kMaxQuantity + 1;
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "lines[0].quantity"));
  inv = ValidDraft();
  inv.lines[0].unit_price_cents = -1;
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "lines[0].unit_price_cents"));
  inv = ValidDraft();
  inv.lines[0].text = "  ";
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "lines[0].text"));
}

TEST(InvoiceValidation, KleinunternehmerChargesNoVat) {
  School school;
  school.tax_mode = TaxMode::kKleinunternehmer;
  Invoice inv = ValidDraft();
  EXPECT_TRUE(HasField(ValidateDraft(inv, school), "lines[0].vat_rate"));
  inv.lines[0].vat_rate = 0;
  EXPECT_TRUE(ValidateDraft(inv, school));
}

TEST(InvoiceValidation, ServicePeriodMustBeOrdered) {
  Invoice inv = ValidDraft();
  inv.service_date = *ParseIsoDate("2026-11-20");
  inv.service_period_end = *ParseIsoDate("2026-11-10");
  EXPECT_TRUE(HasField(ValidateDraft(inv, School{}), "service_period_end"));
}

TEST(CustomerValidation, PersonNeedsLastNameCompanyNeedsName) {
  Customer c;
  EXPECT_TRUE(HasField(ValidateCustomer(c), "last_name"));
  c.kind = CustomerKind::kCompany;
  EXPECT_TRUE(HasField(ValidateCustomer(c), "company_name"));
  c.company_name = "Tierarztpraxis";
  EXPECT_TRUE(ValidateCustomer(c));
  c.email = "kein-at";
  EXPECT_TRUE(HasField(ValidateCustomer(c), "email"));
  c.email = "";
  c.address.country = "de";
  EXPECT_TRUE(HasField(ValidateCustomer(c), "address.country"));
  c.address.country = "DE";
  c.address.zip = "123";
  EXPECT_TRUE(HasField(ValidateCustomer(c), "address.zip"));
}

TEST(Receipts, DetectsDocumentTypesByContent) {
  EXPECT_EQ(DetectDocumentType("%PDF-1.7 ..."), "application/pdf");
  EXPECT_EQ(DetectDocumentType(std::string("\xFF\xD8\xFF\xE0", 4)), "image/jpeg");
  EXPECT_EQ(DetectDocumentType(std::string("\x89PNG\r\n\x1a\n....", 12)), "image/png");
  EXPECT_FALSE(DetectDocumentType("GIF89a").has_value());
  EXPECT_FALSE(DetectDocumentType("").has_value());
}

TEST(Receipts, SplitGrossUsesTheInvoiceRule) {
  Cents net = 0, tax = 0;
  SplitGross(11900, 19, net, tax);
  EXPECT_EQ(net, 10000);
  EXPECT_EQ(tax, 1900);
  SplitGross(1000, 7, net, tax);
  EXPECT_EQ(net, 935);  // 934.58 -> 935
  EXPECT_EQ(tax, 65);
}

}  // namespace
}  // namespace hs::domain
