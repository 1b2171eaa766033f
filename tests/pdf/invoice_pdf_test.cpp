#include "pdf/invoice_pdf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

#ifndef HS_PDFTOTEXT
#error "HS_PDFTOTEXT must name the pdftotext binary (see tests/pdf/CMakeLists.txt)"
#endif
#ifndef HS_PDFFONTS
#error "HS_PDFFONTS must name the pdffonts binary (see tests/pdf/CMakeLists.txt)"
#endif
#ifndef HS_PDFINFO
#error "HS_PDFINFO must name the pdfinfo binary (see tests/pdf/CMakeLists.txt)"
#endif

namespace hs::pdf {
namespace {

using domain::Invoice;
using domain::InvoiceLine;
using domain::School;

Date D(int y, unsigned m, unsigned d) {
  return Date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

School MakeSchool(domain::TaxMode mode = domain::TaxMode::kRegular) {
  School school;
  school.id = 1;
  school.name = "Hundeschule Pfotenglück";
  school.address = {"Wiesenweg 3", "79098", "Freiburg im Breisgau", "DE"};
  school.email = "info@pfotenglueck.example";
  school.phone = "0761 123456";
  school.tax_number = "07/123/45678";
  if (mode == domain::TaxMode::kRegular) school.vat_id = "DE123456789";
  school.iban = "DE89370400440532013000";
  school.bic = "COBADEFFXXX";
  school.bank_name = "Commerzbank Freiburg";
  school.tax_mode = mode;
  school.payment_term_days = 14;
  return school;
}

InvoiceLine Line(std::string text, Milli quantity, std::string unit, Cents price, int rate) {
  return InvoiceLine{std::move(text), quantity, std::move(unit), price, rate};
}

Invoice MakeInvoice(domain::PriceEntry entry = domain::PriceEntry::kNet) {
  Invoice invoice;
  invoice.id = 42;
  invoice.school_id = 1;
  invoice.status = domain::InvoiceStatus::kFinalized;
  invoice.number = "RE-2026-0042";
  invoice.invoice_date = D(2026, 11, 27);
  invoice.service_date = D(2026, 11, 20);
  invoice.price_entry = entry;
  invoice.lines = {Line("Hundeführerschein-Komplettkurs", 1000, "Kurs", 123456, 19),
                   Line("Einzelstunde Welpenerziehung", 2500, "Stunde", 4500, 19),
                   Line("Leckerli-Beutel „Pansen“", 3000, "Stk", 499, 7)};
  invoice.totals = domain::ComputeTotals(invoice.lines, entry);
  invoice.customer_snapshot.name = "Jürgen Groß";
  invoice.customer_snapshot.address = {"Hauptstraße 5", "79100", "Freiburg", "DE"};
  invoice.customer_snapshot.customer_number = 10023;
  invoice.finalized_at = FromUnixMillis(1795768200000);  // 2026-11-27T08:30:00Z
  return invoice;
}

std::string RunTool(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << command;
  return out;
}

std::string WritePdf(const std::string& bytes) {
  static int counter = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path =
      ::testing::TempDir() + "hs_pdf_" + info->name() + "_" + std::to_string(++counter) + ".pdf";
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Text as a reader (or sevdesk's OCR-free import) sees it. poppler's warnings about libharu's
// ToUnicode CMaps go to stderr and are dropped.
std::string PdfText(const std::string& bytes) {
  return RunTool(std::string(HS_PDFTOTEXT) + " -enc UTF-8 '" + WritePdf(bytes) + "' - 2>/dev/null");
}

std::string PdfFonts(const std::string& bytes) {
  return RunTool(std::string(HS_PDFFONTS) + " '" + WritePdf(bytes) + "' 2>/dev/null");
}

int PdfPages(const std::string& bytes) {
  const std::string info =
      RunTool(std::string(HS_PDFINFO) + " '" + WritePdf(bytes) + "' 2>/dev/null");
  std::smatch match;
  if (!std::regex_search(info, match, std::regex(R"(Pages:\s+(\d+))"))) return -1;
  return std::stoi(match[1]);
}

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

Result<std::string> Render(const School& school, const Invoice& invoice) {
  return InvoicePdfRenderer(PdfSettings{}).Render(school, invoice);
}

#define ASSERT_RENDERED(result) \
  ASSERT_TRUE(result.has_value()) << result.error().reason << ": " << result.error().message

TEST(InvoicePdfTest, RegularInvoiceHasTheContentParagraph14Requires) {
  const Invoice invoice = MakeInvoice();
  // The figures below follow from the domain's rounding rule; checking them here keeps the
  // expectations honest if test data changes.
  ASSERT_EQ(invoice.totals.net_cents, 136203);
  ASSERT_EQ(invoice.totals.tax_cents, 25699);
  ASSERT_EQ(invoice.totals.gross_cents, 161902);

  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  ASSERT_EQ(pdf->rfind("%PDF-1.", 0), 0u);
  const std::string text = PdfText(*pdf);

  for (const char* expected :
       {// issuer, recipient
        "Hundeschule Pfotenglück", "Wiesenweg 3", "79098 Freiburg im Breisgau",
        "Steuernummer 07/123/45678", "USt-IdNr. DE123456789", "Jürgen Groß", "Hauptstraße 5",
        "79100 Freiburg",
        // number, dates, customer number
        "Rechnung Nr. RE-2026-0042", "Rechnungsnummer", "Rechnungsdatum", "27.11.2026",
        "Leistungsdatum", "20.11.2026", "Kundennummer", "10023",
        // lines: text, quantity, unit, unit price, rate, amount
        "Hundeführerschein-Komplettkurs", "Einzelstunde Welpenerziehung",
        "Leckerli-Beutel „Pansen“", "2,5", "Stunde", "1.234,56 €", "45,00 €", "112,50 €", "4,99 €",
        "14,97 €", "19 %", "7 %",
        // totals per rate and overall
        "Nettobetrag", "1.362,03 €", "zzgl. 19 % USt. auf 1.347,06 €", "255,94 €",
        "zzgl. 7 % USt. auf 14,97 €", "1,05 €", "Gesamtbetrag brutto", "1.619,02 €",
        // payment and bank
        "Zahlbar innerhalb von 14 Tagen bis zum 11.12.2026 ohne Abzug.",
        "IBAN DE89 3704 0044 0532 0130 00", "BIC COBADEFFXXX", "Commerzbank Freiburg",
        "Seite 1 von 1"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
  }
  EXPECT_EQ(text.find("§ 19 UStG"), std::string::npos);
  EXPECT_EQ(text.find("Bruttopreise"), std::string::npos);
  EXPECT_EQ(text.find("Storno"), std::string::npos);
  EXPECT_EQ(PdfPages(*pdf), 1);
}

TEST(InvoicePdfTest, ShowsTheDomainTotalsVerbatim) {
  // The PDF must never recompute sums; tampered totals must show up exactly as given.
  Invoice invoice = MakeInvoice();
  invoice.totals.net_cents = 100001;
  invoice.totals.tax_cents = 20002;
  invoice.totals.gross_cents = 123456789;
  invoice.totals.groups = {domain::VatGroup{19, 100001, 20002, 120003}};
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("1.000,01 €"), std::string::npos);
  EXPECT_NE(text.find("zzgl. 19 % USt. auf 1.000,01 €"), std::string::npos);
  EXPECT_NE(text.find("200,02 €"), std::string::npos);
  EXPECT_NE(text.find("1.234.567,89 €"), std::string::npos);
  EXPECT_EQ(text.find("1.619,02 €"), std::string::npos);
  EXPECT_EQ(text.find("7 % USt. auf"), std::string::npos);
}

TEST(InvoicePdfTest, KleinunternehmerInvoiceCarriesTheParagraph19Note) {
  const School school = MakeSchool(domain::TaxMode::kKleinunternehmer);
  Invoice invoice = MakeInvoice();
  for (auto& line : invoice.lines) line.vat_rate = 0;
  invoice.totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);
  ASSERT_EQ(invoice.totals.gross_cents, 136203);

  auto pdf = Render(school, invoice);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."), std::string::npos)
      << text;
  EXPECT_NE(text.find("Gesamtbetrag"), std::string::npos);
  EXPECT_NE(text.find("1.362,03 €"), std::string::npos);
  EXPECT_NE(text.find("Steuernummer 07/123/45678"), std::string::npos);
  // No VAT anywhere: no rate column, no tax lines.
  EXPECT_EQ(text.find("USt. auf"), std::string::npos);
  EXPECT_EQ(text.find("Gesamtbetrag brutto"), std::string::npos);
  EXPECT_EQ(text.find("0 %"), std::string::npos);
}

TEST(InvoicePdfTest, CancellationIsAStornorechnungWithNegativeAmounts) {
  Invoice original = MakeInvoice();
  Invoice cancellation = domain::MakeCancellation(original, D(2026, 12, 2));
  cancellation.number = "RE-2026-0043";
  cancellation.status = domain::InvoiceStatus::kFinalized;
  ASSERT_EQ(cancellation.totals.gross_cents, -161902);

  auto pdf = Render(MakeSchool(), cancellation);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  for (const char* expected :
       {"Stornorechnung Nr. RE-2026-0043", "Storno zur Rechnung RE-2026-0042", "02.12.2026",
        "Jürgen Groß", "-1.234,56 €", "-1.362,03 €", "-255,94 €", "-1,05 €", "-1.619,02 €"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
  }
  // The domain's prefilled note repeats the intro sentence; it is printed once.
  EXPECT_EQ(Count(text, "Storno zur Rechnung RE-2026-0042"), 1u);
  EXPECT_EQ(text.find("Zahlbar innerhalb"), std::string::npos);
}

TEST(InvoicePdfTest, GrossPricesAreLabelledAndTotalsStillShowNetAndTax) {
  const Invoice invoice = MakeInvoice(domain::PriceEntry::kGross);
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("Bruttopreise"), std::string::npos);
  EXPECT_NE(text.find("(brutto)"), std::string::npos);
  EXPECT_EQ(text.find("(netto)"), std::string::npos);
  const domain::VatGroup& high = invoice.totals.groups.back();
  ASSERT_EQ(high.rate, 19);
  EXPECT_NE(text.find("zzgl. 19 % USt. auf " + FormatEuroDe(high.net_cents)), std::string::npos);
  EXPECT_NE(text.find(FormatEuroDe(high.tax_cents)), std::string::npos);
  EXPECT_NE(text.find(FormatEuroDe(invoice.totals.net_cents)), std::string::npos);
  EXPECT_NE(text.find(FormatEuroDe(invoice.totals.gross_cents)), std::string::npos);
}

TEST(InvoicePdfTest, ServicePeriodAndForeignAddress) {
  Invoice invoice = MakeInvoice();
  invoice.service_period_end = D(2026, 11, 26);
  invoice.customer_snapshot.address = {"Mariahilfer Straße 1", "1060", "Wien", "AT"};
  invoice.customer_snapshot.contact_person = "z. Hd. Frau Österreicher";
  invoice.customer_snapshot.name = "Tierschutzverein Wien";
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("Leistungszeitraum"), std::string::npos);
  EXPECT_NE(text.find("20.11.2026 – 26.11.2026"), std::string::npos);
  EXPECT_NE(text.find("ÖSTERREICH"), std::string::npos);
  EXPECT_NE(text.find("z. Hd. Frau Österreicher"), std::string::npos);
}

TEST(InvoicePdfTest, TextOutsideWindows1252UsesTheUnicodeFont) {
  Invoice invoice = MakeInvoice();
  invoice.customer_snapshot.name = "Łukasz Yılmaz-Dvořák";
  invoice.lines[0].text = "Kurs für Şahin & Żaneta – Ελλάδα";
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const std::string text = PdfText(*pdf);
  EXPECT_NE(text.find("Łukasz Yılmaz-Dvořák"), std::string::npos) << text;
  EXPECT_NE(text.find("Kurs für Şahin & Żaneta – Ελλάδα"), std::string::npos);
  EXPECT_NE(text.find("1.619,02 €"), std::string::npos);
  EXPECT_NE(text.find("Hundeschule Pfotenglück"), std::string::npos);

  // Only these words need DejaVu, and only the regular weight is used for them: it is embedded
  // (a viewer has no other font with these glyphs), everything else stays base-14 Helvetica.
  const std::string fonts = PdfFonts(*pdf);
  EXPECT_EQ(Count(fonts, "DejaVuSans"), 1u) << fonts;
  EXPECT_NE(fonts.find("Identity-H       yes yes yes"), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("Helvetica "), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("Helvetica-Bold "), std::string::npos) << fonts;
  EXPECT_NE(pdf->find("/FontFile2"), std::string::npos);
}

TEST(InvoicePdfTest, GermanInvoiceEmbedsNoFontAndIsSmall) {
  auto pdf = Render(MakeSchool(), MakeInvoice());
  ASSERT_RENDERED(pdf);
  // Umlauts, ß, € and the typographic quotes are all in Windows-1252: the base-14 fonts with
  // WinAnsiEncoding carry them, so no font program is embedded and the PDF stays a few KB.
  EXPECT_EQ(pdf->find("/FontFile"), std::string::npos);
  EXPECT_EQ(pdf->find("DejaVu"), std::string::npos);
  EXPECT_EQ(Count(*pdf, "/Encoding /WinAnsiEncoding"), 2u);
  EXPECT_LT(pdf->size(), 20u * 1024) << pdf->size();
  const std::string fonts = PdfFonts(*pdf);
  std::istringstream lines(fonts);
  std::string line;
  std::vector<std::string> names;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("name", 0) == 0 || line.rfind("---", 0) == 0) continue;
    names.push_back(line.substr(0, line.find(' ')));
    EXPECT_NE(line.find("Type 1            WinAnsi          no  no  no"), std::string::npos)
        << line;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Helvetica", "Helvetica-Bold"})) << fonts;
  const std::string text = PdfText(*pdf);
  for (const char* expected : {"Jürgen Groß", "Hauptstraße 5", "Leckerli-Beutel „Pansen“",
                               "1.234,56 €", "Gesamtbetrag brutto", "1.619,02 €"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
  }

  // A six-page invoice stays small, too.
  Invoice long_invoice = MakeInvoice();
  long_invoice.lines.assign(120, Line("Trainingseinheit Rückruf üben", 1000, "Stunde", 4500, 19));
  long_invoice.totals = domain::ComputeTotals(long_invoice.lines, long_invoice.price_entry);
  auto long_pdf = Render(MakeSchool(), long_invoice);
  ASSERT_RENDERED(long_pdf);
  EXPECT_GT(PdfPages(*long_pdf), 3);
  EXPECT_LT(long_pdf->size(), 20u * 1024) << long_pdf->size();
}

TEST(InvoicePdfTest, RightAlignedAmountsEndAtTheRightMargin) {
  // Amounts are placed by their width in the font they are drawn with; poppler computes the
  // glyph boxes from the widths in the PDF, so a width from the wrong font shows up here.
  Invoice invoice = MakeInvoice();
  invoice.customer_snapshot.name = "Łukasz Yılmaz";  // the Unicode font is in the document, too
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const std::string html =
      RunTool(std::string(HS_PDFTOTEXT) + " -bbox '" + WritePdf(*pdf) + "' - 2>/dev/null");
  const std::regex word(
      R"#(<word xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</word>)#");
  const double right = 190 * 72 / 25.4;
  int euros = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), word); it != std::sregex_iterator();
       ++it) {
    if ((*it)[3] != "€") continue;
    // Every amount ends in "€"; those in the table's last column and the totals end at the
    // right margin, the others (unit price, "auf 1.347,06 €") end left of it.
    const double x_max = std::stod((*it)[2]);
    if (x_max > right - 5) {
      ++euros;
      EXPECT_NEAR(x_max, right, 0.3) << it->str();
    }
  }
  // Three line amounts, net, two tax amounts and the gross total.
  EXPECT_EQ(euros, 7) << html;
}

