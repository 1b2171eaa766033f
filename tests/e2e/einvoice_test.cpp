// E-Rechnung per customer (issue 17) through the real binary: the customer's e-invoice fields
// and their rules, the school's contact name and what it lacks for e-invoices, and what a
// finalization issues for each kind.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "einvoice/cii.hpp"
#include "einvoice/samples.hpp"
#include "store/database_url.hpp"
#include "support/binary_fixture.hpp"

namespace hs::testing {
namespace {

Json Must(const Reply& reply, int status, const std::string& what) {
  if (reply.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " +
                             reply.Describe());
  }
  return reply.json;
}

// The standard output of a shell command (the test's own fixed command lines only).
std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::string InvoicePath(std::int64_t id) {
  return "/api/v1/invoices/" + std::to_string(id);
}

std::string Header(const Reply& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    std::string lower = key;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == name) return value;
  }
  return {};
}

// A public authority with everything an XRechnung needs.
Json Authority() {
  return {{"kind", "company"},
          {"company_name", "Stadt Musterhausen, Ordnungsamt"},
          {"email", "rechnung@musterhausen.example"},
          {"address", {{"street", "Rathausplatz 1"}, {"zip", "12345"}, {"city", "Musterhausen"}}},
          {"public_authority", true},
          {"e_invoice", "xrechnung"},
          {"buyer_reference", "04011000-1234512345-06"}};
}

class EInvoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = office_.CreateSchool("Hundeschule Pfote");
    office_.Start();
    c_ = office_.LoginAs(owner_);
  }
  void TearDown() override {
    c_.reset();
    if (office_.running()) {
      EXPECT_EQ(office_.Stop(), 0) << office_.ServerLog();
    }
  }

  // The settings GenerateCii needs for both profiles.
  void CompleteSchool() {
    Must(c_->Patch("/api/v1/settings/school",
                   {{"address", {{"street", "Waldweg 3"}, {"zip", "54321"}, {"city", "Hundorf"}}},
                    {"email", "info@pfote.example"},
                    {"phone", "+49 30 1234567"},
                    {"contact_name", "Erika Pfote"},
                    {"tax_number", "12/345/67890"},
                    {"iban", "DE02120300000000202051"}}),
         200, "complete school");
  }

  std::int64_t DraftFor(std::int64_t customer) {
    const Json draft = {{"customer_id", customer},
                        {"invoice_date", TodayInBerlin()},
                        {"lines",
                         {{{"text", "Einzelstunde"},
                           {"quantity", "2"},
                           {"unit", "Stunde"},
                           {"unit_price_cents", 6000},
                           {"vat_rate", 19}}}}};
    return Must(c_->Post("/api/v1/invoices", draft), 201, "draft")["id"].get<std::int64_t>();
  }

  BinaryFixture office_;
  Account owner_;
  std::unique_ptr<ApiClient> c_;
};

TEST_F(EInvoiceTest, CustomerFieldsRoundTripAndDefaultToNone) {
  const Json plain =
      Must(c_->Post("/api/v1/customers", {{"kind", "person"}, {"last_name", "A"}}), 201, "plain");
  EXPECT_EQ(plain["e_invoice"], "none");
  EXPECT_EQ(plain["public_authority"], false);
  const Json authority = Must(c_->Post("/api/v1/customers", Authority()), 201, "authority");
  EXPECT_EQ(authority["e_invoice"], "xrechnung");
  EXPECT_EQ(authority["buyer_reference"], "04011000-1234512345-06");
  const Json company = Must(c_->Post("/api/v1/customers", {{"kind", "company"},
                                                           {"company_name", "Futter GmbH"},
                                                           {"e_invoice", "zugferd"},
                                                           {"vat_id", "de 123456789"}}),
                            201, "company");
  EXPECT_EQ(company["vat_id"], "DE123456789");
  EXPECT_EQ(company["e_invoice"], "zugferd");
}

