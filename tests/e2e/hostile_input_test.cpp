// Issue 13, the rest of the probe, replayed against the real binary: control characters in
// stored text, file names and headers, uploads that are no PDF/JPEG/PNG (polyglots), what the
// invoice PDF cannot print, implausible dates and amounts, HEAD on a PDF, and the IBAN.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "http/raw_socket.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "support/binary_fixture.hpp"

namespace hs::testing {
namespace {

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The answer's bytes as they are on the wire (the client library decodes percent-encoded header
// values and hides what a HEAD answer carries).
std::string RawExchange(int port, const std::string& method, const std::string& path,
                        const std::string& session) {
  http::test::RawSocket socket(port);
  socket.Send(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nCookie: hs_session=" +
              session + "\r\nConnection: close\r\n\r\n");
  return socket.ReadUntilClose(std::chrono::seconds{10});
}

// The value of header `name` in a raw answer ("" when absent).
std::string RawHeader(const std::string& answer, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const auto at = answer.find(key);
  if (at == std::string::npos) return "";
  const auto start = at + key.size();
  return answer.substr(start, answer.find("\r\n", start) - start);
}

// A PDF as the upload check wants it: header, a NUL and high bytes, the %%EOF trailer.
std::string SamplePdf() {
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj << /Type /Catalog >> endobj\n";
  pdf += std::string("binary:\0\x01\x02\xFF\xFE\x80\r\n", 14);
  return pdf + "%%EOF\n";
}

std::vector<http::MultipartPart> Expense(const std::string& file, const std::string& filename,
                                         const std::string& supplier = "Fressnapf") {
  return {{"date", "2026-02-07", "", ""}, {"amount_gross_cents", "1190", "", ""},
          {"vat_rate", "19", "", ""},     {"description", "Futter", "", ""},
          {"supplier", supplier, "", ""}, {"file", file, filename, "application/pdf"}};
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = office_.CreateSchool("Hundeschule Wachsam");
    office_.Start();
    c_ = office_.LoginAs(owner_);
  }

  std::int64_t NewCustomer() {
    const Reply r = c_->Post("/api/v1/customers",
                             {{"kind", "person"}, {"first_name", "Kai"}, {"last_name", "Kluge"}});
    if (r.status != 201) throw std::runtime_error("customer: " + r.Describe());
    return r.json["id"].get<std::int64_t>();
  }

  Reply NewDraft(const Json& lines, const std::string& date) {
    return c_->Post("/api/v1/invoices",
                    {{"customer_id", NewCustomer()}, {"invoice_date", date}, {"lines", lines}});
  }

  static Json Line(const std::string& text, const std::string& quantity = "1",
                   std::int64_t price = 5000) {
    return Json::array(
        {{{"text", text}, {"quantity", quantity}, {"unit_price_cents", price}, {"vat_rate", 19}}});
  }

  Reply Finalize(std::int64_t id) {
    return c_->Post("/api/v1/invoices/" + std::to_string(id) + "/finalize", Json::object());
  }

  // Runs SQL on the stopped server's database, as a database of an older version holds it, and
  // logs in again.
  void ExecOnDatabase(const std::string& sql) {
    ASSERT_EQ(office_.Stop(), 0);
    {
      auto db = store::SqliteConnection::Open(office_.dir() + "/hundeschule.db", 5000);
      ASSERT_TRUE(db) << db.error().message;
      auto done = (*db)->ExecScript(sql);
      ASSERT_TRUE(done) << done.error().message;
    }
    office_.Start();
    c_ = office_.LoginAs(owner_);
  }