TEST(InvoicePdfTest, LongInvoiceBreaksPagesAndRepeatsTheTableHeader) {
  Invoice invoice = MakeInvoice();
  invoice.lines.clear();
  for (int i = 1; i <= 120; ++i) {
    char text[160];
    std::snprintf(text, sizeof text, "Trainingseinheit %03d Rückruf üben", i);
    std::string line_text = text;
    // Every tenth line is long enough to wrap over several lines.
    if (i % 10 == 0) {
      line_text +=
          " – ausführliche Übungsbeschreibung mit Leinenführigkeit, Impulskontrolle, "
          "Begegnungstraining mit anderen Hunden und einer schriftlichen Auswertung für die "
          "Halterin";
    }
    invoice.lines.push_back(Line(line_text, 1000, "Stunde", 4500, 19));
  }
  invoice.totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);

  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  const int pages = PdfPages(*pdf);
  // Measured layout (Helvetica metrics): 16 rows (one of them a five-line row) fit on the first
  // page, 24-26 on each continuation page, so the last page holds rows 117-120 and the totals.
  EXPECT_EQ(pages, 6);
  const std::string text = PdfText(*pdf);
  for (int page = 1; page <= pages; ++page) {
    const std::string marker = "Seite " + std::to_string(page) + " von " + std::to_string(pages);
    EXPECT_EQ(Count(text, marker), 1u) << marker;
  }
  // The table header is repeated on every page that continues the table (all of them here).
  EXPECT_EQ(Count(text, "Beschreibung"), static_cast<std::size_t>(pages));
  std::size_t last = 0;
  for (int i = 1; i <= 120; ++i) {
    char marker[64];
    std::snprintf(marker, sizeof marker, "Trainingseinheit %03d", i);
    const std::size_t pos = text.find(marker);
    ASSERT_NE(pos, std::string::npos) << marker;
    EXPECT_GT(pos, last) << marker << " out of order";
    last = pos;
  }
  EXPECT_NE(text.find("schriftlichen Auswertung"), std::string::npos);
  EXPECT_NE(text.find(FormatEuroDe(invoice.totals.gross_cents)), std::string::npos);
  // The totals come after the last line.
  EXPECT_GT(text.find("Gesamtbetrag brutto"), last);
}

