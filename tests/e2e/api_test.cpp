// End-to-end tests of the JSON API through the real binary: `hundeschule tenant create` and
// `user add` prepare the database, `hundeschule serve` runs as a child process, and the tests
// talk HTTP to it exactly as a browser or script would.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/binary_fixture.hpp"

namespace hs::testing {
namespace {

// ---------------------------------------------------------------------------------- helpers

std::string CustomerPath(std::int64_t id) {
  return "/api/v1/customers/" + std::to_string(id);
}
std::string InvoicePath(std::int64_t id) {
  return "/api/v1/invoices/" + std::to_string(id);
}
std::string ReceiptPath(std::int64_t id) {
  return "/api/v1/receipts/" + std::to_string(id);
}

// Fails the test (by exception, so the rest of the scenario does not run on garbage) unless the
// reply has the expected status; returns the JSON body.
Json Must(const Reply& reply, int status, const std::string& what) {
  if (reply.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " +
                             reply.Describe());
  }
  return reply.json;
}

::testing::AssertionResult Contains(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not in '" << haystack << "'";
}

// An error reply with the documented shape {"code","message","details":[{"field","message"}]}.
::testing::AssertionResult IsError(const Reply& r, int status,
                                   const std::string& detail_field = {}) {
  if (r.status != status) {
    return ::testing::AssertionFailure() << "expected " << status << ", got " << r.Describe();
  }
  if (!r.json.is_object() || !r.json.contains("code") || !r.json["code"].is_string() ||
      !r.json.contains("message") || !r.json["message"].is_string() ||
      r.json["message"].get<std::string>().empty() || !r.json.contains("details") ||
      !r.json["details"].is_array()) {
    return ::testing::AssertionFailure() << "malformed error body: " << r.body;
  }
  for (const auto& d : r.json["details"]) {
    if (!d.is_object() || !d.contains("field") || !d.contains("message")) {
      return ::testing::AssertionFailure() << "malformed detail: " << d.dump();
    }
  }
  if (!detail_field.empty() && !r.HasDetail(detail_field)) {
    return ::testing::AssertionFailure() << "no detail for '" << detail_field << "' in " << r.body;
  }
  return ::testing::AssertionSuccess();
}

Json Line(const std::string& text, const Json& quantity, const std::string& unit,
          std::int64_t unit_price_cents, std::int64_t vat_rate) {
  return {{"text", text},
          {"quantity", quantity},
          {"unit", unit},
          {"unit_price_cents", unit_price_cents},
          {"vat_rate", vat_rate}};
}

Json Draft(std::int64_t customer_id, const std::string& date, Json lines) {
  return {{"customer_id", customer_id}, {"invoice_date", date}, {"lines", std::move(lines)}};
}

Json Person(const std::string& first, const std::string& last) {
  return {{"kind", "person"}, {"first_name", first}, {"last_name", last}};
}

std::int64_t CreateCustomer(ApiClient& c, const Json& body) {
  return Must(c.Post("/api/v1/customers", body), 201, "create customer")["id"].get<std::int64_t>();
}

std::int64_t CreateDraft(ApiClient& c, const Json& body) {
  return Must(c.Post("/api/v1/invoices", body), 201, "create draft")["id"].get<std::int64_t>();
}

Json Finalize(ApiClient& c, std::int64_t id) {
  return Must(c.Post(InvoicePath(id) + "/finalize", Json::object()), 200, "finalize");
}

std::string ExpectedNumber(int year, int sequence) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "RE-%d-%04d", year, sequence);
  return buf;
}

// A small PDF with a NUL and high bytes, so byte-identity checks mean something.
std::string SamplePdf(const std::string& marker) {
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  pdf += "1 0 obj << /Marker (" + marker + ") >> endobj\n";
  pdf += std::string("binary:\0\x01\x02\xFF\xFE\x80\r\n", 14);
  pdf += "%%EOF\n";
  return pdf;
}

std::vector<http::MultipartPart> ExpenseParts(const std::string& date, const std::string& gross,
                                              const std::string& supplier,
                                              const std::string& description,
                                              const std::string& file,
                                              const std::string& filename = "beleg.pdf",
                                              const std::string& vat = "19") {
  return {{"date", date, "", ""},
          {"amount_gross_cents", gross, "", ""},
          {"vat_rate", vat, "", ""},
          {"supplier", supplier, "", ""},
          {"description", description, "", ""},
          {"number", "B-" + date, "", ""},
          {"file", file, filename, "application/pdf"}};
}

// Everything a school can read, to prove that a rejected request changed nothing.
Json Snapshot(ApiClient& c, const std::vector<std::string>& extra_paths = {}) {
  Json s;
  s["customers"] = Must(c.Get("/api/v1/customers?limit=200"), 200, "snapshot customers");
  s["invoices"] = Must(c.Get("/api/v1/invoices?limit=200"), 200, "snapshot invoices");
  s["receipts"] = Must(c.Get("/api/v1/receipts?limit=500"), 200, "snapshot receipts");
  for (const auto& p : extra_paths) s[p] = Must(c.Get(p), 200, "snapshot " + p);
  return s;
}

class E2eTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!office_.running()) return;
    const int code = office_.Stop();
    // A sanitizer report or a crash at shutdown shows up as a non-zero exit code.
    EXPECT_EQ(code, 0) << "serve did not exit cleanly; log:\n" << office_.ServerLog();
  }

  BinaryFixture office_;
};

// ---------------------------------------------------------------------------------- 1. flow