  BinaryFixture office_;
  Account owner_;
  std::unique_ptr<ApiClient> c_;
};

TEST_F(HostileInputTest, ControlCharactersAreRefusedWithAGerman422) {
  const Reply nul = c_->Post("/api/v1/customers", {{"kind", "person"},
                                                   {"last_name", std::string("Rex\0Bello", 9)},
                                                   {"address", {{"city", "Berlin\x1B[2J"}}}});
  ASSERT_EQ(nul.status, 422) << nul.Describe();
  EXPECT_EQ(nul.json["code"], "validation_failed");
  EXPECT_TRUE(nul.HasDetail("last_name")) << nul.body;
  EXPECT_TRUE(nul.HasDetail("address.city")) << nul.body;
  EXPECT_TRUE(Mentions(nul.body, "Steuerzeichen"));

  const Reply line_break = c_->Post(
      "/api/v1/customers",
      {{"kind", "company"}, {"company_name", "Hunde\r\nGmbH"}, {"email", "a@b.de\r\nBcc: x@y.de"}});
  ASSERT_EQ(line_break.status, 422) << line_break.Describe();
  EXPECT_TRUE(line_break.HasDetail("company_name"));
  EXPECT_TRUE(line_break.HasDetail("email"));

  // Multi-line texts keep their line breaks and tabs.
  const Reply notes = c_->Post(
      "/api/v1/customers",
      {{"kind", "person"}, {"last_name", "Kluge"}, {"notes", "Zeile 1\r\nZeile 2\tmit Tab"}});
  ASSERT_EQ(notes.status, 201) << notes.Describe();
  EXPECT_EQ(notes.json["notes"], "Zeile 1\r\nZeile 2\tmit Tab");

  const Reply draft = NewDraft(Line("Kurs\x07"), "2026-02-07");
  ASSERT_EQ(draft.status, 422) << draft.Describe();
  EXPECT_TRUE(draft.HasDetail("lines[0].text")) << draft.body;
}

TEST_F(HostileInputTest, UploadsMustBeCompleteDocumentsAndAreServedSafely) {
  // A PDF header followed by HTML: refused, not stored and served inline under its name.
  const std::string polyglot = "%PDF-1.4\n<html><script>alert(document.cookie)</script>\n%%EOF\n";
  const Reply html = c_->Upload("/api/v1/receipts", Expense(polyglot, "rechnung.pdf"));
  ASSERT_EQ(html.status, 422) << html.Describe();
  EXPECT_EQ(html.json["code"], "unsupported_file_type");
  EXPECT_TRUE(html.HasDetail("file"));
  const Reply cut = c_->Upload("/api/v1/receipts", Expense("%PDF-1.4\n1 0 obj", "halb.pdf"));
  EXPECT_EQ(cut.status, 422) << cut.Describe();

  // A file name with control characters is refused; one with quotes and umlauts is kept and
  // sent per RFC 6266.
  const Reply esc = c_->Upload("/api/v1/receipts", Expense(SamplePdf(), "a\x1B[31m.pdf"));
  ASSERT_EQ(esc.status, 422) << esc.Describe();
  EXPECT_TRUE(esc.HasDetail("file")) << esc.body;
  const Reply bad_supplier = c_->Upload("/api/v1/receipts", Expense(SamplePdf(), "ok.pdf",
                                                                    "Fress\x1B"
                                                                    "napf"));
  ASSERT_EQ(bad_supplier.status, 422) << bad_supplier.Describe();
  EXPECT_TRUE(bad_supplier.HasDetail("supplier")) << bad_supplier.body;

  const Reply stored =
      c_->Upload("/api/v1/receipts", Expense(SamplePdf(), "Tierarzt März; Rex.pdf"));
  ASSERT_EQ(stored.status, 201) << stored.Describe();
  const std::string url = stored.json["file"]["url"].get<std::string>();
  const Reply file = c_->Get(url);
  ASSERT_EQ(file.status, 200) << file.Describe();
  EXPECT_TRUE(file.body == SamplePdf());
  const std::string raw = RawExchange(office_.port(), "GET", url, c_->session_cookie());
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw.substr(0, 300);
  EXPECT_EQ(RawHeader(raw, "Content-Type"), "application/pdf");
  EXPECT_EQ(RawHeader(raw, "Content-Disposition"),
            "inline; filename=\"Tierarzt M_rz_ Rex.pdf\"; "
            "filename*=UTF-8''Tierarzt%20M%C3%A4rz%3B%20Rex.pdf");
  EXPECT_EQ(RawHeader(raw, "X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(Mentions(RawHeader(raw, "Content-Security-Policy"), "default-src 'none'"));
}

TEST_F(HostileInputTest, AFileStoredUnderTheOldCheckIsSentAsAnAttachment) {
  // Before the upload check, "%PDF-" + HTML was stored and served inline under its own name.
  const Reply stored = c_->Upload("/api/v1/receipts", Expense(SamplePdf(), "alt.pdf"));
  ASSERT_EQ(stored.status, 201) << stored.Describe();
  const std::string id = std::to_string(stored.json["id"].get<std::int64_t>());
  ExecOnDatabase(
      "UPDATE receipt_files SET content = CAST('%PDF-1.4 <html><script>alert(1)</script> %%EOF' "
      "AS BLOB) WHERE receipt_id = " +
      id +
      "; UPDATE receipts SET file_name = 'alt' || char(27) || '.html', "
      "file_content_type = 'text/html' WHERE id = " +
      id + ";");
  const std::string raw =
      RawExchange(office_.port(), "GET", "/api/v1/receipts/" + id + "/file", c_->session_cookie());
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw.substr(0, 300);
  EXPECT_EQ(RawHeader(raw, "Content-Type"), "application/octet-stream");
  EXPECT_EQ(RawHeader(raw, "Content-Disposition"),
            "attachment; filename=\"alt_.html\"; filename*=UTF-8''alt_.html");
  EXPECT_EQ(RawHeader(raw, "X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(Mentions(RawHeader(raw, "Content-Security-Policy"), "sandbox"));
}

TEST_F(HostileInputTest, FinalizeRefusesTextThePdfCannotPrint) {
  const Reply draft = NewDraft(Line("Welpenkurs 🐕 für שרה"), "2026-02-07");
  ASSERT_EQ(draft.status, 201) << draft.Describe();
  const std::int64_t id = draft.json["id"].get<std::int64_t>();
  const Reply refused = Finalize(id);
  ASSERT_EQ(refused.status, 422) << refused.Describe();
  EXPECT_EQ(refused.json["code"], "unprintable_characters");
  ASSERT_TRUE(refused.HasDetail("lines[0].text")) << refused.body;
  EXPECT_TRUE(Mentions(refused.body, "U+1F415")) << refused.body;
  EXPECT_TRUE(Mentions(refused.body, "U+05E9")) << refused.body;
  EXPECT_EQ(c_->Get("/api/v1/invoices/" + std::to_string(id)).json["status"], "draft");

  // Corrected, it finalizes with the first number: the refusal used none.
  ASSERT_EQ(
      c_->Patch("/api/v1/invoices/" + std::to_string(id), {{"lines", Line("Welpenkurs")}}).status,
      200);
  const Reply done = Finalize(id);
  ASSERT_EQ(done.status, 200) << done.Describe();
  EXPECT_EQ(done.json["number"], "RE-2026-0001");
}

TEST_F(HostileInputTest, FinalizeRefusesImplausibleDatesAndAmounts) {
  const Reply far = NewDraft(Line("Kurs"), "2999-12-31");
  ASSERT_EQ(far.status, 201) << far.Describe();
  const Reply late = Finalize(far.json["id"].get<std::int64_t>());
  ASSERT_EQ(late.status, 422) << late.Describe();
  EXPECT_TRUE(late.HasDetail("invoice_date")) << late.body;
  EXPECT_TRUE(Mentions(late.body, "Zukunft"));

  // The documented maxima (1 million units at 1 million euros) are beyond what sevdesk takes.
  const Reply huge = NewDraft(Line("Kurs", "1000000", 100'000'000), "2026-02-07");
  ASSERT_EQ(huge.status, 201) << huge.Describe();
  const Reply large = Finalize(huge.json["id"].get<std::int64_t>());
  ASSERT_EQ(large.status, 422) << large.Describe();
  EXPECT_TRUE(large.HasDetail("lines[0].amount_cents")) << large.body;
  EXPECT_TRUE(Mentions(large.body, "sevdesk"));
}

TEST_F(HostileInputTest, HeadOnAPdfAnswersTheHeadersOfGet) {
  const Reply draft = NewDraft(Line("Kurs"), "2026-02-07");
  ASSERT_EQ(draft.status, 201) << draft.Describe();
  const Reply done = Finalize(draft.json["id"].get<std::int64_t>());
  ASSERT_EQ(done.status, 200) << done.Describe();
  const std::string path = done.json["pdf_url"].get<std::string>();
  const Reply get = c_->Get(path);
  ASSERT_EQ(get.status, 200);
  const std::string head = RawExchange(office_.port(), "HEAD", path, c_->session_cookie());
  const std::string raw_get = RawExchange(office_.port(), "GET", path, c_->session_cookie());
  ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head.substr(0, 300);
  EXPECT_EQ(RawHeader(head, "Content-Length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "") << "HEAD sent a body";
  for (const char* name : {"Content-Type", "Content-Disposition", "Content-Security-Policy"}) {
    EXPECT_EQ(RawHeader(head, name), RawHeader(raw_get, name)) << name;
  }
}

TEST_F(HostileInputTest, TheIbanOnInvoicesIsChecked) {
  const Reply wrong =
      c_->Patch("/api/v1/settings/school", {{"iban", "DE89 3704 0044 0532 0130 01"}});
  ASSERT_EQ(wrong.status, 422) << wrong.Describe();
  ASSERT_TRUE(wrong.HasDetail("iban")) << wrong.body;
  EXPECT_TRUE(Mentions(wrong.body, "Die IBAN ist ungültig")) << wrong.body;
  const Reply short_bic = c_->Patch("/api/v1/settings/school", {{"bic", "COBADE"}});
  ASSERT_EQ(short_bic.status, 422) << short_bic.Describe();
  EXPECT_TRUE(short_bic.HasDetail("bic"));

  const Reply right = c_->Patch("/api/v1/settings/school",
                                {{"iban", "de89 3704 0044 0532 0130 00"}, {"bic", "cobadeffxxx"}});
  ASSERT_EQ(right.status, 200) << right.Describe();
  EXPECT_EQ(right.json["iban"], "DE89370400440532013000");
  EXPECT_EQ(right.json["bic"], "COBADEFFXXX");
}

}  // namespace
}  // namespace hs::testing