TEST(InvoicePdfTest, WrappedTextStaysInsideTheMargins) {
  Invoice invoice = MakeInvoice();
  invoice.lines[1].text =
      "Sehr lange Beschreibung einer Leistung: Verhaltensberatung bei Leinenaggression, "
      "Hausbesuch inklusive Anfahrt, Erstellung eines individuellen Trainingsplans, zwei "
      "Nachbesprechungen per Telefon und ausführlicher Abschlussbericht – "
      "Donaudampfschifffahrtsgesellschaftskapitänsmützenhundeleine";
  // Words in the Unicode font are measured with that font's widths, mixed in a line with
  // Helvetica words.
  invoice.lines[0].text =
      "Gruppenkurs für Łukasz, Żaneta, Şahin und Yılmaz – Ελληνικά μαθήματα για σκύλους, "
      "Begleithundeprüfung Ćwiczenia Übungsplatz Dvořák Øresund Štěpán Łódź Kraków Gdańsk";
  invoice.notes = std::string(300, 'x');  // one unbreakable word, must be cut
  invoice.totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);

  const std::string html =
      RunTool(std::string(HS_PDFTOTEXT) + " -bbox '" + WritePdf(*pdf) + "' - 2>/dev/null");
  const std::regex word(
      R"#(<word xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</word>)#");
  const double right_margin = 595.276 - 20 * 72 / 25.4;
  // The description column ends at 104 mm, its text 2 mm before that.
  const double description_right = 102 * 72 / 25.4;
  const std::string mixed = invoice.lines[0].text;
  int words = 0;
  int mixed_words = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), word); it != std::sregex_iterator();
       ++it) {
    ++words;
    EXPECT_GE(std::stod((*it)[1]), 25 * 72 / 25.4 - 0.5);
    EXPECT_LE(std::stod((*it)[2]), right_margin + 0.5) << it->str();
    const std::string text = (*it)[3];
    if (text.size() > 4 && mixed.find(text) != std::string::npos) {
      ++mixed_words;
      EXPECT_LE(std::stod((*it)[2]), description_right + 0.5) << it->str();
    }
  }
  EXPECT_GT(words, 100);
  EXPECT_GE(mixed_words, 15);
}