TEST_F(E2eTest, WholeOfficeFlow) {
  const Account owner = office_.CreateSchool("Hundeschule Pfotenglück");
  office_.Start();

  // Login: a wrong password is 401, the right one sets an HttpOnly SameSite cookie.
  auto c = office_.NewClient();
  EXPECT_TRUE(IsError(c->Login(owner.email, "falsches-passwort-123"), 401));
  const Reply login = c->Login(owner.email, owner.password);
  ASSERT_EQ(login.status, 200) << login.Describe();
  const auto cookie = login.Header("Set-Cookie");
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->rfind("hs_session=", 0), 0u) << *cookie;
  EXPECT_TRUE(Contains(*cookie, "HttpOnly"));
  EXPECT_TRUE(Contains(*cookie, "SameSite=Strict"));
  EXPECT_TRUE(Contains(*cookie, "Path=/"));
  EXPECT_FALSE(c->session_cookie().empty());
  EXPECT_EQ(login.json["user"]["email"], owner.email);
  EXPECT_EQ(login.json["school"]["id"], owner.school_id);

  {
    // The e-mail address is not case-sensitive.
    std::string upper = owner.email;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto second = office_.NewClient();
    EXPECT_EQ(second->Login(upper, owner.password).status, 200);
  }
  const Json me = Must(c->Get("/api/v1/me"), 200, "me");
  EXPECT_EQ(me["user"]["id"], owner.user_id);
  EXPECT_EQ(me["user"]["email"], owner.email);
  EXPECT_EQ(me["user"]["role"], "owner");
  EXPECT_EQ(me["school"]["id"], owner.school_id);
  EXPECT_EQ(me["school"]["name"], "Hundeschule Pfotenglück");
  EXPECT_EQ(me["school"]["tax_mode"], "regular");
  EXPECT_EQ(me["csrf_token"], c->csrf_token());

  // Customers: numbers 1 and 2, version 1.
  Json person_body = Person("Anna", "Schmidt");
  person_body["email"] = "Anna.Schmidt@Example.org";
  person_body["address"] = {{"street", "Lindenstraße 5"}, {"zip", "10115"}, {"city", "Berlin"}};
  person_body["dogs"] = Json::array({{{"name", "Bello"}, {"breed", "Labrador"}}});
  const Reply person_reply = c->Post("/api/v1/customers", person_body);
  const Json person = Must(person_reply, 201, "create person");
  const std::int64_t person_id = person["id"].get<std::int64_t>();
  EXPECT_GT(person_id, 0);
  EXPECT_EQ(person["customer_number"], 1);
  EXPECT_EQ(person["version"], 1);
  EXPECT_EQ(person["kind"], "person");
  EXPECT_EQ(person["display_name"], "Anna Schmidt");
  EXPECT_EQ(person["email"], "anna.schmidt@example.org");
  EXPECT_EQ(person["address"]["country"], "DE");
  ASSERT_EQ(person["dogs"].size(), 1u);
  EXPECT_EQ(person["dogs"][0]["name"], "Bello");
  EXPECT_EQ(person_reply.Header("Location"), CustomerPath(person_id));

  Json company_body = {
      {"kind", "company"}, {"company_name", "Hundefreunde GmbH"}, {"contact_person", "Max Muster"}};
  const Json company = Must(c->Post("/api/v1/customers", company_body), 201, "create company");
  const std::int64_t company_id = company["id"].get<std::int64_t>();
  EXPECT_NE(company_id, person_id);
  EXPECT_EQ(company["customer_number"], 2);
  EXPECT_EQ(company["version"], 1);
  EXPECT_EQ(company["display_name"], "Hundefreunde GmbH");

  // PATCH changes only what is sent and bumps the version.
  const Json patched =
      Must(c->Patch(CustomerPath(person_id), {{"phone", "030 1234567"}}), 200, "patch customer");
  EXPECT_EQ(patched["version"], 2);
  EXPECT_EQ(patched["phone"], "030 1234567");
  EXPECT_EQ(patched["last_name"], "Schmidt");
  EXPECT_EQ(patched["customer_number"], 1);
  EXPECT_EQ(patched["dogs"].size(), 1u);
  EXPECT_EQ(Must(c->Get(CustomerPath(person_id)), 200, "get customer"), patched);

  // Sending back what was read is allowed: read-only fields are ignored, not applied.
  Json round_trip = patched;
  round_trip["notes"] = "Bello zieht an der Leine.";
  round_trip["version"] = 99;
  round_trip["customer_number"] = 42;
  round_trip["display_name"] = "Jemand anderes";
  const Json round_tripped = Must(c->Patch(CustomerPath(person_id), round_trip), 200, "round trip");
  EXPECT_EQ(round_tripped["version"], 3);
  EXPECT_EQ(round_tripped["customer_number"], 1);
  EXPECT_EQ(round_tripped["display_name"], "Anna Schmidt");
  EXPECT_EQ(round_tripped["notes"], "Bello zieht an der Leine.");

  // Search.
  Json found = Must(c->Get("/api/v1/customers?q=Schmidt"), 200, "search");
  EXPECT_EQ(found["total"], 1);
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["id"], person_id);
  found = Must(c->Get("/api/v1/customers?q=Hundefreunde"), 200, "search company");
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["id"], company_id);
  found = Must(c->Get("/api/v1/customers?q=Niemand"), 200, "search nothing");
  EXPECT_EQ(found["total"], 0);
  EXPECT_TRUE(found["items"].empty());
  // LIKE wildcards are literal characters in a search.
  EXPECT_EQ(Must(c->Get("/api/v1/customers?q=%25"), 200, "search %")["total"], 0);
  EXPECT_EQ(Must(c->Get("/api/v1/customers?q=_"), 200, "search _")["total"], 0);
  EXPECT_EQ(Must(c->Get("/api/v1/customers"), 200, "list")["total"], 2);

  // Invoice draft. Rounding rule (domain/invoice.hpp), net prices:
  //   1.5   x 45.00 @19% =  67.50
  //   2.5   x 19.99 @ 7% =  49.975 -> 49.98 (half away from zero)
  //   0.125 x 12.34 @19% =   1.5425 -> 1.54
  //   group  7%: net 4998, tax round(349.86) = 350, gross 5348
  //   group 19%: net 6750 + 154 = 6904, tax round(1311.76) = 1312, gross 8216
  //   totals: net 11902, tax 1662, gross 13564
  const std::string invoice_date = "2026-03-14";
  Json draft_body = Draft(person_id, invoice_date,
                          {Line("Einzelstunde Grundgehorsam", "1.5", "Stunde", 4500, 19),
                           Line("Leckerli-Beutel", "2.5", "Stk", 1999, 7),
                           Line("Kotbeutel", "0.125", "Rolle", 1234, 19)});
  draft_body["service_date"] = "2026-03-10";
  const Reply draft_reply = c->Post("/api/v1/invoices", draft_body);
  const Json draft = Must(draft_reply, 201, "create draft");
  const std::int64_t invoice_id = draft["id"].get<std::int64_t>();
  EXPECT_EQ(draft_reply.Header("Location"), InvoicePath(invoice_id));
  EXPECT_EQ(draft["status"], "draft");
  EXPECT_EQ(draft["kind"], "invoice");
  EXPECT_TRUE(draft["number"].is_null());
  EXPECT_TRUE(draft["pdf_url"].is_null());
  EXPECT_EQ(draft["customer_id"], person_id);
  EXPECT_EQ(draft["invoice_date"], invoice_date);
  EXPECT_EQ(draft["service_date"], "2026-03-10");
  ASSERT_EQ(draft["lines"].size(), 3u);
  EXPECT_EQ(draft["lines"][0]["quantity"], "1.5");
  EXPECT_EQ(draft["lines"][0]["unit"], "Stunde");
  EXPECT_EQ(draft["lines"][0]["amount_cents"], 6750);
  EXPECT_EQ(draft["lines"][1]["amount_cents"], 4998);
  EXPECT_EQ(draft["lines"][2]["amount_cents"], 154);
  const Json expected_groups = Json::array(
      {{{"rate", 7}, {"net_cents", 4998}, {"tax_cents", 350}, {"gross_cents", 5348}},
       {{"rate", 19}, {"net_cents", 6904}, {"tax_cents", 1312}, {"gross_cents", 8216}}});
  EXPECT_EQ(draft["vat_groups"], expected_groups);
  EXPECT_EQ(draft["total_net_cents"], 11902);
  EXPECT_EQ(draft["total_tax_cents"], 1662);
  EXPECT_EQ(draft["total_gross_cents"], 13564);
  EXPECT_EQ(Must(c->Get(InvoicePath(invoice_id)), 200, "get draft"), draft);

  // PATCH the draft:
  //   2   x 45.00 @19% = 90.00
  //   0.5 x 18.99 @ 7% =  9.495 -> 9.50; tax round(66.5) = 67 (half away from zero)
  //   0.125 x 12.34 @19% = 1.54
  //   group  7%: net 950,  tax 67,   gross 1017
  //   group 19%: net 9154, tax round(1739.26) = 1739, gross 10893
  //   totals: net 10104, tax 1806, gross 11910
  const Json patch = {{"notes", "Vielen Dank!"},
                      {"lines",
                       {Line("Einzelstunde Grundgehorsam", "2", "Stunde", 4500, 19),
                        Line("Leckerli-Beutel", "0.5", "Stk", 1899, 7),
                        Line("Kotbeutel", "0.125", "Rolle", 1234, 19)}}};
  const Json edited = Must(c->Patch(InvoicePath(invoice_id), patch), 200, "patch draft");
  EXPECT_EQ(edited["notes"], "Vielen Dank!");
  EXPECT_EQ(edited["status"], "draft");
  EXPECT_EQ(edited["lines"][0]["quantity"], "2");
  EXPECT_EQ(edited["lines"][1]["amount_cents"], 950);
  EXPECT_EQ(
      edited["vat_groups"],
      Json::array(
          {{{"rate", 7}, {"net_cents", 950}, {"tax_cents", 67}, {"gross_cents", 1017}},
           {{"rate", 19}, {"net_cents", 9154}, {"tax_cents", 1739}, {"gross_cents", 10893}}}));
  EXPECT_EQ(edited["total_net_cents"], 10104);
  EXPECT_EQ(edited["total_tax_cents"], 1806);
  EXPECT_EQ(edited["total_gross_cents"], 11910);

  // Finalize: number, snapshot, PDF.
  const Json final_invoice = Finalize(*c, invoice_id);
  EXPECT_EQ(final_invoice["id"], invoice_id);
  EXPECT_EQ(final_invoice["status"], "finalized");
  EXPECT_EQ(final_invoice["number"], "RE-2026-0001");
  EXPECT_EQ(final_invoice["pdf_url"], InvoicePath(invoice_id) + "/pdf");
  EXPECT_TRUE(final_invoice["finalized_at"].is_string());
  EXPECT_EQ(final_invoice["customer"]["name"], "Anna Schmidt");
  EXPECT_EQ(final_invoice["customer"]["customer_number"], 1);
  EXPECT_EQ(final_invoice["total_gross_cents"], 11910);
  EXPECT_EQ(final_invoice["vat_groups"], edited["vat_groups"]);
  EXPECT_EQ(Must(c->Get(InvoicePath(invoice_id)), 200, "get final"), final_invoice);

  const Reply pdf = c->Get(InvoicePath(invoice_id) + "/pdf");
  ASSERT_EQ(pdf.status, 200) << pdf.Describe();
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
  EXPECT_TRUE(Contains(pdf.Header("Content-Type").value_or(""), "application/pdf"));
  EXPECT_EQ(Sha256Hex(pdf.body), final_invoice["pdf_sha256"]);

  // The income receipt.
  Json receipts = Must(c->Get("/api/v1/receipts?type=income"), 200, "receipts");
  EXPECT_EQ(receipts["total"], 1);
  ASSERT_EQ(receipts["items"].size(), 1u);
  const Json income = receipts["items"][0];
  EXPECT_EQ(income["type"], "income");
  EXPECT_EQ(income["invoice_id"], invoice_id);
  EXPECT_EQ(income["customer_id"], person_id);
  EXPECT_EQ(income["number"], "RE-2026-0001");
  EXPECT_EQ(income["date"], invoice_date);
  EXPECT_EQ(income["counterparty"], "Anna Schmidt");
  EXPECT_EQ(income["amount_gross_cents"], 11910);
  EXPECT_EQ(income["amount_net_cents"], 10104);
  EXPECT_EQ(income["amount_tax_cents"], 1806);
  EXPECT_TRUE(income["vat_rate"].is_null()) << "mixed rates";
  EXPECT_EQ(income["file"]["sha256"], final_invoice["pdf_sha256"]);
  const Reply income_file = c->Get(income["file"]["url"].get<std::string>());
  ASSERT_EQ(income_file.status, 200) << income_file.Describe();
  EXPECT_TRUE(income_file.body == pdf.body) << "receipt file differs from the invoice PDF";

  // Cancel: a cancellation with its own number and negated amounts. It is dated today unless
  // that lies before the original invoice.
  const std::string today = TodayInBerlin();
  const std::string cancel_date = std::max(today, invoice_date);
  const int cancel_year = std::stoi(cancel_date.substr(0, 4));
  const std::string cancel_number = ExpectedNumber(cancel_year, cancel_year == 2026 ? 2 : 1);
  const Reply cancel_reply = c->Post(InvoicePath(invoice_id) + "/cancel", Json::object());
  const Json cancellation = Must(cancel_reply, 201, "cancel");
  const std::int64_t cancellation_id = cancellation["id"].get<std::int64_t>();
  EXPECT_NE(cancellation_id, invoice_id);
  EXPECT_EQ(cancel_reply.Header("Location"), InvoicePath(cancellation_id));
  EXPECT_EQ(cancellation["kind"], "cancellation");
  EXPECT_EQ(cancellation["status"], "finalized");
  EXPECT_EQ(cancellation["number"], cancel_number);
  EXPECT_EQ(cancellation["invoice_date"], cancel_date);
  EXPECT_EQ(cancellation["cancels_invoice_id"], invoice_id);
  EXPECT_EQ(cancellation["cancels_invoice_number"], "RE-2026-0001");
  EXPECT_EQ(cancellation["customer_id"], person_id);
  EXPECT_EQ(cancellation["total_net_cents"], -10104);
  EXPECT_EQ(cancellation["total_tax_cents"], -1806);
  EXPECT_EQ(cancellation["total_gross_cents"], -11910);
  ASSERT_EQ(cancellation["vat_groups"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Json& g = cancellation["vat_groups"][i];
    const Json& o = edited["vat_groups"][i];
    EXPECT_EQ(g["rate"], o["rate"]);
    EXPECT_EQ(g["net_cents"].get<std::int64_t>(), -o["net_cents"].get<std::int64_t>());
    EXPECT_EQ(g["tax_cents"].get<std::int64_t>(), -o["tax_cents"].get<std::int64_t>());
    EXPECT_EQ(g["gross_cents"].get<std::int64_t>(), -o["gross_cents"].get<std::int64_t>());
  }
  ASSERT_EQ(cancellation["lines"].size(), 3u);
  EXPECT_EQ(cancellation["lines"][0]["quantity"], "-2");
  EXPECT_EQ(cancellation["lines"][1]["amount_cents"], -950);
  const Reply cancellation_pdf = c->Get(InvoicePath(cancellation_id) + "/pdf");
  ASSERT_EQ(cancellation_pdf.status, 200) << cancellation_pdf.Describe();
  EXPECT_EQ(cancellation_pdf.body.rfind("%PDF-", 0), 0u);

  const Json original = Must(c->Get(InvoicePath(invoice_id)), 200, "original after cancel");
  EXPECT_EQ(original["status"], "cancelled");
  EXPECT_EQ(original["cancelled_by_invoice_id"], cancellation_id);
  EXPECT_EQ(original["number"], "RE-2026-0001");
  EXPECT_EQ(original["total_gross_cents"], 11910);
  EXPECT_EQ(original["pdf_sha256"], final_invoice["pdf_sha256"]);
  EXPECT_TRUE(IsError(c->Post(InvoicePath(invoice_id) + "/cancel", Json::object()), 409));
  EXPECT_TRUE(IsError(c->Post(InvoicePath(cancellation_id) + "/cancel", Json::object()), 409));

  receipts = Must(c->Get("/api/v1/receipts?type=income"), 200, "receipts after cancel");
  EXPECT_EQ(receipts["total"], 2);
  ASSERT_EQ(receipts["items"].size(), 2u);
  std::map<std::int64_t, Json> by_invoice;
  for (const auto& r : receipts["items"]) by_invoice[r["invoice_id"].get<std::int64_t>()] = r;
  ASSERT_EQ(by_invoice.count(invoice_id), 1u);
  ASSERT_EQ(by_invoice.count(cancellation_id), 1u);
  EXPECT_EQ(by_invoice[invoice_id]["amount_gross_cents"], 11910);
  EXPECT_EQ(by_invoice[cancellation_id]["amount_gross_cents"], -11910);
  EXPECT_EQ(by_invoice[cancellation_id]["amount_tax_cents"], -1806);
  EXPECT_EQ(by_invoice[cancellation_id]["number"], cancel_number);

  // A draft can be deleted.
  const std::int64_t scratch =
      CreateDraft(*c, Draft(company_id, "2026-04-01", {Line("Seminar", "1", "Kurs", 12000, 19)}));
  EXPECT_EQ(c->Delete(InvoicePath(scratch)).status, 204);
  EXPECT_TRUE(IsError(c->Get(InvoicePath(scratch)), 404));
  EXPECT_TRUE(IsError(c->Delete(InvoicePath(scratch)), 404));
  EXPECT_EQ(Must(c->Get("/api/v1/invoices"), 200, "invoices")["total"], 2);

  // A customer with invoices cannot be deleted; one without can.
  EXPECT_TRUE(IsError(c->Delete(CustomerPath(person_id)), 409));
  EXPECT_EQ(Must(c->Get(CustomerPath(person_id)), 200, "still there")["version"], 3);
  EXPECT_EQ(c->Delete(CustomerPath(company_id)).status, 204);
  EXPECT_TRUE(IsError(c->Get(CustomerPath(company_id)), 404));

  // Logout ends the session for good.
  const Reply logout = c->Delete("/api/v1/session");
  EXPECT_EQ(logout.status, 204) << logout.Describe();
  EXPECT_TRUE(Contains(logout.Header("Set-Cookie").value_or(""), "Max-Age=0"));
  EXPECT_TRUE(IsError(c->Get("/api/v1/me"), 401));
  EXPECT_TRUE(IsError(c->Get(CustomerPath(person_id)), 401));
  EXPECT_TRUE(IsError(c->Post("/api/v1/customers", Person("Nach", "Logout")), 401));
}