TEST_F(EInvoiceTest, AuthorityRulesAreRefusedInGerman) {
  struct Case {
    Json change;
    std::string field;
  };
  const Case cases[] = {
      {{{"e_invoice", "zugferd"}}, "e_invoice"},
      {{{"buyer_reference", ""}}, "buyer_reference"},
      {{{"buyer_reference", "04011000-1234512345-07"}}, "buyer_reference"},  // check digits
      {{{"buyer_reference", "0401 1000"}}, "buyer_reference"},
      {{{"email", ""}}, "email"},
      {{{"vat_id", "DE12345678"}}, "vat_id"},
      {{{"e_invoice", "pdf"}}, "e_invoice"},
  };
  for (const auto& c : cases) {
    Json body = Authority();
    body.update(c.change);
    SCOPED_TRACE(body.dump());
    const Reply r = c_->Post("/api/v1/customers", body);
    EXPECT_TRUE(r.status == 422 || r.status == 400) << r.Describe();
    EXPECT_TRUE(r.HasDetail(c.field)) << r.body;
  }
  // Other valid Leitweg-IDs: without fine address, with letters in it.
  for (const std::string id : {"991-33333TEST-33", "04011000-12345-03", "992-90009-96"}) {
    Json body = Authority();
    body["buyer_reference"] = id;
    EXPECT_EQ(c_->Post("/api/v1/customers", body).status, 201) << id;
  }
  // A company (not an authority) may receive XRechnung with any buyer reference.
  Json company = Authority();
  company["public_authority"] = false;
  company["buyer_reference"] = "Bestellung 4711";
  EXPECT_EQ(c_->Post("/api/v1/customers", company).status, 201);
}

TEST_F(EInvoiceTest, SchoolSaysWhatIsMissingForEInvoices) {
  Json school = Must(c_->Get("/api/v1/settings/school"), 200, "school");
  bool contact_missing = false;
  for (const auto& e : school["e_invoice_missing"]["xrechnung"]) {
    contact_missing = contact_missing || e["field"] == "contact_name";
  }
  EXPECT_TRUE(contact_missing) << school.dump();
  CompleteSchool();
  school = Must(c_->Get("/api/v1/settings/school"), 200, "school");
  EXPECT_EQ(school["contact_name"], "Erika Pfote");
  EXPECT_TRUE(school["e_invoice_missing"]["zugferd"].empty()) << school.dump();
  EXPECT_TRUE(school["e_invoice_missing"]["xrechnung"].empty()) << school.dump();
  // Sent back as read, the read-only list is ignored.
  EXPECT_EQ(c_->Patch("/api/v1/settings/school", school).status, 200);
}

TEST_F(EInvoiceTest, PlainCustomerGetsNoXRechnung) {
  CompleteSchool();
  const auto customer =
      Must(c_->Post("/api/v1/customers", {{"kind", "person"}, {"last_name", "B"}}), 201,
           "customer")["id"]
          .get<std::int64_t>();
  const std::int64_t id = DraftFor(customer);
  const Json inv = Must(c_->Post(InvoicePath(id) + "/finalize", Json::object()), 200, "finalize");
  EXPECT_EQ(inv["e_invoice"], "none");
  EXPECT_TRUE(inv["xrechnung_url"].is_null());
  EXPECT_EQ(c_->Get(InvoicePath(id) + "/xrechnung").status, 404);
  const Reply pdf = c_->Get(InvoicePath(id) + "/pdf");
  EXPECT_EQ(pdf.body.find("factur-x.xml"), std::string::npos);
}

TEST_F(EInvoiceTest, MissingSchoolDataRefusesFinalizationWithoutUsingANumber) {
  const auto customer =
      Must(c_->Post("/api/v1/customers", Authority()), 201, "authority")["id"].get<std::int64_t>();
  const std::int64_t id = DraftFor(customer);
  const Reply refused = c_->Post(InvoicePath(id) + "/finalize", Json::object());
  EXPECT_EQ(refused.status, 422) << refused.Describe();
  EXPECT_TRUE(refused.HasDetail("school.contact_name")) << refused.body;
  EXPECT_EQ(Must(c_->Get(InvoicePath(id)), 200, "draft")["status"], "draft");
  CompleteSchool();
  const Json inv = Must(c_->Post(InvoicePath(id) + "/finalize", Json::object()), 200, "finalize");
  EXPECT_EQ(inv["number"].get<std::string>().substr(inv["number"].get<std::string>().size() - 4),
            "0001");
}