TEST(InvoicePdfTest, RendersAreByteIdentical) {
  const School school = MakeSchool();
  const Invoice invoice = MakeInvoice();
  Invoice other = MakeInvoice();
  other.number = "RE-2026-0099";
  other.customer_snapshot.name = "Łukasz Ärger";  // uses more glyphs and the Unicode font
  other.lines[0].text = "Ganz andere Zeichen: QXZ qxz 0123456789 ¡¿";

  const InvoicePdfRenderer renderer{PdfSettings{}};
  auto first = renderer.Render(school, invoice);
  ASSERT_RENDERED(first);
  auto second = renderer.Render(school, invoice);
  ASSERT_RENDERED(second);
  EXPECT_EQ(*first, *second);

  // What the thread rendered before must not leak into the next document.
  auto different = renderer.Render(school, other);
  ASSERT_RENDERED(different);
  EXPECT_NE(*different, *first);
  auto third = renderer.Render(school, invoice);
  ASSERT_RENDERED(third);
  EXPECT_EQ(*third, *first);

  // A fresh thread (fresh libharu handle) and another renderer instance give the same bytes.
  Result<std::string> on_thread = Internal("not run");
  std::thread([&] {
    on_thread = InvoicePdfRenderer(PdfSettings{}).Render(school, invoice);
  }).join();
  ASSERT_RENDERED(on_thread);
  EXPECT_EQ(*on_thread, *first);
  // The same holds for a document that needed the lazily created Unicode font.
  Result<std::string> other_on_thread = Internal("not run");
  std::thread([&] { other_on_thread = renderer.Render(school, other); }).join();
  ASSERT_RENDERED(other_on_thread);
  EXPECT_EQ(*other_on_thread, *different);

  // The document dates come from the invoice, not from the clock; there is no random /ID.
  EXPECT_NE(first->find("/CreationDate (D:20261127083000+00'00')"), std::string::npos);
  EXPECT_NE(first->find("/ModDate (D:20261127083000+00'00')"), std::string::npos);
  EXPECT_EQ(first->find("/ID"), std::string::npos);
}