// ---------------------------------------------------------------------------------- 2. tenants

TEST_F(E2eTest, SchoolsSeeOnlyTheirOwnData) {
  const Account a_owner = office_.CreateSchool("Schule A");
  const Account b_owner = office_.CreateSchool("Schule B");
  ASSERT_NE(a_owner.school_id, b_owner.school_id);
  office_.Start();
  auto a = office_.LoginAs(a_owner);
  auto b = office_.LoginAs(b_owner);

  // School A: a customer, a finalized invoice, a draft and an expense.
  const std::int64_t a_customer = CreateCustomer(*a, Person("Alma", "Adler"));
  const std::int64_t a_final =
      CreateDraft(*a, Draft(a_customer, "2026-05-02", {Line("Kurs A", "1", "Kurs", 9900, 19)}));
  Finalize(*a, a_final);
  const std::int64_t a_draft =
      CreateDraft(*a, Draft(a_customer, "2026-05-03", {Line("Entwurf A", "1", "Stk", 500, 7)}));
  const Json a_expense = Must(
      a->Upload("/api/v1/receipts",
                ExpenseParts("2026-05-04", "2380", "Adler-Futter", "Futter A", SamplePdf("A"))),
      201, "upload A");
  const std::int64_t a_expense_id = a_expense["id"].get<std::int64_t>();
  const Json a_receipts = Must(a->Get("/api/v1/receipts"), 200, "A receipts");
  ASSERT_EQ(a_receipts["total"], 2);
  std::vector<std::int64_t> a_receipt_ids;
  for (const auto& r : a_receipts["items"]) a_receipt_ids.push_back(r["id"].get<std::int64_t>());

  // School B has a little data of its own.
  const std::int64_t b_customer = CreateCustomer(*b, Person("Bruno", "Berger"));
  const std::int64_t b_final =
      CreateDraft(*b, Draft(b_customer, "2026-05-02", {Line("Kurs B", "2", "Kurs", 4000, 19)}));
  const Json b_invoice = Finalize(*b, b_final);
  // Numbering is per school: B starts at 1 as well.
  EXPECT_EQ(b_invoice["number"], "RE-2026-0001");

  const Json a_before =
      Snapshot(*a, {CustomerPath(a_customer), InvoicePath(a_final), InvoicePath(a_draft)});

  // Reads of A's rows are 404 for B.
  EXPECT_TRUE(IsError(b->Get(CustomerPath(a_customer)), 404));
  EXPECT_TRUE(IsError(b->Get(InvoicePath(a_final)), 404));
  EXPECT_TRUE(IsError(b->Get(InvoicePath(a_draft)), 404));
  EXPECT_TRUE(IsError(b->Get(InvoicePath(a_final) + "/pdf"), 404));
  for (const std::int64_t id : a_receipt_ids) {
    EXPECT_TRUE(IsError(b->Get(ReceiptPath(id)), 404)) << id;
    EXPECT_TRUE(IsError(b->Get(ReceiptPath(id) + "/file"), 404)) << id;
  }

  // B's lists hold only B's rows.
  const Json b_customers = Must(b->Get("/api/v1/customers"), 200, "B customers");
  EXPECT_EQ(b_customers["total"], 1);
  ASSERT_EQ(b_customers["items"].size(), 1u);
  EXPECT_EQ(b_customers["items"][0]["id"], b_customer);
  EXPECT_EQ(Must(b->Get("/api/v1/customers?q=Adler"), 200, "B search")["total"], 0);
  const Json b_invoices = Must(b->Get("/api/v1/invoices"), 200, "B invoices");
  EXPECT_EQ(b_invoices["total"], 1);
  ASSERT_EQ(b_invoices["items"].size(), 1u);
  EXPECT_EQ(b_invoices["items"][0]["id"], b_final);
  EXPECT_EQ(Must(b->Get("/api/v1/invoices?q=Adler"), 200, "B invoice search")["total"], 0);
  EXPECT_EQ(Must(b->Get("/api/v1/invoices?customer_id=" + std::to_string(a_customer)), 200,
                 "B by A's customer")["total"],
            0);
  const Json b_receipts = Must(b->Get("/api/v1/receipts"), 200, "B receipts");
  EXPECT_EQ(b_receipts["total"], 1);
  ASSERT_EQ(b_receipts["items"].size(), 1u);
  EXPECT_EQ(b_receipts["items"][0]["invoice_id"], b_final);
  EXPECT_EQ(Must(b->Get("/api/v1/receipts?q=Adler"), 200, "B receipt search")["total"], 0);

  // Writes on A's ids are 404 for B.
  EXPECT_TRUE(IsError(b->Patch(CustomerPath(a_customer), {{"notes", "von B"}}), 404));
  EXPECT_TRUE(IsError(b->Delete(CustomerPath(a_customer)), 404));
  EXPECT_TRUE(IsError(b->Patch(InvoicePath(a_draft), {{"notes", "von B"}}), 404));
  EXPECT_TRUE(IsError(b->Delete(InvoicePath(a_draft)), 404));
  EXPECT_TRUE(IsError(b->Post(InvoicePath(a_draft) + "/finalize", Json::object()), 404));
  EXPECT_TRUE(IsError(b->Post(InvoicePath(a_final) + "/cancel", Json::object()), 404));
  EXPECT_TRUE(IsError(b->Patch(InvoicePath(a_final), {{"notes", "von B"}}), 404));
  EXPECT_TRUE(IsError(b->Delete(InvoicePath(a_final)), 404));
  // B cannot bill A's customer, nor move its own draft to A's customer.
  EXPECT_TRUE(IsError(
      b->Post("/api/v1/invoices", Draft(a_customer, "2026-05-05", {Line("x", "1", "Stk", 1, 19)})),
      422, "customer_id"));
  const std::int64_t b_draft =
      CreateDraft(*b, Draft(b_customer, "2026-05-06", {Line("Kurs B2", "1", "Kurs", 100, 19)}));
  EXPECT_TRUE(
      IsError(b->Patch(InvoicePath(b_draft), {{"customer_id", a_customer}}), 422, "customer_id"));
  EXPECT_EQ(Must(b->Get(InvoicePath(b_draft)), 200, "B draft")["customer_id"], b_customer);

  // A's data is untouched and A still sees everything.
  EXPECT_EQ(Snapshot(*a, {CustomerPath(a_customer), InvoicePath(a_final), InvoicePath(a_draft)}),
            a_before);
  const Reply a_file = a->Get(ReceiptPath(a_expense_id) + "/file");
  ASSERT_EQ(a_file.status, 200) << a_file.Describe();
  EXPECT_TRUE(a_file.body == SamplePdf("A"));
}