TEST_F(EInvoiceTest, XRechnungIsKeptBesideTheReadablePdf) {
  CompleteSchool();
  const auto customer =
      Must(c_->Post("/api/v1/customers", Authority()), 201, "authority")["id"].get<std::int64_t>();
  const std::int64_t id = DraftFor(customer);
  const Json inv = Must(c_->Post(InvoicePath(id) + "/finalize", Json::object()), 200, "finalize");
  EXPECT_EQ(inv["e_invoice"], "xrechnung");
  EXPECT_EQ(inv["xrechnung_url"], InvoicePath(id) + "/xrechnung");
  const Reply xml = c_->Get(InvoicePath(id) + "/xrechnung");
  ASSERT_EQ(xml.status, 200) << xml.Describe();
  EXPECT_EQ(Header(xml, "content-type").rfind("application/xml", 0), 0u);
  EXPECT_EQ(Header(xml, "content-disposition").rfind("attachment", 0), 0u);
  EXPECT_NE(xml.body.find("04011000-1234512345-06"), std::string::npos);
  const Reply pdf = c_->Get(InvoicePath(id) + "/pdf");
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
  EXPECT_EQ(c_->Get(InvoicePath(id) + "/xrechnung").body, xml.body);  // stored, not rebuilt

  // The stored XML is exactly what the generator makes of the stored invoice and school.
  c_.reset();
  ASSERT_EQ(office_.Stop(), 0) << office_.ServerLog();
  auto config = store::ParseDatabaseUrl(office_.database_url());
  ASSERT_TRUE(config);
  auto db = store::OpenDatabase(*config);
  ASSERT_TRUE(db);
  auto uow = (*db)->Begin(app::TxKind::kRead);
  ASSERT_TRUE(uow);
  auto school = (*uow)->Schools().Get(owner_.school_id);
  auto stored = (*uow)->Invoices().Get(owner_.school_id, id);
  ASSERT_TRUE(school && stored);
  einvoice::Options options{einvoice::Profile::kXRechnung, "04011000-1234512345-06", "Erika Pfote"};
  auto expected = einvoice::GenerateCii(*stored, *school, options);
  ASSERT_TRUE(expected) << expected.error().message;
  EXPECT_EQ(*expected, xml.body);
}

TEST_F(EInvoiceTest, ZugferdInvoiceIsTheFacturXPdf) {
  CompleteSchool();
  const auto customer =
      Must(c_->Post("/api/v1/customers",
                    {{"kind", "company"},
                     {"company_name", "Futter GmbH"},
                     {"email", "buch@futter.example"},
                     {"address", {{"street", "Hafen 2"}, {"zip", "20457"}, {"city", "Hamburg"}}},
                     {"e_invoice", "zugferd"}}),
           201, "company")["id"]
          .get<std::int64_t>();
  const std::int64_t id = DraftFor(customer);
  const Reply finalized = c_->Post(InvoicePath(id) + "/finalize", Json::object());
  ASSERT_EQ(finalized.status, 200) << finalized.Describe();
  EXPECT_EQ(finalized.json["e_invoice"], "zugferd");
  EXPECT_TRUE(finalized.json["xrechnung_url"].is_null());
  const Reply pdf = c_->Get(InvoicePath(id) + "/pdf");
  EXPECT_NE(pdf.body.find("factur-x.xml"), std::string::npos);
  EXPECT_EQ(Sha256Hex(pdf.body), finalized.json["pdf_sha256"]);
  // The income receipt's file, which the sevdesk transfer uploads, is the same Factur-X PDF.
  const Json receipts = Must(c_->Get("/api/v1/receipts?type=income"), 200, "receipts");
  ASSERT_EQ(receipts["items"].size(), 1u);
  EXPECT_EQ(c_->Get(receipts["items"][0]["file"]["url"].get<std::string>()).body, pdf.body);

  // qpdf finds factur-x.xml, and it is the EN 16931 CII of the stored invoice.
  const std::string path = office_.dir() + "/zugferd.pdf";
  std::ofstream(path, std::ios::binary) << pdf.body;
  const std::string embedded = RunCapture("qpdf --show-attachment=factur-x.xml " + path);
  c_.reset();
  ASSERT_EQ(office_.Stop(), 0) << office_.ServerLog();
  auto config = store::ParseDatabaseUrl(office_.database_url());
  ASSERT_TRUE(config);
  auto db = store::OpenDatabase(*config);
  ASSERT_TRUE(db);
  auto uow = (*db)->Begin(app::TxKind::kRead);
  ASSERT_TRUE(uow);
  auto school = (*uow)->Schools().Get(owner_.school_id);
  auto stored = (*uow)->Invoices().Get(owner_.school_id, id);
  ASSERT_TRUE(school && stored);
  auto expected =
      einvoice::GenerateCii(*stored, *school, {einvoice::Profile::kEn16931, "", "Erika Pfote"});
  ASSERT_TRUE(expected) << expected.error().message;
  EXPECT_EQ(embedded, *expected);
}