TEST(InvoicePdfTest, EmbedAllFontsLeavesNoBase14Font) {
  // PDF/A (the Factur-X invoice) needs every font embedded, the WinAnsi text included.
  Invoice invoice = MakeInvoice();
  invoice.customer_snapshot.name = "Łukasz Yılmaz";
  PdfSettings settings;
  settings.embed_all_fonts = true;
  auto pdf = InvoicePdfRenderer(settings).Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  EXPECT_EQ(pdf->find("Helvetica"), std::string::npos);
  const std::string fonts = PdfFonts(*pdf);
  std::istringstream lines(fonts);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("name", 0) == 0 || line.rfind("---", 0) == 0) continue;
    ++count;
    EXPECT_NE(line.find(" yes yes "), std::string::npos) << line;  // embedded, subset
  }
  EXPECT_EQ(count, 3) << fonts;  // DejaVu regular and bold for WinAnsi, regular as Type0
  const std::string text = PdfText(*pdf);
  for (const char* expected : {"Łukasz Yılmaz", "Hauptstraße 5", "1.619,02 €"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
  }
  EXPECT_EQ(*pdf, *InvoicePdfRenderer(settings).Render(MakeSchool(), invoice));
}

TEST(InvoicePdfTest, ReducedAnsiFontsAreEmbeddedWhole) {
  // The PDF/A path: the reduced DejaVu is not subset by libharu but embedded whole, compressed
  // once per thread; the text outside Windows-1252 still comes as an embedded DejaVu subset.
  Invoice invoice = MakeInvoice();
  invoice.customer_snapshot.name = "Łukasz Yılmaz";
  PdfSettings settings;
  settings.embed_all_fonts = true;
  settings.embedded_ansi_font_dir = HS_PDFA_FONT_DIR;
  auto pdf = InvoicePdfRenderer(settings).Render(MakeSchool(), invoice);
  ASSERT_RENDERED(pdf);
  EXPECT_EQ(pdf->find("Helvetica"), std::string::npos);
  const std::string fonts = PdfFonts(*pdf);
  std::istringstream lines(fonts);
  std::string line;
  int whole = 0;
  int subset = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("name", 0) == 0 || line.rfind("---", 0) == 0) continue;
    if (line.find(" yes no ") != std::string::npos) {
      ++whole;
      EXPECT_EQ(line.rfind("DejaVuSansWinAnsi", 0), 0u) << line;  // no subset tag
    } else {
      ++subset;
      EXPECT_NE(line.find(" yes yes "), std::string::npos) << line;  // embedded, subset
    }
  }
  EXPECT_EQ(whole, 2) << fonts;   // regular and bold for the WinAnsi text
  EXPECT_EQ(subset, 1) << fonts;  // the Type0 DejaVu
  // The whole program is there (/Length1 is the file's size), flate-compressed.
  for (const char* file : {"/DejaVuSans.ttf", "/DejaVuSans-Bold.ttf"}) {
    const auto size = std::filesystem::file_size(std::string(HS_PDFA_FONT_DIR) + file);
    EXPECT_NE(pdf->find("/Length1 " + std::to_string(size) + "\n/Filter /FlateDecode"),
              std::string::npos)
        << file;
  }
  const std::string text = PdfText(*pdf);
  for (const char* expected : {"Łukasz Yılmaz", "Hauptstraße 5", "1.619,02 €", "„Pansen“"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected;
  }
  // Same bytes from this thread's handle and from a fresh one on another thread.
  EXPECT_EQ(*pdf, *InvoicePdfRenderer(settings).Render(MakeSchool(), invoice));
  std::string other;
  std::thread([&] {
    other = InvoicePdfRenderer(settings).Render(MakeSchool(), invoice).value_or("");
  }).join();
  EXPECT_EQ(*pdf, other);
}