// ---------------------------------------------------------------------------------- 3. immutable

TEST_F(E2eTest, FinalizedInvoicesCannotChange) {
  const Account owner = office_.CreateSchool("Schule Fest");
  office_.Start();
  auto c = office_.LoginAs(owner);
  const std::int64_t customer = CreateCustomer(*c, Person("Frieda", "Fest"));
  const std::int64_t id =
      CreateDraft(*c, Draft(customer, "2026-07-01", {Line("Welpenkurs", "4", "Stunde", 3500, 19)}));
  const Json finalized = Finalize(*c, id);
  ASSERT_EQ(finalized["status"], "finalized");
  const Json before = Must(c->Get(InvoicePath(id)), 200, "before");
  const Reply pdf_reply = c->Get(InvoicePath(id) + "/pdf");
  ASSERT_EQ(pdf_reply.status, 200);

  EXPECT_TRUE(IsError(c->Patch(InvoicePath(id), {{"notes", "nachträglich"}}), 409));
  EXPECT_TRUE(IsError(
      c->Patch(InvoicePath(id), {{"lines", {Line("Welpenkurs", "1", "Stunde", 1, 19)}}}), 409));
  // Sending back the read body unchanged is still an edit of a finalized invoice.
  EXPECT_TRUE(IsError(c->Patch(InvoicePath(id), before), 409));
  EXPECT_TRUE(IsError(c->Delete(InvoicePath(id)), 409));
  EXPECT_TRUE(IsError(c->Post(InvoicePath(id) + "/finalize", Json::object()), 409));

  // Changing the customer later does not change the frozen snapshot.
  Must(c->Patch(CustomerPath(customer),
                {{"last_name", "Umbenannt"}, {"address", {{"city", "Hamburg"}}}}),
       200, "patch customer");

  EXPECT_EQ(Must(c->Get(InvoicePath(id)), 200, "after"), before);
  const Reply pdf_after = c->Get(InvoicePath(id) + "/pdf");
  ASSERT_EQ(pdf_after.status, 200);
  EXPECT_TRUE(pdf_after.body == pdf_reply.body) << "the PDF of a finalized invoice changed";
  EXPECT_EQ(Must(c->Get("/api/v1/invoices"), 200, "list")["total"], 1);
  EXPECT_EQ(Must(c->Get("/api/v1/receipts"), 200, "receipts")["total"], 1);
}

// ---------------------------------------------------------------------------------- 4. numbering

TEST_F(E2eTest, GaplessNumbersUnderConcurrentFinalization) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  constexpr int kContested = 16;  // drafts every thread tries to finalize at once
  const Account owner = office_.CreateSchool("Schule Viel");
  office_.Start(/*threads=*/16);
  auto main_client = office_.LoginAs(owner);
  const std::int64_t customer = CreateCustomer(*main_client, Person("Viktor", "Viel"));
  const Json draft =
      Draft(customer, "2026-06-30", {Line("Gruppenstunde", "1", "Stunde", 2500, 19)});

  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<std::int64_t>> own(kThreads);
  std::vector<std::int64_t> contested;
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(failures_mutex);
    failures.push_back(what);
  };
  // Phase 1: drafts (in parallel, to keep the test short).
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ApiClient client(office_.base_url());
        client.ShareSessionFrom(*main_client);
        for (int i = 0; i < kPerThread; ++i) {
          const Reply r = client.Post("/api/v1/invoices", draft);
          if (r.status != 201) {
            fail("draft: " + r.Describe());
            continue;
          }
          own[t].push_back(r.json["id"].get<std::int64_t>());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  for (int i = 0; i < kContested; ++i) contested.push_back(CreateDraft(*main_client, draft));
  ASSERT_TRUE(failures.empty()) << failures.front();
  const auto drafted = std::chrono::steady_clock::now();

  // Phase 2: every thread finalizes its own drafts and races the others for the contested ones.
  std::mutex results_mutex;
  std::vector<std::string> numbers;
  std::map<std::int64_t, int> contested_wins;
  std::atomic<int> contested_conflicts{0};
  std::barrier start_line(kThreads);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ApiClient client(office_.base_url());
        client.ShareSessionFrom(*main_client);
        start_line.arrive_and_wait();
        for (std::size_t i = 0; i < own[t].size(); ++i) {
          const Reply r = client.Post(InvoicePath(own[t][i]) + "/finalize", Json::object());
          if (r.status != 200) {
            fail("finalize " + std::to_string(own[t][i]) + ": " + r.Describe());
          } else {
            std::lock_guard lock(results_mutex);
            numbers.push_back(r.json["number"].get<std::string>());
          }
          // Every thread also tries every contested draft, each thread in another order.
          if (i < contested.size()) {
            const std::int64_t id = contested[(i + static_cast<std::size_t>(t)) % contested.size()];
            const Reply c = client.Post(InvoicePath(id) + "/finalize", Json::object());
            if (c.status == 200) {
              std::lock_guard lock(results_mutex);
              numbers.push_back(c.json["number"].get<std::string>());
              ++contested_wins[id];
            } else if (c.status == 409) {
              ++contested_conflicts;
            } else {
              fail("contested finalize: " + c.Describe());
            }
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  const auto finished = std::chrono::steady_clock::now();
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "[e2e] " << kThreads * kPerThread + kContested << " drafts in "
            << seconds(drafted - started) << " s, finalizations in " << seconds(finished - drafted)
            << " s\n";
  RecordProperty("finalize_seconds", std::to_string(seconds(finished - drafted)));

  for (const auto& f : failures) ADD_FAILURE() << f;
  // Every contested draft was finalized exactly once; the losers got 409.
  EXPECT_EQ(contested_wins.size(), contested.size());
  for (const auto& [id, wins] : contested_wins) EXPECT_EQ(wins, 1) << "draft " << id;
  EXPECT_EQ(contested_conflicts.load(), kContested * (kThreads - 1));

  // Numbers 1..N of 2026, no gap, no duplicate.
  const int expected_count = kThreads * kPerThread + kContested;
  std::set<std::string> unique(numbers.begin(), numbers.end());
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(expected_count));
  EXPECT_EQ(unique.size(), numbers.size()) << "duplicate invoice numbers";
  std::set<std::string> expected;
  for (int i = 1; i <= expected_count; ++i) expected.insert(ExpectedNumber(2026, i));
  EXPECT_TRUE(unique == expected) << "numbers are not exactly RE-2026-0001..RE-2026-"
                                  << expected_count;

  // What the server stored agrees with what it answered.
  std::set<std::string> stored;
  std::int64_t stored_total = -1;
  for (int offset = 0; offset < expected_count; offset += 200) {
    const Json page = Must(main_client->Get("/api/v1/invoices?status=finalized&limit=200&offset=" +
                                            std::to_string(offset)),
                           200, "list finalized");
    stored_total = page["total"].get<std::int64_t>();
    for (const auto& item : page["items"]) stored.insert(item["number"].get<std::string>());
  }
  EXPECT_EQ(stored_total, expected_count);
  EXPECT_TRUE(stored == expected);
  EXPECT_EQ(Must(main_client->Get("/api/v1/invoices?status=draft"), 200, "drafts")["total"], 0);
  EXPECT_EQ(
      Must(main_client->Get("/api/v1/receipts?type=income&limit=1"), 200, "receipts")["total"],
      expected_count);
}

// ---------------------------------------------------------------------------------- 5. bad input

class BadInputTest : public E2eTest {
 protected:
  void SetUp() override {
    owner_ = office_.CreateSchool("Schule Streng");
    klein_ = office_.CreateSchool("Kleine Schule", "kleinunternehmer");
    other_ = office_.CreateSchool("Andere Schule");
    office_.Start();
    c_ = office_.LoginAs(owner_);
    customer_ = CreateCustomer(*c_, Person("Bea", "Streng"));
    draft_ =
        CreateDraft(*c_, Draft(customer_, "2026-08-01", {Line("Kurs", "1", "Kurs", 5000, 19)}));
  }

  void TearDown() override {
    // Close the keep-alive connection first: the server waits for open connections on shutdown.
    c_.reset();
    E2eTest::TearDown();
  }

  Json State() { return Snapshot(*c_, {InvoicePath(draft_), CustomerPath(customer_)}); }

  // A create and a PATCH with `line` as the only line: both must answer `status` with a detail
  // for `field`, and change nothing.
  void ExpectLineRejected(const Json& line, int status, const std::string& field) {
    SCOPED_TRACE(line.dump());
    const Json before = State();
    EXPECT_TRUE(IsError(c_->Post("/api/v1/invoices", Draft(customer_, "2026-08-02", {line})),
                        status, field));
    EXPECT_TRUE(IsError(c_->Patch(InvoicePath(draft_), {{"lines", {line}}}), status, field));
    EXPECT_EQ(State(), before);
  }

  Account owner_;
  Account klein_;
  Account other_;
  std::unique_ptr<ApiClient> c_;
  std::int64_t customer_ = 0;
  std::int64_t draft_ = 0;
};

TEST_F(BadInputTest, MalformedBodiesAreRejected) {
  const Json before = State();
  const std::string path = InvoicePath(draft_);
  for (const std::string& body : {std::string(R"({"notes": "x",)"), std::string("{notes: 1}"),
                                  std::string(""), std::string("nul")}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsError(c_->Send("PATCH", path, body), 400));
    EXPECT_TRUE(IsError(c_->Send("POST", "/api/v1/invoices", body), 400));
    EXPECT_TRUE(IsError(c_->Send("POST", "/api/v1/customers", body), 400));
  }
  // An array or a scalar instead of an object.
  for (const std::string& body : {std::string(R"([{"notes":"x"}])"), std::string("42"),
                                  std::string(R"("text")"), std::string("null")}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsError(c_->Send("PATCH", path, body), 400));
    EXPECT_TRUE(IsError(c_->Send("POST", "/api/v1/customers", body), 400));
  }
  // Wrong types, with the path of the field.
  EXPECT_TRUE(IsError(c_->Patch(path, {{"customer_id", "1"}}), 400, "customer_id"));
  EXPECT_TRUE(IsError(c_->Patch(path, {{"notes", 17}}), 400, "notes"));
  EXPECT_TRUE(IsError(c_->Patch(path, {{"invoice_date", "01.08.2026"}}), 400, "invoice_date"));
  EXPECT_TRUE(IsError(c_->Patch(path, {{"lines", {{"text", "x"}}}}), 400, "lines"));
  EXPECT_TRUE(IsError(c_->Patch(path, {{"lines", Json::array({"Kurs"})}}), 400, "lines[0]"));
  EXPECT_TRUE(IsError(c_->Patch(CustomerPath(customer_), {{"dogs", {{"name", 5}}}}), 400));
  EXPECT_TRUE(IsError(c_->Patch(CustomerPath(customer_), {{"address", "Berlin"}}), 400, "address"));
  EXPECT_TRUE(IsError(c_->Patch(CustomerPath(customer_), {{"kind", "hund"}}), 400, "kind"));
  // Unknown fields, top level and nested.
  EXPECT_TRUE(IsError(c_->Patch(path, {{"rabatt", 10}}), 400, "rabatt"));
  EXPECT_TRUE(IsError(c_->Patch(CustomerPath(customer_), {{"address", {{"stadt", "Berlin"}}}}), 400,
                      "address.stadt"));
  EXPECT_TRUE(
      IsError(c_->Post("/api/v1/customers",
                       {{"kind", "person"}, {"last_name", "Neu"}, {"lieblingsfarbe", "blau"}}),
              400, "lieblingsfarbe"));
  // Missing required fields.
  EXPECT_TRUE(
      IsError(c_->Post("/api/v1/invoices", {{"invoice_date", "2026-08-02"}}), 400, "customer_id"));
  EXPECT_TRUE(IsError(c_->Post("/api/v1/customers", {{"kind", "person"}}), 422, "last_name"));
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, BadLinesAreRejectedWithTheirFieldPath) {
  // Wrong types.
  ExpectLineRejected(Line("Kurs", {{"value", "1.5"}}, "Stk", 100, 19), 400, "lines[0].quantity");
  ExpectLineRejected(
      {{"text", "Kurs"}, {"quantity", "1"}, {"unit_price_cents", "4500"}, {"vat_rate", 19}}, 400,
      "lines[0].unit_price_cents");
  ExpectLineRejected(
      {{"text", "Kurs"}, {"quantity", "1"}, {"unit_price_cents", 45.5}, {"vat_rate", 19}}, 400,
      "lines[0].unit_price_cents");
  ExpectLineRejected(
      {{"text", "Kurs"}, {"quantity", "1"}, {"unit_price_cents", 100}, {"vat_rate", "19"}}, 400,
      "lines[0].vat_rate");
  ExpectLineRejected({{"text", "Kurs"}, {"quantity", "1"}, {"vat_rate", 19}}, 400,
                     "lines[0].unit_price_cents");
  // An unknown field inside a line.
  Json with_unknown = Line("Kurs", "1", "Stk", 100, 19);
  with_unknown["rabatt_prozent"] = 5;
  ExpectLineRejected(with_unknown, 400, "lines[0].rabatt_prozent");
  // Quantities: the parser rejects what it cannot represent (400), validation rejects what is
  // representable but not allowed (422).
  ExpectLineRejected(Line("Kurs", "1.2345", "Stk", 100, 19), 400, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "99999999999", "Stk", 100, 19), 400, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "1e3", "Stk", 100, 19), 400, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "", "Stk", 100, 19), 400, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "-1", "Stk", 100, 19), 422, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "0", "Stk", 100, 19), 422, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "1000000.001", "Stk", 100, 19), 422, "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "1", "Stk", -100, 19), 422, "lines[0].unit_price_cents");
  ExpectLineRejected(Line("Kurs", "1", "Stk", 100'000'001, 19), 422, "lines[0].unit_price_cents");
  ExpectLineRejected(Line("", "1", "Stk", 100, 19), 422, "lines[0].text");
  // Extreme values must be rejected before any arithmetic (UBSan aborts the server on overflow).
  ExpectLineRejected(Line("Kurs", "999999999", "Stk", INT64_MAX, 19), 422,
                     "lines[0].unit_price_cents");
  ExpectLineRejected(Line("Kurs", "-999999999.999", "Stk", INT64_MIN, 19), 422,
                     "lines[0].quantity");
  ExpectLineRejected(Line("Kurs", "1", "Stk", 100, 2147483648LL), 422, "lines[0].vat_rate");
  // VAT rates.
  ExpectLineRejected(Line("Kurs", "1", "Stk", 100, 16), 422, "lines[0].vat_rate");
  ExpectLineRejected(Line("Kurs", "1", "Stk", 100, -7), 422, "lines[0].vat_rate");
  // The path names the right line.
  const Json before = State();
  const Reply second = c_->Patch(
      InvoicePath(draft_),
      {{"lines", {Line("Kurs", "1", "Stk", 100, 19), Line("Kurs", "1", "Stk", 100, 16)}}});
  EXPECT_TRUE(IsError(second, 422, "lines[1].vat_rate"));
  EXPECT_FALSE(second.HasDetail("lines[0].vat_rate")) << second.body;
  EXPECT_EQ(State(), before);
  // A valid quantity given as a JSON number works (and is the control for the cases above).
  const Json ok =
      Must(c_->Patch(InvoicePath(draft_), {{"lines", {Line("Kurs", 1.5, "Stk", 100, 7)}}}), 200,
           "number quantity");
  EXPECT_EQ(ok["lines"][0]["quantity"], "1.5");
  EXPECT_EQ(ok["total_gross_cents"], 161);  // 150 + round(10.5) = 11
}

