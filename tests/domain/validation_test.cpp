#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>

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

std::string Bytes(std::initializer_list<unsigned char> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\x0DIHDR", 8) +
                         std::string(17, '\x01') + std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
const std::string kJpeg =
    Bytes({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10}) + "JFIF data" + Bytes({0xFF, 0xD9});
const std::string kPdf = "%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

TEST(Receipts, DetectsDocumentTypesByHeaderAndTrailer) {
  struct Case {
    const char* name;
    std::string bytes;
    std::optional<std::string> type;
  };
  const Case cases[] = {
      {"PDF", kPdf, "application/pdf"},
      {"PDF with XMP metadata",
       "%PDF-1.7\n<?xpacket?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n%%EOF", "application/pdf"},
      {"PDF without %%EOF", "%PDF-1.7\n1 0 obj << >> endobj\n", std::nullopt},
      {"PDF with %%EOF only far from the end", "%PDF-1.7\n%%EOF\n" + std::string(2000, 'x'),
       std::nullopt},
      {"PDF header without version", "%PDF-\n%%EOF", std::nullopt},
      {"PDF + HTML polyglot", "%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF",
       std::nullopt},
      {"PDF + upper-case HTML", "%PDF-1.4\n<HTML><BODY onload=x>\n%%EOF", std::nullopt},
      {"PDF + SVG", "%PDF-1.4\n<svg onload=alert(1)>\n%%EOF", std::nullopt},
      {"JPEG", kJpeg, "image/jpeg"},
      {"JPEG with trailing newline", kJpeg + "\n", "image/jpeg"},
      {"JPEG without EOI", Bytes({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x41, 0x42}), std::nullopt},
      {"JPEG + HTML", Bytes({0xFF, 0xD8, 0xFF, 0xE0}) + "<!DOCTYPE html>" + Bytes({0xFF, 0xD9}),
       std::nullopt},
      {"PNG", kPng, "image/png"},
      {"PNG without IEND", kPng.substr(0, kPng.size() - 12), std::nullopt},
      {"PNG without IHDR first",
       std::string("\x89PNG\r\n\x1a\n", 8) + std::string(25, 'x') + kPng.substr(kPng.size() - 12),
       std::nullopt},
      {"PNG signature only", std::string("\x89PNG\r\n\x1a\n....", 12), std::nullopt},
      {"GIF", "GIF89a", std::nullopt},
      {"HTML", "<html></html>", std::nullopt},
      {"empty", "", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(DetectDocumentType(c.bytes), c.type) << c.name;
}

TEST(Receipts, ALargeDocumentIsCheckedWhole) {
  // 10 MB of PDF dictionaries ("<<" everywhere): accepted, and markup at the very end is found.
  std::string pdf = "%PDF-1.7\n";
  pdf.reserve(kMaxReceiptFileBytes);
  while (pdf.size() < kMaxReceiptFileBytes - 100) pdf += "<< /Type /Page /Contents 4 0 R >>\n";
  EXPECT_EQ(DetectDocumentType(pdf + "%%EOF\n"), "application/pdf");
  EXPECT_EQ(DetectDocumentType(pdf + "<ScRiPt>\n%%EOF\n"), std::nullopt);
}

TEST(Receipts, XmlEInvoiceOutline) {
  const std::string cii =
      "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:"
      "CrossIndustryInvoice:100\"><rsm:ExchangedDocument/></rsm:CrossIndustryInvoice>";
  struct Case {
    const char* name;
    std::string bytes;
    bool outline;
  };
  const Case cases[] = {
      {"plain", cii, true},
      {"declaration, bom, comment", "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- x -->\n" + cii,
       true},
      {"default namespace", "<CrossIndustryInvoice xmlns=\"urn:x\"/>", true},
      {"ubl invoice",
       "<?xml version=\"1.0\"?><Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:"
       "Invoice-2\"/>",
       true},
      {"ubl credit note, prefixed", "<ubl:CreditNote xmlns:ubl=\"urn:x\"/>", true},
      {"other root", "<?xml version=\"1.0\"?><Order/>", false},
      {"ubl with script", "<Invoice><script>alert(1)</script></Invoice>", false},
      {"doctype", "<!DOCTYPE x>" + cii, false},
      {"doctype inside", cii + "<!DOCTYPE x>", false},
      {"script inside", "<CrossIndustryInvoice><script>alert(1)</script></CrossIndustryInvoice>",
       false},
      {"svg root", "<svg/>", false},
      {"html", "<html><CrossIndustryInvoice/></html>", false},
      {"unclosed comment", "<!-- <CrossIndustryInvoice/>", false},
      {"text", "CrossIndustryInvoice", false},
      {"empty", "", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsXmlEInvoiceOutline(c.bytes), c.outline) << c.name;
}

TEST(Receipts, UploadFileNamesAreOneLineOfText) {
  EXPECT_TRUE(ValidateUploadFileName("Rechnung Tierarzt März.pdf"));
  EXPECT_TRUE(ValidateUploadFileName("קבלה.pdf"));
  EXPECT_TRUE(HasField(ValidateUploadFileName(std::string("a\0.html", 7)), "file"));
  EXPECT_TRUE(HasField(ValidateUploadFileName("a\r\nX-Evil: 1.pdf"), "file"));
  EXPECT_TRUE(HasField(ValidateUploadFileName("rechnung\xE2\x80\xAE"
                                              "fdp.exe"),
                       "file"));
  EXPECT_TRUE(HasField(ValidateUploadFileName("\xFF.pdf"), "file"));
  EXPECT_EQ(ValidateUploadFileName("a\x1B.pdf").error().code, ErrorCode::kInvalidArgument);
}

TEST(Validation, ControlCharactersAreRefusedInEveryTextField) {
  Customer c;
  c.last_name = "Muster\x1B[2J";
  c.address.city = "Berlin\nX";
  c.notes = "Zeile 1\r\nZeile 2\tmit Tab";  // fine in a multi-line field
  c.dogs = {{std::string("Rex\0", 4), "Dackel"}};
  const Status st = ValidateCustomer(c);
  EXPECT_TRUE(HasField(st, "last_name"));
  EXPECT_TRUE(HasField(st, "address.city"));
  EXPECT_TRUE(HasField(st, "dogs[0].name"));
  EXPECT_FALSE(HasField(st, "notes"));
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);

  Invoice inv = ValidDraft();
  inv.lines[0].text = "Kurs\nmit zweiter Zeile";  // multi-line
  inv.lines[0].unit = "Std\t";
  inv.notes = "Danke\x07";
  const Status draft = ValidateDraft(inv, School{});
  EXPECT_FALSE(HasField(draft, "lines[0].text"));
  EXPECT_TRUE(HasField(draft, "lines[0].unit"));
  EXPECT_TRUE(HasField(draft, "notes"));

  School school;
  school.name = "Pfotenglück";
  school.bank_name = "Bank\r\nX-Injected: 1";
  EXPECT_TRUE(HasField(ValidateSchool(school), "bank_name"));

  NewExpense e{*ParseIsoDate("2026-02-07"), 1190, 19, "Futter\n2 Sack", "Fressnapf\x1B", "R-1"};
  const Status expense = ValidateExpense(e);
  EXPECT_FALSE(HasField(expense, "description"));
  EXPECT_TRUE(HasField(expense, "supplier"));
}

TEST(Validation, IbanNeedsCountryLengthAndMod97) {
  struct Case {
    const char* iban;
    bool valid;
  };
  const Case cases[] = {
      {"DE89370400440532013000", true},
      {"DE02120300000000202051", true},
      {"AT611904300234573201", true},
      {"GB82WEST12345698765432", true},
      {"NL91ABNA0417164300", true},
      {"CH9300762011623852957", true},
      {"DE89370400440532013001", false},   // check digits do not match
      {"DE8937040044053201300", false},    // 21 characters: a German IBAN has 22
      {"DE893704004405320130000", false},  // 23 characters
      {"de89370400440532013000", false},   // stored in capitals only
      {"DE89 3704 0044 0532 0130 00", false},
      {"DEXX370400440532013000", false},
      {"XX", false},
      {"", false},
      {"DE89370400440532013-00", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsValidIban(c.iban), c.valid) << c.iban;
}

TEST(Validation, BicHasEightOrElevenCharacters) {
  EXPECT_TRUE(IsValidBic("COBADEFFXXX"));
  EXPECT_TRUE(IsValidBic("BYLADEM1001"));
  EXPECT_TRUE(IsValidBic("DEUTDEFF"));
  EXPECT_FALSE(IsValidBic("DEUTDEF"));
  EXPECT_FALSE(IsValidBic("DEUTDEFF50"));
  EXPECT_FALSE(IsValidBic("1EUTDEFF"));
  EXPECT_FALSE(IsValidBic("deutdeff"));
}

TEST(Validation, SchoolSettingsRefuseAnInvalidIbanInGerman) {
  School school;
  school.name = "Pfotenglück";
  school.iban = "DE89370400440532013001";
  school.bic = "COBA";
  const Status st = ValidateSchool(school);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(HasField(st, "iban"));
  EXPECT_TRUE(HasField(st, "bic"));
  for (const auto& d : st.error().details) {
    if (d.field == "iban") {
      EXPECT_EQ(d.message.rfind("Die IBAN ist ungültig", 0), 0u);
    }
  }
  school.iban = "DE89370400440532013000";
  school.bic = "COBADEFFXXX";
  EXPECT_TRUE(ValidateSchool(school));
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

namespace hs::domain {
namespace {

TEST(Validation, LeitwegIdNeedsItsShapeAndModulo97Check) {
  // Published examples (XRechnung test suite, the Bund's test IDs) pass ISO/IEC 7064 MOD 97-10.
  for (const char* id : {"04011000-1234512345-06", "991-33333TEST-33", "04011000-12345-03",
                         "992-90009-96", "04011000-12345ABCXYZ-86", "991-33333test-33"}) {
    EXPECT_TRUE(IsValidLeitwegId(id)) << id;
  }
  for (const char* id :
       {"04011000-1234512345-07", "04011000-1234512345", "0-12345-03", "04011000--03",
        "04011000-12 45-03", "1234567890123-1-00", "04011000-12345-3", "", "-"}) {
    EXPECT_FALSE(IsValidLeitwegId(id)) << id;
  }
}

TEST(Validation, VatIdIsCountryCodeAndNumber) {
  EXPECT_TRUE(IsValidVatId("DE123456789"));
  EXPECT_TRUE(IsValidVatId("ATU12345678"));
  EXPECT_FALSE(IsValidVatId("DE12345678"));
  EXPECT_FALSE(IsValidVatId("DE1234567890"));
  EXPECT_FALSE(IsValidVatId("de123456789"));
  EXPECT_FALSE(IsValidVatId("123456789"));
}

TEST(CustomerValidation, AnAuthorityNeedsXRechnungAndALeitwegId) {
  Customer c;
  c.kind = CustomerKind::kCompany;
  c.company_name = "Stadt Musterhausen";
  c.email = "rechnung@musterhausen.example";
  c.public_authority = true;
  c.e_invoice = EInvoiceKind::kZugferd;
  const auto st = ValidateCustomer(c);
  EXPECT_TRUE(HasField(st, "e_invoice"));
  EXPECT_TRUE(HasField(st, "buyer_reference"));
  c.e_invoice = EInvoiceKind::kXRechnung;
  c.buyer_reference = "04011000-1234512345-06";
  EXPECT_TRUE(ValidateCustomer(c));
  c.kind = CustomerKind::kPerson;
  c.last_name = "Amt";
  EXPECT_TRUE(HasField(ValidateCustomer(c), "kind"));
}

}  // namespace
}  // namespace hs::domain