TEST(InvoicePdfTest, CompressedFontsAreSmallerButEquallyReadable) {
  // Only a document with text outside Windows-1252 embeds a font at all.
  Invoice invoice = MakeInvoice();
  invoice.customer_snapshot.name = "Łukasz Yılmaz";
  PdfSettings settings;
  settings.compress_fonts = true;
  auto small = InvoicePdfRenderer(settings).Render(MakeSchool(), invoice);
  auto large = Render(MakeSchool(), invoice);
  ASSERT_RENDERED(small);
  ASSERT_RENDERED(large);
  EXPECT_LT(small->size() * 2, large->size());
  const std::string text = PdfText(*small);
  EXPECT_NE(text.find("1.619,02 €"), std::string::npos);
  EXPECT_NE(text.find("Łukasz Yılmaz"), std::string::npos);
}

TEST(InvoicePdfTest, RejectsAnInvoiceWithoutNumber) {
  Invoice invoice = MakeInvoice();
  invoice.number.reset();
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_FALSE(pdf.has_value());
  EXPECT_EQ(pdf.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pdf.error().reason, "invoice_not_finalized");
}

TEST(InvoicePdfTest, RefusesTextItCannotPrintAsTyped) {
  // Emoji used to print as '?', Hebrew reversed: the renderer refuses instead of changing text.
  Invoice invoice = MakeInvoice();
  invoice.lines[0].text = "Welpenkurs 🐕";
  invoice.customer_snapshot.name = "שרה לוי";
  auto pdf = Render(MakeSchool(), invoice);
  ASSERT_FALSE(pdf.has_value());
  EXPECT_EQ(pdf.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pdf.error().reason, "unprintable_characters");
  ASSERT_EQ(pdf.error().details.size(), 2u);
  EXPECT_EQ(pdf.error().details[0].field, "lines[0].text");
  EXPECT_EQ(pdf.error().details[1].field, "customer.name");

  // A cancellation repeats its frozen original and is still rendered.
  invoice.kind = domain::InvoiceKind::kCancellation;
  invoice.cancels_invoice_number = "RE-2026-0001";
  EXPECT_TRUE(Render(MakeSchool(), invoice).has_value());
}