TEST_F(BadInputTest, TaxModeAndCustomerAreChecked) {
  // A Kleinunternehmer school cannot charge VAT.
  auto k = office_.LoginAs(klein_);
  const std::int64_t k_customer = CreateCustomer(*k, Person("Kai", "Klein"));
  const Json k_before = Snapshot(*k);
  EXPECT_TRUE(IsError(k->Post("/api/v1/invoices", Draft(k_customer, "2026-08-02",
                                                        {Line("Kurs", "1", "Kurs", 100, 19)})),
                      422, "lines[0].vat_rate"));
  EXPECT_TRUE(IsError(k->Post("/api/v1/invoices",
                              Draft(k_customer, "2026-08-02", {Line("Kurs", "1", "Kurs", 100, 7)})),
                      422, "lines[0].vat_rate"));
  EXPECT_EQ(Snapshot(*k), k_before);
  const Json k_ok = Must(k->Post("/api/v1/invoices", Draft(k_customer, "2026-08-02",
                                                           {Line("Kurs", "1", "Kurs", 100, 0)})),
                         201, "kleinunternehmer 0%");
  EXPECT_EQ(k_ok["total_tax_cents"], 0);
  EXPECT_EQ(k_ok["total_gross_cents"], 100);

  // Unknown customer, and a customer of another school: 422 with customer_id.
  auto other = office_.LoginAs(other_);
  const std::int64_t foreign = CreateCustomer(*other, Person("Olga", "Other"));
  const Json before = State();
  for (const std::int64_t id : {std::int64_t{999999}, foreign, std::int64_t{-1}, std::int64_t{0}}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(IsError(
        c_->Post("/api/v1/invoices", Draft(id, "2026-08-02", {Line("Kurs", "1", "Kurs", 100, 19)})),
        422, "customer_id"));
    EXPECT_TRUE(IsError(c_->Patch(InvoicePath(draft_), {{"customer_id", id}}), 422, "customer_id"));
  }
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, TransportLevelErrors) {
  const Json before = State();
  const std::string path = InvoicePath(draft_);

  // More than 1 MiB of JSON.
  const Json huge = {{"notes", std::string(1024 * 1024 + 16, 'x')}};
  EXPECT_TRUE(IsError(c_->Patch(path, huge), 413));
  EXPECT_TRUE(
      IsError(c_->Post("/api/v1/customers",
                       Json{{"kind", "person"}, {"last_name", "Gross"}, {"notes", huge["notes"]}}),
              413));
  // Invalid UTF-8 inside a JSON string (raw bytes, and a lone surrogate escape).
  EXPECT_TRUE(IsError(c_->Send("PATCH", path, "{\"notes\":\"caf\xC3\x28\"}"), 400));
  EXPECT_TRUE(IsError(
      c_->Send("POST", "/api/v1/customers", "{\"kind\":\"person\",\"last_name\":\"\xFF\xFE\"}"),
      400));
  EXPECT_TRUE(IsError(c_->Send("PATCH", path, R"({"notes":"\ud800"})"), 400));
  // Not JSON by Content-Type.
  EXPECT_TRUE(IsError(c_->Send("PATCH", path, R"({"notes":"x"})", "text/plain"), 415));
  EXPECT_TRUE(IsError(c_->Send("PATCH", path, R"({"notes":"x"})", ""), 415));
  EXPECT_TRUE(
      IsError(c_->Send("POST", "/api/v1/customers", R"({"kind":"person","last_name":"Form"})",
                       "application/x-www-form-urlencoded"),
              415));
  // CSRF: missing or wrong token on a state-changing request.
  EXPECT_TRUE(IsError(c_->Patch(path, {{"notes", "ohne csrf"}}, {.with_csrf = false}), 403));
  EXPECT_TRUE(
      IsError(c_->Post("/api/v1/customers", Person("Ohne", "Csrf"), {.with_csrf = false}), 403));
  EXPECT_TRUE(IsError(c_->Delete(path, {.with_csrf = false}), 403));
  EXPECT_TRUE(IsError(c_->Post(path + "/finalize", Json::object(), {.with_csrf = false}), 403));
  {
    // The CSRF token of another valid session does not fit this session's cookie.
    auto other = office_.LoginAs(other_);
    auto sent = http::Client(office_.base_url())
                    .Send("PATCH", path,
                          {{"Cookie", "hs_session=" + c_->session_cookie()},
                           {"X-CSRF-Token", other->csrf_token()}},
                          R"({"notes":"x"})");
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(sent->status, 403);
  }
  // A known path with another method: 405 with the error body.
  EXPECT_TRUE(IsError(c_->Send("PUT", "/api/v1/customers", "{}"), 405));
  // Ids that are not positive integers are simply not found.
  for (const std::string id : {"abc", "0", "-1", "1.0", "99999999999999999999", "1%20"}) {
    EXPECT_TRUE(IsError(c_->Get("/api/v1/invoices/" + id), 404)) << id;
    EXPECT_TRUE(IsError(c_->Patch("/api/v1/customers/" + id, {{"notes", "x"}}), 404)) << id;
  }
  // No cookie, or a made-up one.
  EXPECT_TRUE(IsError(c_->Get(path, {.with_cookie = false}), 401));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/customers", {.with_cookie = false}), 401));
  EXPECT_TRUE(IsError(c_->Patch(path, {{"notes", "x"}}, {.with_cookie = false}), 401));
  {
    auto forged = http::Client(office_.base_url())
                      .Send("GET", "/api/v1/me", {{"Cookie", "hs_session=erfunden"}});
    ASSERT_TRUE(forged.has_value());
    EXPECT_EQ(forged->status, 401);
  }
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, FailedFinalizationsConsumeNoNumber) {
  // A draft without lines cannot be finalized.
  const std::int64_t empty = CreateDraft(*c_, Draft(customer_, "2026-08-01", Json::array()));
  EXPECT_TRUE(IsError(c_->Post(InvoicePath(empty) + "/finalize", Json::object()), 422, "lines"));
  EXPECT_EQ(Must(c_->Get(InvoicePath(empty)), 200, "empty draft")["status"], "draft");

  // The school became a Kleinunternehmer after the 19 % draft was written: finalization
  // re-checks and refuses.
  Must(c_->Patch("/api/v1/settings/school", {{"tax_mode", "kleinunternehmer"}}), 200,
       "to kleinunternehmer");
  const Json before = State();
  EXPECT_TRUE(IsError(c_->Post(InvoicePath(draft_) + "/finalize", Json::object()), 422,
                      "lines[0].vat_rate"));
  EXPECT_EQ(State(), before);
  Must(c_->Patch("/api/v1/settings/school", {{"tax_mode", "regular"}}), 200, "back to regular");

  // Neither attempt used up a number.
  EXPECT_EQ(Finalize(*c_, draft_)["number"], "RE-2026-0001");
  EXPECT_TRUE(IsError(c_->Post(InvoicePath(empty) + "/finalize", Json::object()), 422, "lines"));
  Must(c_->Patch(InvoicePath(empty), {{"lines", {Line("Kurs", "1", "Kurs", 100, 19)}}}), 200,
       "fill draft");
  EXPECT_EQ(Finalize(*c_, empty)["number"], "RE-2026-0002");
}