// Receiving (issue 17): an XRechnung XML uploaded as an expense is recognised, stored byte for
// byte, served as an XML attachment and read in the API with the numbers it was written with.
std::vector<http::MultipartPart> EInvoiceUpload(const std::string& file, const std::string& name,
                                                const std::string& gross_cents,
                                                const std::string& date = "2026-11-27") {
  return {{"date", date, "", ""},          {"amount_gross_cents", gross_cents, "", ""},
          {"vat_rate", "19", "", ""},      {"description", "", "", ""},
          {"supplier", "", "", ""},        {"number", "", "", ""},
          {"file", file, name, "text/xml"}};
}

TEST_F(EInvoiceTest, AnUploadedEInvoiceIsStoredUnchangedAndReadInTheApi) {
  const auto samples = einvoice::testing::AllSamples();
  const auto& sample = samples[1];  // mixed-gross: 7 % and 19 %, a service period
  ASSERT_EQ(sample.name, "mixed-gross");
  const auto xml = einvoice::GenerateCii(sample.invoice, sample.school, sample.options);
  ASSERT_TRUE(xml);
  const auto& totals = sample.invoice.totals;
  const Json created =
      Must(c_->Upload("/api/v1/receipts",
                      EInvoiceUpload(*xml, "rechnung.xml", std::to_string(totals.gross_cents))),
           201, "upload e-invoice");
  // Blank fields are taken from the e-invoice; net and tax are its own for the two rates.
  EXPECT_EQ(created["counterparty"], sample.school.name);
  EXPECT_EQ(created["number"], "RE-2026-0003");
  EXPECT_EQ(created["description"], "Welpenstunde und 4 weitere Positionen");
  EXPECT_EQ(created["amount_net_cents"], totals.net_cents);
  EXPECT_EQ(created["amount_tax_cents"], totals.tax_cents);
  EXPECT_TRUE(created["vat_rate"].is_null());
  EXPECT_EQ(created["file"]["content_type"], "application/xml");

  const std::string id = std::to_string(created["id"].get<std::int64_t>());
  const Json got = Must(c_->Get("/api/v1/receipts/" + id), 200, "receipt");
  ASSERT_TRUE(got.contains("e_invoice")) << got.dump();
  const Json& e = got["e_invoice"];
  EXPECT_EQ(e, created["e_invoice"]);
  EXPECT_EQ(e["format"], "ZUGFeRD / Factur-X (EN 16931)");
  EXPECT_EQ(e["container"], "xml");
  EXPECT_EQ(e["syntax"], "cii");
  EXPECT_EQ(e["number"], "RE-2026-0003");
  EXPECT_EQ(e["type_code"], "380");
  EXPECT_EQ(e["issue_date"], "2026-11-27");
  EXPECT_EQ(e["supplier"]["vat_id"], sample.school.vat_id);
  EXPECT_EQ(e["lines"].size(), sample.invoice.lines.size());
  ASSERT_EQ(e["tax_groups"].size(), totals.groups.size());
  for (std::size_t i = 0; i < totals.groups.size(); ++i) {
    EXPECT_EQ(e["tax_groups"][i]["vat_rate"]["rate_basis_points"], totals.groups[i].rate * 100);
    EXPECT_EQ(e["tax_groups"][i]["basis_cents"], totals.groups[i].net_cents);
    EXPECT_EQ(e["tax_groups"][i]["tax_cents"], totals.groups[i].tax_cents);
  }
  EXPECT_EQ(e["tax_groups"][0]["vat_rate"]["label"], "7 %");
  EXPECT_EQ(e["totals"]["net_cents"], totals.net_cents);
  EXPECT_EQ(e["totals"]["tax_cents"], totals.tax_cents);
  EXPECT_EQ(e["totals"]["gross_cents"], totals.gross_cents);
  EXPECT_EQ(e["totals"]["due_payable_cents"], totals.gross_cents);
  EXPECT_TRUE(e["warnings"].empty()) << e["warnings"].dump();

  // The stored file is the upload, byte for byte, and never a page.
  const Reply file = c_->Get("/api/v1/receipts/" + id + "/file");
  ASSERT_EQ(file.status, 200) << file.Describe();
  EXPECT_TRUE(file.body == *xml);
  EXPECT_EQ(Header(file, "content-type"), "application/xml");
  EXPECT_EQ(Header(file, "content-disposition").rfind("attachment;", 0), 0u);
  EXPECT_EQ(Header(file, "x-content-type-options"), "nosniff");
  EXPECT_NE(Header(file, "content-security-policy").find("sandbox"), std::string::npos);

  // What the user entered stays; where it differs from the e-invoice, a German note says so.
  auto parts = EInvoiceUpload(*xml, "rechnung.xml", "1000", "2026-12-01");
  parts[4].content = "Eigener Lieferant";
  const Json entered = Must(c_->Upload("/api/v1/receipts", parts), 201, "entered");
  EXPECT_EQ(entered["counterparty"], "Eigener Lieferant");
  EXPECT_EQ(entered["amount_gross_cents"], 1000);
  EXPECT_EQ(entered["vat_rate"], 19);
  const std::string notes = entered["e_invoice"]["warnings"].dump();
  EXPECT_NE(notes.find("weicht vom Rechnungsdatum der E-Rechnung (27.11.2026) ab"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("weicht vom Bruttobetrag der E-Rechnung"), std::string::npos) << notes;
}

std::string UblFixture(const std::string& name) {
  std::ifstream in(std::string(HS_SOURCE_DIR) + "/tests/einvoice/fixtures/" + name,
                   std::ios::binary);
  if (!in) throw std::runtime_error("fixture missing: " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A supplier's XRechnung in UBL (tests/einvoice/fixtures): recognised by its root and namespace,
// stored byte for byte, and shown with the same numbers and "XRechnung 3.0 (UBL)".
TEST_F(EInvoiceTest, AnUploadedUblXRechnungIsStoredUnchangedAndReadInTheApi) {
  const std::string xml = UblFixture("ubl-invoice-19-7.xml");
  const Json created =
      Must(c_->Upload("/api/v1/receipts", EInvoiceUpload(xml, "xrechnung-ubl.xml", "22036")), 201,
           "upload UBL");
  EXPECT_EQ(created["counterparty"], "Tierbedarf Nord GmbH");
  EXPECT_EQ(created["number"], "TN-2026-04711");
  EXPECT_EQ(created["description"], "Trockenfutter Adult 12 kg und 3 weitere Positionen");
  EXPECT_EQ(created["amount_net_cents"], 19970);
  EXPECT_EQ(created["amount_tax_cents"], 2066);
  EXPECT_TRUE(created["vat_rate"].is_null());  // 7 % and 19 %
  EXPECT_EQ(created["file"]["content_type"], "application/xml");

  const std::string id = std::to_string(created["id"].get<std::int64_t>());
  const Json got = Must(c_->Get("/api/v1/receipts/" + id), 200, "receipt");
  const Json& e = got["e_invoice"];
  EXPECT_EQ(e, created["e_invoice"]);
  EXPECT_EQ(e["format"], "XRechnung 3.0 (UBL)");
  EXPECT_EQ(e["syntax"], "ubl");
  EXPECT_EQ(e["container"], "xml");
  EXPECT_EQ(e["type_code"], "380");
  EXPECT_EQ(e["type_label"], "Rechnung");
  EXPECT_EQ(e["issue_date"], "2026-11-27");
  EXPECT_EQ(e["due_date"], "2026-12-11");
  EXPECT_EQ(e["supplier"]["vat_id"], "DE123456789");
  EXPECT_EQ(e["supplier"]["tax_number"], "22/815/08154");
  ASSERT_EQ(e["lines"].size(), 4u);
  EXPECT_EQ(e["lines"][1]["quantity"], "1.5");
  EXPECT_EQ(e["lines"][1]["unit_code"], "KGM");
  EXPECT_EQ(e["lines"][1]["net_cents"], 1950);
  ASSERT_EQ(e["tax_groups"].size(), 2u);
  EXPECT_EQ(e["tax_groups"][0]["vat_rate"]["label"], "7 %");
  EXPECT_EQ(e["tax_groups"][0]["basis_cents"], 14400);
  EXPECT_EQ(e["tax_groups"][0]["tax_cents"], 1008);
  EXPECT_EQ(e["tax_groups"][1]["vat_rate"]["label"], "19 %");
  EXPECT_EQ(e["tax_groups"][1]["basis_cents"], 5570);
  EXPECT_EQ(e["tax_groups"][1]["tax_cents"], 1058);
  EXPECT_EQ(e["totals"]["net_cents"], 19970);
  EXPECT_EQ(e["totals"]["tax_cents"], 2066);
  EXPECT_EQ(e["totals"]["gross_cents"], 22036);
  EXPECT_EQ(e["totals"]["due_payable_cents"], 22036);
  EXPECT_TRUE(e["warnings"].empty()) << e["warnings"].dump();

  const Reply file = c_->Get("/api/v1/receipts/" + id + "/file");
  ASSERT_EQ(file.status, 200) << file.Describe();
  EXPECT_TRUE(file.body == xml);
  EXPECT_EQ(Header(file, "content-type"), "application/xml");
  EXPECT_EQ(Header(file, "content-disposition").rfind("attachment;", 0), 0u);

  // A UBL credit note is shown as a credit; a UBL without totals is refused, nothing stored.
  const Json credit =
      Must(c_->Upload("/api/v1/receipts", EInvoiceUpload(UblFixture("ubl-credit-note.xml"),
                                                         "gutschrift.xml", "2963", "2026-12-03")),
           201, "upload UBL credit note");
  EXPECT_EQ(credit["e_invoice"]["format"], "Peppol BIS Billing 3.0 (UBL)");
  EXPECT_EQ(credit["e_invoice"]["type_label"], "Gutschrift (Rechnungskorrektur)");
  EXPECT_EQ(credit["e_invoice"]["totals"]["gross_cents"], 2963);
  EXPECT_TRUE(credit["e_invoice"]["warnings"].empty()) << credit["e_invoice"]["warnings"].dump();
  const Reply refused = c_->Upload(
      "/api/v1/receipts", EInvoiceUpload(UblFixture("ubl-missing-totals.xml"), "x.xml", "100"));
  ASSERT_EQ(refused.status, 422) << refused.Describe();
  EXPECT_EQ(refused.json["code"], "unsupported_file_type");
  EXPECT_NE(refused.json["message"].get<std::string>().find("Gesamtbeträge"), std::string::npos)
      << refused.body;
  EXPECT_EQ(Must(c_->Get("/api/v1/receipts?type=expense"), 200, "list")["total"], 2);
}

TEST_F(EInvoiceTest, XmlThatIsNoEInvoiceIsRefusedAndNothingIsStored) {
  const auto sample = einvoice::testing::AllSamples()[0];
  const std::string xml = *einvoice::GenerateCii(sample.invoice, sample.school, sample.options);
  const std::string body = xml.substr(xml.find("<rsm:CrossIndustryInvoice"));
  const std::pair<std::string, std::string> cases[] = {
      {"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + body,
       "DTD"},
      {"<?xml version=\"1.0\"?><note>Hallo</note>", "keine E-Rechnung"},
      {"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
       "keine E-Rechnung"},
      {xml.substr(0, xml.size() - 40), "nicht lesbar"},
  };
  for (const auto& [bytes, message] : cases) {
    const Reply r = c_->Upload("/api/v1/receipts", EInvoiceUpload(bytes, "x.xml", "100"));
    ASSERT_EQ(r.status, 422) << r.Describe();
    EXPECT_EQ(r.json["code"], "unsupported_file_type");
    EXPECT_TRUE(r.HasDetail("file"));
    EXPECT_NE(r.json["message"].get<std::string>().find(message), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("passwd"), std::string::npos);
  }
  EXPECT_EQ(Must(c_->Get("/api/v1/receipts?type=expense"), 200, "list")["total"], 0);
}

}  // namespace
}  // namespace hs::testing