TEST(InvoicePdfTest, MissingFontsAreAnErrorNotACrash) {
  PdfSettings settings;
  settings.font_dir = ::testing::TempDir() + "no-fonts-here";
  auto pdf = InvoicePdfRenderer(settings).Render(MakeSchool(), MakeInvoice());
  ASSERT_FALSE(pdf.has_value());
  EXPECT_EQ(pdf.error().code, ErrorCode::kInternal);
  EXPECT_EQ(pdf.error().reason, "pdf_font_missing");

  // A file that is not a TrueType font fails inside libharu; its error callback must turn
  // into a Result, too.
  const std::string dir = ::testing::TempDir() + "hs_pdf_bad_fonts";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/DejaVuSans.ttf") << "not a font";
  std::ofstream(dir + "/DejaVuSans-Bold.ttf") << "not a font either";
  settings.font_dir = dir;
  pdf = InvoicePdfRenderer(settings).Render(MakeSchool(), MakeInvoice());
  ASSERT_FALSE(pdf.has_value());
  EXPECT_EQ(pdf.error().reason, "pdf_font_invalid") << pdf.error().message;

  // The thread recovers with good settings.
  auto good = Render(MakeSchool(), MakeInvoice());
  ASSERT_RENDERED(good);
}

}  // namespace
}  // namespace hs::pdf