TEST_F(BadInputTest, ReadOnlyFieldsAreIgnored) {
  const Json draft = Must(c_->Get(InvoicePath(draft_)), 200, "draft");
  Json sent = draft;
  sent["status"] = "finalized";
  sent["number"] = "RE-FAKE-1";
  sent["total_gross_cents"] = 1;
  sent["vat_groups"] = Json::array();
  sent["pdf_url"] = "/etwas";
  sent["lines"][0]["amount_cents"] = 1;
  sent["notes"] = "zurückgeschickt";
  const Json updated = Must(c_->Patch(InvoicePath(draft_), sent), 200, "send back");
  EXPECT_EQ(updated["status"], "draft");
  EXPECT_TRUE(updated["number"].is_null());
  EXPECT_TRUE(updated["pdf_url"].is_null());
  EXPECT_EQ(updated["total_gross_cents"], draft["total_gross_cents"]);
  EXPECT_EQ(updated["vat_groups"], draft["vat_groups"]);
  EXPECT_EQ(updated["lines"][0]["amount_cents"], 5000);
  EXPECT_EQ(updated["notes"], "zurückgeschickt");
}

// ---------------------------------------------------------------------------------- receipts

TEST_F(BadInputTest, ExpenseUploads) {
  const Json before = State();
  auto receipts_total = [&] {
    return Must(c_->Get("/api/v1/receipts"), 200, "receipts")["total"].get<std::int64_t>();
  };
  const std::int64_t total_before = receipts_total();

  // A valid PDF: 201, split with the rounding rule, the file comes back byte-identical.
  const std::string pdf = SamplePdf("RE-Futter-778");
  const Reply created =
      c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-03", "11900", "Futterhaus GmbH",
                                                  "Hundefutter", pdf, "futter rechnung.pdf"));
  const Json receipt = Must(created, 201, "upload pdf");
  const std::int64_t id = receipt["id"].get<std::int64_t>();
  EXPECT_EQ(created.Header("Location"), ReceiptPath(id));
  EXPECT_EQ(receipt["type"], "expense");
  EXPECT_EQ(receipt["date"], "2026-02-03");
  EXPECT_EQ(receipt["counterparty"], "Futterhaus GmbH");
  EXPECT_EQ(receipt["amount_gross_cents"], 11900);
  EXPECT_EQ(receipt["amount_net_cents"], 10000);
  EXPECT_EQ(receipt["amount_tax_cents"], 1900);
  EXPECT_EQ(receipt["vat_rate"], 19);
  EXPECT_EQ(receipt["file"]["content_type"], "application/pdf");
  EXPECT_EQ(receipt["file"]["size"], pdf.size());
  EXPECT_EQ(receipt["file"]["sha256"], Sha256Hex(pdf));
  EXPECT_EQ(Must(c_->Get(ReceiptPath(id)), 200, "get receipt"), receipt);
  const Reply file = c_->Get(ReceiptPath(id) + "/file");
  ASSERT_EQ(file.status, 200) << file.Describe();
  EXPECT_EQ(file.body.size(), pdf.size());
  EXPECT_TRUE(file.body == pdf) << "downloaded file differs from the upload";
  EXPECT_TRUE(Contains(file.Header("Content-Type").value_or(""), "application/pdf"));

  // The type comes from the bytes, not from the declared content type or the name.
  // (signature, IHDR first, IEND last: the structure the upload check wants)
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR", 8) +
                          std::string(17, '\x01') + std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
  const Json png_receipt = Must(
      c_->Upload("/api/v1/receipts",
                 ExpenseParts("2026-02-04", "1070", "Zoo Shop", "Leine", png, "leine.pdf", "7")),
      201, "upload png");
  EXPECT_EQ(png_receipt["file"]["content_type"], "image/png");
  EXPECT_EQ(png_receipt["amount_net_cents"], 1000);
  const std::string jpg = std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0\xFF\xD9", 13);
  EXPECT_EQ(Must(c_->Upload("/api/v1/receipts",
                            ExpenseParts("2026-02-05", "500", "Foto", "Foto", jpg, "foto.jpg")),
                 201, "upload jpg")["file"]["content_type"],
            "image/jpeg");
  const std::int64_t total_after_valid = receipts_total();
  EXPECT_EQ(total_after_valid, total_before + 3);

  // Not PDF/JPG/PNG: 422, even when named .pdf.
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-06", "500", "X", "GIF",
                                                                  "GIF89a\x01\x00", "bild.gif")),
                      422, "file"));
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-06", "500", "X", "Text",
                                                                  "Hallo Welt", "text.pdf")),
                      422, "file"));
  // More than 10 MiB: 413.
  std::string big = SamplePdf("gross");
  big.resize(10 * 1024 * 1024 + 1, 'A');
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts",
                                 ExpenseParts("2026-02-07", "500", "X", "Gross", big, "gross.pdf")),
                      413));
  // Not multipart at all.
  EXPECT_TRUE(IsError(c_->Post("/api/v1/receipts", {{"date", "2026-02-07"}}), 415));
  // Bad fields.
  auto parts = ExpenseParts("2026-02-08", "500", "X", "Y", pdf);
  parts.push_back({"kategorie", "Futter", "", ""});
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts", parts), 400, "kategorie"));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-08", "5,00", "X", "Y", pdf)),
              400, "amount_gross_cents"));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("08.02.2026", "500", "X", "Y", pdf)), 400,
              "date"));
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts",
                                 ExpenseParts("2026-02-08", "500", "X", "Y", pdf, "a.pdf", "16")),
                      422, "vat_rate"));
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts",
                                 ExpenseParts("2026-02-08", "9223372036854775807", "X", "Y", pdf)),
                      422, "amount_gross_cents"));
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts",
                                 ExpenseParts("2026-02-08", "99999999999999999999", "X", "Y", pdf)),
                      400, "amount_gross_cents"));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-08", "0", "X", "Y", pdf)), 422,
              "amount_gross_cents"));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-08", "500", "", "Y", pdf)), 422,
              "supplier"));
  auto no_file = ExpenseParts("2026-02-08", "500", "X", "Y", pdf);
  no_file.pop_back();
  EXPECT_TRUE(IsError(c_->Upload("/api/v1/receipts", no_file), 400, "file"));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-08", "500", "X", "Y", pdf),
                         {.with_csrf = false}),
              403));
  EXPECT_TRUE(
      IsError(c_->Upload("/api/v1/receipts", ExpenseParts("2026-02-08", "500", "X", "Y", pdf),
                         {.with_cookie = false}),
              401));
  EXPECT_EQ(receipts_total(), total_after_valid);
  // Nothing else changed either (the three valid uploads aside).
  Json after = State();
  EXPECT_EQ(after[InvoicePath(draft_)], before[InvoicePath(draft_)]);
  EXPECT_EQ(after["customers"], before["customers"]);
  EXPECT_EQ(after["invoices"], before["invoices"]);
}

