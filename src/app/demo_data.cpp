#include "app/demo_data.hpp"

#include <array>
#include <cstdio>

#include "core/clock.hpp"

namespace hs::app {

namespace {
constexpr std::array kFirstNames = {"Anna",   "Jonas", "Lea",  "Lukas",  "Marie",  "Paul",
                                    "Sophie", "Felix", "Emma", "Jürgen", "Hannah", "Björn"};
constexpr std::array kLastNames = {"Müller",  "Schmidt", "Schneider", "Fischer", "Weber",
                                   "Meyer",   "Wagner",  "Becker",    "Schulz",  "Hoffmann",
                                   "Schäfer", "Koch",    "Bauer",     "Richter", "Klein"};
constexpr std::array kDogs = {"Bello", "Luna", "Rocky", "Emma", "Balu", "Nala", "Sammy", "Frieda"};
constexpr std::array kBreeds = {"Labrador",    "Dackel", "Border Collie",   "Mischling",
                                "Schäferhund", "Pudel",  "Golden Retriever"};
constexpr std::array kCities = {std::pair{"10115", "Berlin"}, std::pair{"20095", "Hamburg"},
                                std::pair{"80331", "München"}, std::pair{"50667", "Köln"},
                                std::pair{"04109", "Leipzig"}};
struct Service {
  const char* text;
  const char* unit;
  Cents price;  // net
  int vat;
};
constexpr std::array kServices = {
    Service{"Einzelstunde Hundetraining", "Stunde", 5500, 19},
    Service{"Welpenkurs (8 Termine)", "Kurs", 16000, 19},
    Service{"Junghundekurs (6 Termine)", "Kurs", 13500, 19},
    Service{"Hundeführerschein Vorbereitung", "Kurs", 19900, 19},
    Service{"Social Walk", "Stk", 1800, 19},
    Service{"Fachbuch „Hundeerziehung“", "Stk", 1869, 7},
    Service{"Anti-Giftköder-Training", "Stunde", 4500, 19},
};
constexpr std::array kSuppliers = {
    std::pair{"Tierbedarf Nord GmbH", "Leckerlis und Trainingszubehör"},
    std::pair{"Stadtwerke", "Strom Trainingshalle"},
    std::pair{"Druckerei Schwarz", "Flyer und Visitenkarten"},
    std::pair{"Versicherung AG", "Betriebshaftpflicht"}};
}  // namespace

std::string MinimalPdf(const std::string& text) {
  std::string safe;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') safe += '\\';
    if (static_cast<unsigned char>(c) < 0x80) safe += c;
  }
  const std::string stream = "BT /F1 14 Tf 72 720 Td (" + safe + ") Tj ET";
  std::string objs[] = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << "
      "/Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < std::size(objs); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(std::size(objs) + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%010zu 00000 n \n", off);
    pdf += buf;
  }
  pdf += "trailer\n<< /Size " + std::to_string(std::size(objs) + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

Result<DemoResult> CreateDemoSchool(SchoolService& schools, CustomerService& customers,
                                    InvoiceService& invoices, ReceiptService& receipts,
                                    const Clock& clock, const DemoSettings& settings) {
  SeededRandom rng(settings.seed);
  auto pick = [&](auto const& arr) { return arr[rng.Below(arr.size())]; };
  domain::School school;
  school.name = settings.school_name;
  school.address = {"Bellostraße 12", "10115", "Berlin", "DE"};
  school.email = "info@pfotenglueck.example";
  school.phone = "030 1234567";
  school.tax_number = "30/123/45678";
  school.vat_id = "DE123456789";
  school.iban = "DE02120300000000202051";
  school.bic = "BYLADEM1001";
  school.bank_name = "Deutsche Kreditbank";
  auto school_id = schools.CreateSchool(school);
  if (!school_id) return tl::unexpected(school_id.error());
  auto user =
      schools.AddUser(*school_id, settings.owner_email, settings.owner_password, Role::kOwner);
  if (!user) return tl::unexpected(user.error());

  DemoResult result;
  result.school_id = *school_id;
  std::vector<std::int64_t> customer_ids;
  for (int i = 0; i < settings.customers; ++i) {
    domain::Customer c;
    const auto [zip, city] = pick(kCities);
    if (i % 10 == 9) {
      c.kind = domain::CustomerKind::kCompany;
      c.company_name = std::string("Tierarztpraxis ") + pick(kLastNames);
      c.contact_person = std::string(pick(kFirstNames)) + " " + pick(kLastNames);
    } else {
      c.salutation = i % 2 ? "Herr" : "Frau";
      c.first_name = pick(kFirstNames);
      c.last_name = pick(kLastNames);
    }
    c.address = {std::string("Hauptstraße ") + std::to_string(1 + rng.Below(120)), zip, city, "DE"};
    c.email = "kunde" + std::to_string(i + 1) + "@example.org";
    c.dogs.push_back({pick(kDogs), pick(kBreeds)});
    auto created = customers.Create(*school_id, c);
    if (!created) return tl::unexpected(created.error());
    customer_ids.push_back(created->id);
    ++result.customers;
  }

  const Date today = BerlinDateOf(clock.Now());
  std::vector<std::int64_t> finalized;
  for (int i = 0; i < settings.invoices; ++i) {
    domain::Invoice inv;
    inv.customer_id = customer_ids[rng.Below(customer_ids.size())];
    // Spread over the past year, oldest first, so numbers ascend with dates.
    const int days_ago = 365 - (i * 365) / std::max(1, settings.invoices);
    inv.invoice_date = AddDays(today, -days_ago);
    inv.service_date = AddDays(inv.invoice_date, -static_cast<int>(rng.Below(7)));
    const int n_lines = 1 + static_cast<int>(rng.Below(3));
    for (int l = 0; l < n_lines; ++l) {
      const Service& s = kServices[rng.Below(kServices.size())];
      domain::InvoiceLine line{s.text, 1000 * (1 + static_cast<Milli>(rng.Below(3))), s.unit,
                               s.price, s.vat};
      if (std::string(s.unit) == "Stunde" && rng.Below(3) == 0) line.quantity = 1500;
      inv.lines.push_back(line);
    }
    auto draft = invoices.CreateDraft(*school_id, inv);
    if (!draft) return tl::unexpected(draft.error());
    // The newest few stay drafts.
    if (i >= settings.invoices - 3) continue;
    auto fin = invoices.Finalize(*school_id, draft->id);
    if (!fin) return tl::unexpected(fin.error());
    finalized.push_back(fin->id);
    ++result.invoices;
  }
  for (int i = 0; i < settings.cancellations && i < static_cast<int>(finalized.size()); ++i) {
    auto cancelled = invoices.Cancel(
        *school_id, finalized[finalized.size() / 2 + i * 7 % (finalized.size() / 2)]);
    if (!cancelled) return tl::unexpected(cancelled.error());
    ++result.cancellations;
  }
  for (int i = 0; i < settings.expenses; ++i) {
    const auto [supplier, what] = kSuppliers[rng.Below(kSuppliers.size())];
    domain::NewExpense e;
    e.date = AddDays(today, -static_cast<int>(rng.Below(365)));
    e.amount_gross_cents = 1000 + static_cast<Cents>(rng.Below(30000));
    e.vat_rate = 19;
    e.description = what;
    e.supplier = supplier;
    e.number = "ER-" + std::to_string(1000 + i);
    auto r = receipts.CreateExpense(*school_id, e, "beleg-" + std::to_string(i + 1) + ".pdf",
                                    MinimalPdf(std::string("Beleg ") + e.number));
    if (!r) return tl::unexpected(r.error());
    ++result.expenses;
  }
  return result;
}

}  // namespace hs::app