TEST_F(BadInputTest, ReceiptListFiltersAndPaging) {
  // 3 income receipts (finalized invoices) and 4 expenses; three rows share 2026-03-10 so page
  // boundaries fall inside one date.
  std::map<std::int64_t, std::string> date_of;
  for (const std::string date : {"2026-01-10", "2026-02-10", "2026-03-10"}) {
    const std::int64_t id =
        CreateDraft(*c_, Draft(customer_, date, {Line("Kurs " + date, "1", "Kurs", 10000, 19)}));
    Finalize(*c_, id);
  }
  struct Expense {
    std::string date, supplier;
  };
  for (const Expense& e :
       {Expense{"2026-01-05", "Futterhaus GmbH"}, Expense{"2026-02-15", "Tierarzt Dr. Huber"},
        Expense{"2026-03-10", "Hundeplatz Pacht"}, Expense{"2026-03-10", "Futterhaus GmbH"}}) {
    Must(c_->Upload("/api/v1/receipts",
                    ExpenseParts(e.date, "2380", e.supplier, "Ausgabe", SamplePdf(e.supplier))),
         201, "upload");
  }
  const Json all = Must(c_->Get("/api/v1/receipts"), 200, "all");
  ASSERT_EQ(all["total"], 7);
  ASSERT_EQ(all["items"].size(), 7u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  std::set<std::int64_t> all_ids;
  for (const auto& r : all["items"]) {
    all_ids.insert(r["id"].get<std::int64_t>());
    date_of[r["id"].get<std::int64_t>()] = r["date"].get<std::string>();
  }
  ASSERT_EQ(all_ids.size(), 7u);
  // Default order: newest first, ties by id descending.
  for (std::size_t i = 1; i < all["items"].size(); ++i) {
    const Json& prev = all["items"][i - 1];
    const Json& cur = all["items"][i];
    const bool ordered =
        prev["date"] > cur["date"] || (prev["date"] == cur["date"] && prev["id"] > cur["id"]);
    EXPECT_TRUE(ordered) << prev.dump() << " before " << cur.dump();
  }

  auto count = [&](const std::string& query) {
    const Json page = Must(c_->Get("/api/v1/receipts?" + query), 200, query);
    EXPECT_EQ(page["total"].get<std::size_t>(), page["items"].size()) << query;
    return page;
  };
  Json page = count("type=income");
  EXPECT_EQ(page["total"], 3);
  for (const auto& r : page["items"]) EXPECT_EQ(r["type"], "income");
  page = count("type=expense");
  EXPECT_EQ(page["total"], 4);
  for (const auto& r : page["items"]) EXPECT_EQ(r["type"], "expense");
  EXPECT_EQ(count("type=all")["total"], 7);
  page = count("from=2026-02-01&to=2026-02-28");
  EXPECT_EQ(page["total"], 2);
  for (const auto& r : page["items"]) {
    EXPECT_GE(r["date"].get<std::string>(), "2026-02-01");
    EXPECT_LE(r["date"].get<std::string>(), "2026-02-28");
  }
  EXPECT_EQ(count("from=2026-03-10")["total"], 3) << "from is inclusive";
  EXPECT_EQ(count("to=2026-01-10")["total"], 2) << "to is inclusive";
  EXPECT_EQ(count("from=2026-03-11")["total"], 0);
  EXPECT_EQ(count("q=Futterhaus")["total"], 2);
  EXPECT_EQ(count("q=futterhaus")["total"], 2) << "search is case-insensitive";
  EXPECT_EQ(count("q=RE-2026-0002")["total"], 1);
  EXPECT_EQ(count("q=Huber&type=income")["total"], 0);
  page = count("type=expense&q=Futterhaus&from=2026-03-01");
  EXPECT_EQ(page["total"], 1);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["date"], "2026-03-10");
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?type=bar"), 400, "type"));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?from=2026-13-01"), 400, "from"));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?limit=0"), 400, "limit"));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?limit=501"), 400, "limit"));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?cursor=kaputt"), 400, "cursor"));
  EXPECT_TRUE(IsError(c_->Get("/api/v1/receipts?page=0"), 400, "page"));

  // Cursor paging visits every row exactly once, in both orders and with a filter.
  struct Walk {
    std::string query;
    std::size_t expected;
  };
  for (const Walk& walk :
       {Walk{"limit=2", 7}, Walk{"limit=2&sort=date", 7}, Walk{"limit=1&type=expense", 4},
        Walk{"limit=3&from=2026-02-01", 5}, Walk{"limit=7", 7}}) {
    SCOPED_TRACE(walk.query);
    std::vector<std::int64_t> seen;
    std::vector<std::string> dates;
    std::string cursor;
    int pages = 0;
    while (pages < 20) {
      const Json p = Must(
          c_->Get("/api/v1/receipts?" + walk.query + (cursor.empty() ? "" : "&cursor=" + cursor)),
          200, "cursor page");
      ++pages;
      EXPECT_EQ(p["total"], walk.expected);
      for (const auto& r : p["items"]) {
        seen.push_back(r["id"].get<std::int64_t>());
        dates.push_back(r["date"].get<std::string>());
      }
      if (p["next_cursor"].is_null()) break;
      cursor = p["next_cursor"].get<std::string>();
      EXPECT_FALSE(p["items"].empty());
    }
    EXPECT_EQ(seen.size(), walk.expected);
    EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), seen.size())
        << "a row was visited twice";
    const bool ascending = walk.query.find("sort=date") != std::string::npos;
    EXPECT_TRUE(ascending ? std::is_sorted(dates.begin(), dates.end())
                          : std::is_sorted(dates.rbegin(), dates.rend()));
  }

  // Page paging: limit=3 gives pages of 3, 3, 1 and then nothing.
  std::vector<std::int64_t> seen;
  for (int n = 1; n <= 4; ++n) {
    const Json p = Must(c_->Get("/api/v1/receipts?limit=3&page=" + std::to_string(n)), 200, "page");
    EXPECT_EQ(p["total"], 7);
    const std::size_t expected = n <= 2 ? 3 : (n == 3 ? 1 : 0);
    EXPECT_EQ(p["items"].size(), expected) << "page " << n;
    for (const auto& r : p["items"]) seen.push_back(r["id"].get<std::int64_t>());
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::set<std::int64_t>(seen.begin(), seen.end()) == all_ids);
  (void)date_of;
}

// ---------------------------------------------------------------------------------- 6. ops

TEST_F(E2eTest, HealthAndMetrics) {
  const Account owner = office_.CreateSchool("Schule Messbar");
  office_.Start();
  auto anon = office_.NewClient();
  const Reply health = anon->Get("/healthz");
  ASSERT_EQ(health.status, 200) << health.Describe();
  EXPECT_EQ(health.json["status"], "ok");

  auto c = office_.LoginAs(owner);
  Must(c->Get("/api/v1/me"), 200, "me");
  EXPECT_TRUE(IsError(c->Get(CustomerPath(424242)), 404));
  EXPECT_TRUE(IsError(c->Get("/api/v1/gibt-es-nicht"), 404));

  const Reply metrics = anon->Get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.Describe();
  EXPECT_TRUE(Contains(metrics.Header("Content-Type").value_or(""), "text/plain"));
  const std::string& text = metrics.body;
  EXPECT_TRUE(Contains(text, "# TYPE hs_http_requests_total counter"));
  EXPECT_TRUE(
      Contains(text, R"(hs_http_requests_total{method="GET",route="/healthz",status="200"})"));
  EXPECT_TRUE(
      Contains(text, R"(hs_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1)"));
  EXPECT_TRUE(Contains(
      text, R"(hs_http_requests_total{method="POST",route="/api/v1/session",status="200"} 1)"));
  // Routes are labelled by pattern, never by the concrete id (bounded label values).
  EXPECT_TRUE(Contains(
      text,
      R"(hs_http_requests_total{method="GET",route="/api/v1/customers/{id}",status="404"} 1)"));
  EXPECT_TRUE(Contains(text, R"(route="unmatched")"));
  EXPECT_EQ(text.find("424242"), std::string::npos);
  EXPECT_EQ(text.find("gibt-es-nicht"), std::string::npos);
  EXPECT_TRUE(Contains(text, "hs_http_request_duration_seconds_bucket"));
}

// ---------------------------------------------------------------------------------- 7. CLI

// Every command and subcommand explains itself with --help (exit 0, usage on stdout).
TEST(CliTest, HelpOnEveryCommand) {
  const std::vector<std::vector<std::string>> commands = {
      {},       {"serve"},       {"migrate"}, {"tenant"},         {"tenant", "create"},
      {"user"}, {"user", "add"}, {"demo"},    {"sevdesk-sandbox"}};
  for (auto args : commands) {
    std::string what = "hundeschule";
    for (const auto& a : args) what += " " + a;
    args.push_back("--help");
    const CommandResult r = RunBinary(args);
    EXPECT_EQ(r.exit_code, 0) << what << " --help: " << r.out << r.err;
    EXPECT_TRUE(Contains(r.out, "Usage")) << what;
    EXPECT_TRUE(Contains(r.out, "--help")) << what;
  }
  // Options that matter are listed where they belong.
  EXPECT_TRUE(Contains(RunBinary({"serve", "--help"}).out, "--listen"));
  EXPECT_TRUE(Contains(RunBinary({"serve", "--help"}).out, "--database"));
  EXPECT_TRUE(Contains(RunBinary({"tenant", "create", "--help"}).out, "--name"));
  EXPECT_TRUE(Contains(RunBinary({"user", "add", "--help"}).out, "--password-stdin"));
  EXPECT_TRUE(Contains(RunBinary({"sevdesk-sandbox", "--help"}).out, "--account"));
  // A wrong command or a missing required option fails with a message, not silently.
  const CommandResult unknown = RunBinary({"zaubern"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_FALSE((unknown.out + unknown.err).empty());
  const CommandResult nameless = RunBinary({"tenant", "create"});
  EXPECT_NE(nameless.exit_code, 0);
  EXPECT_TRUE(Contains(nameless.out + nameless.err, "--name"));
  // The payment sync's interval for operators: listed, and a too short one refused at start.
  EXPECT_TRUE(Contains(RunBinary({"serve", "--help"}).out, "--payment-sync-interval-s"));
  BinaryFixture office;
  const CommandResult hasty = RunBinary({"serve", "--database", office.database_url(), "--listen",
                                         "127.0.0.1:0", "--payment-sync-interval-s", "5"});
  EXPECT_NE(hasty.exit_code, 0);
  EXPECT_TRUE(Contains(hasty.out + hasty.err, "--payment-sync-interval-s must be 0 or at least 10"))
      << hasty.out << hasty.err;
}

// `hundeschule migrate` applies the migrations once; a second run applies none.
TEST(CliTest, MigrateIsIdempotent) {
  BinaryFixture office;
  const CommandResult first = RunBinary({"migrate", "--database", office.database_url()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  // The first run applies every migration of the source tree (a run that applied nothing would
  // also print "applied", so the count is checked), the second none.
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(HS_SOURCE_DIR "/migrations/sqlite")) {
    if (f.path().extension() == ".sql") ++files;
  }
  ASSERT_GT(files, 0);
  EXPECT_TRUE(Contains(first.out, "applied " + std::to_string(files) + " migration(s)"))
      << first.out;
  const CommandResult second = RunBinary({"migrate", "--database", office.database_url()});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_TRUE(Contains(second.out, "applied 0 migration(s)"));
}

// `hundeschule demo`: a sample school with about 30 customers, 120 invoices over the past year
// including cancellations, and some expenses; prints the URL and the login.
TEST(DemoTest, SampleSchoolIsComplete) {
  BinaryFixture office;  // only for its temp folder
  const std::string dir = office.dir();
  const std::string log = dir + "/demo.log";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    const std::string binary = BinaryPath();
    const std::string db = "sqlite:" + dir + "/demo.db";
    const std::string port_file = dir + "/demo.port";
    const std::string state = dir + "/sandbox.json";
    execl(binary.c_str(), binary.c_str(), "demo", "--database", db.c_str(), "--listen",
          "127.0.0.1:0", "--port-file", port_file.c_str(), "--sandbox-state", state.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  auto read_file = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  int port = 0;
  for (int i = 0; i < 1800 && port == 0; ++i) {  // up to 3 minutes (sanitizer build)
    const std::string text = read_file(dir + "/demo.port");
    if (!text.empty() && text.back() == '\n') port = std::atoi(text.c_str());
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  struct Stopper {
    pid_t pid;
    ~Stopper() {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  } stopper{pid};
  ASSERT_GT(port, 0) << "demo did not start; log:\n" << read_file(log);
  // The login is printed for the owner (after the port file, so wait for the line).
  std::string printed;
  for (int i = 0; i < 100 && printed.find("Password") == std::string::npos; ++i) {
    printed = read_file(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(Contains(printed, "http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_TRUE(Contains(printed, "demo@hundeschule.example"));
  EXPECT_TRUE(Contains(printed, "demo-passwort"));

  ApiClient c("http://127.0.0.1:" + std::to_string(port));
  Must(c.Login("demo@hundeschule.example", "demo-passwort"), 200, "demo login");
  const Json customers = Must(c.Get("/api/v1/customers?limit=200"), 200, "customers");
  EXPECT_GE(customers["total"].get<int>(), 25);
  EXPECT_LE(customers["total"].get<int>(), 35);
  const Json invoices = Must(c.Get("/api/v1/invoices?limit=200"), 200, "invoices");
  int regular = 0, cancellations = 0, cancelled = 0, drafts = 0;
  std::string oldest = "9999-12-31", newest = "0000-01-01";
  for (const auto& inv : invoices["items"]) {
    if (inv["kind"] == "cancellation") {
      ++cancellations;
    } else {
      ++regular;
    }
    if (inv["status"] == "cancelled") ++cancelled;
    if (inv["status"] == "draft") ++drafts;  // the newest few stay drafts to try finalizing
    oldest = std::min(oldest, inv["invoice_date"].get<std::string>());
    newest = std::max(newest, inv["invoice_date"].get<std::string>());
  }
  EXPECT_EQ(regular, 120);
  EXPECT_LE(drafts, 5);
  EXPECT_GE(cancellations, 2);
  EXPECT_EQ(cancellations, cancelled);
  // Spread over the past year.
  const std::string today = TodayInBerlin();
  const std::string year_ago = std::to_string(std::stoi(today.substr(0, 4)) - 1) + today.substr(4);
  EXPECT_LE(newest, today);
  EXPECT_GE(oldest, year_ago);
  EXPECT_LE(oldest, std::to_string(std::stoi(today.substr(0, 4)) - 1) + "-12-31");
  const Json income = Must(c.Get("/api/v1/receipts?type=income&limit=1"), 200, "income");
  EXPECT_EQ(income["total"].get<int>(), regular - drafts + cancellations);
  const Json expenses = Must(c.Get("/api/v1/receipts?type=expense&limit=50"), 200, "expenses");
  EXPECT_GE(expenses["total"].get<int>(), 5);
  for (const auto& e : expenses["items"]) {
    EXPECT_LT(e["amount_gross_cents"].get<std::int64_t>(), 0 + 100000000);
    EXPECT_FALSE(e["counterparty"].get<std::string>().empty());
  }
  // Every finalized invoice has its PDF.
  std::int64_t finalized = 0;
  for (const auto& inv : invoices["items"]) {
    if (inv["status"] != "draft") finalized = inv["id"].get<std::int64_t>();
  }
  const Reply pdf = c.Get(InvoicePath(finalized) + "/pdf");
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
}

// ------------------------------------------------------- "Zahlung erfassen" (issue 16, ADR 0019)

// Without a sevdesk connection payments are recorded here only; the routes check the invoice's
// state, the amount and the school.
TEST_F(E2eTest, PaymentsAreRecordedHereWithoutSevdesk) {
  const Account owner = office_.CreateSchool("Hundeschule Kasse");
  const Account other = office_.CreateSchool("Hundeschule Nebenan");
  office_.Start();
  auto c = office_.NewClient();
  ASSERT_EQ(c->Login(owner.email, owner.password).status, 200);
  const std::int64_t customer = CreateCustomer(*c, Person("Paula", "Zahl"));
  const std::int64_t id = CreateDraft(
      *c, Draft(customer, "2025-03-01", Json::array({Line("Kurs", "1", "", 5000, 19)})));
  const std::string path = InvoicePath(id) + "/payments";
  const Json pay = {{"amount_cents", 2000}, {"date", "2025-03-02"}, {"method", "cash"}};
  EXPECT_TRUE(IsError(c->Post(path, pay), 409));  // a draft
  Finalize(*c, id);

  const Json open = Must(c->Get(path), 200, "payments");
  EXPECT_TRUE(open["payments"].empty());
  EXPECT_EQ(open["open_cents"], 5950);
  EXPECT_TRUE(open["takes_payments"]);
  EXPECT_TRUE(open["payment_account_name"].is_null());

  EXPECT_TRUE(IsError(
      c->Post(path, {{"amount_cents", "12,50"}, {"date", "2025-03-02"}, {"method", "cash"}}), 400,
      "amount_cents"));
  EXPECT_TRUE(IsError(
      c->Post(path,
              {{"amount_cents", 2000}, {"date", "2025-03-02"}, {"method", "cash"}, {"extra", 1}}),
      400, "extra"));
  EXPECT_TRUE(
      IsError(c->Post(path, {{"amount_cents", 5951}, {"date", "2025-03-02"}, {"method", "card"}}),
              422, "amount_cents"));
  EXPECT_TRUE(
      IsError(c->Post(path, {{"amount_cents", 100}, {"date", "2025-02-28"}, {"method", "card"}}),
              422, "date"));
  EXPECT_TRUE(
      IsError(c->Post(path, {{"amount_cents", 100}, {"date", "2099-01-01"}, {"method", "card"}}),
              422, "date"));
  EXPECT_TRUE(
      IsError(c->Post(path, {{"amount_cents", 100}, {"date", "2025-03-02"}, {"method", "scheck"}}),
              422, "method"));

  const Reply recorded = c->Post(path, pay);
  const Json first = Must(recorded, 201, "record");
  EXPECT_EQ(recorded.Header("Location"), path);
  EXPECT_EQ(first["payment"]["booking"], "local");
  EXPECT_EQ(first["payment"]["message"],
            "Nur hier erfasst – kein Zahlungskonto in sevdesk gewählt.");
  EXPECT_EQ(first["payment"]["method_label"], "bar");
  EXPECT_EQ(first["paid_cents"], 2000);
  EXPECT_EQ(first["open_cents"], 3950);
  const Json second =
      Must(c->Post(path, {{"amount_cents", 3950}, {"date", "2025-03-05"}, {"method", "transfer"}}),
           201, "record the rest");
  EXPECT_EQ(second["open_cents"], 0);
  EXPECT_EQ(second["payments"].size(), 2u);
  EXPECT_EQ(second["payments"][1]["method_label"], "Überweisung");
  EXPECT_TRUE(IsError(c->Post(path, pay), 409));  // nothing open

  // The payment account: none without a connection, and none can be chosen.
  const Json account = Must(c->Get("/api/v1/integrations/sevdesk/payment-account"), 200, "account");
  EXPECT_TRUE(account["accounts"].empty());
  EXPECT_FALSE(account["message"].is_null());
  EXPECT_TRUE(IsError(c->Send("PUT", "/api/v1/integrations/sevdesk/payment-account",
                              R"({"payment_account_id":null})"),
                      409));

  // Another school sees neither the invoice nor its payments.
  auto b = office_.NewClient();
  ASSERT_EQ(b->Login(other.email, other.password).status, 200);
  EXPECT_TRUE(IsError(b->Get(path), 404));
  EXPECT_TRUE(IsError(b->Post(path, pay), 404));

  // A cancelled invoice and its cancellation take no payment.
  const std::int64_t id2 = CreateDraft(
      *c, Draft(customer, "2025-03-01", Json::array({Line("Kurs", "1", "", 1000, 19)})));
  Finalize(*c, id2);
  const Json storno = Must(c->Post(InvoicePath(id2) + "/cancel", Json::object()), 201, "cancel");
  EXPECT_TRUE(IsError(c->Post(InvoicePath(id2) + "/payments", pay), 409));
  EXPECT_TRUE(
      IsError(c->Post(InvoicePath(storno["id"].get<std::int64_t>()) + "/payments", pay), 409));
  EXPECT_FALSE(Must(c->Get(InvoicePath(id2) + "/payments"), 200, "cancelled")["takes_payments"]);
}

}  // namespace
}  // namespace hs::testing
