#include "samples.hpp"

#include <chrono>

namespace hs::einvoice::testing {
namespace {

using namespace std::chrono;
using domain::PriceEntry;

domain::PartySnapshot PrivateCustomer() {
  return {"Erika Mustermann & Söhne <Hunde>",
          "",
          {"Hauptstraße 5", "10115", "Berlin", "DE"},
          "erika@example.org",
          1042};
}

domain::PartySnapshot Authority() {
  return {"Stadt Musterstadt, Ordnungsamt",
          "Frau Beispiel",
          {"Rathausplatz 1", "50667", "Köln", "DE"},
          "rechnungen@musterstadt.example",
          7,
          domain::EInvoiceKind::kNone,
          "",
          "DE987654321"};
}

Options XRechnungOptions() {
  return {Profile::kXRechnung, "05315000-12345-67", "Anna Hundetrainerin"};
}

std::vector<domain::InvoiceLine> MixedLines() {
  // Half-cent edges: 0.50 * 19 % = 0.095, 1.50 * 7 % = 0.105; thirds and odd quantities.
  return {Line("Welpenstunde", 1500, "Stunde", 3333, 19),
          Line("Leckerli-Beutel", 3000, "Stk", 17, 7), Line("Clicker", 1000, "Stk", 50, 19),
          Line("Fachbuch \"Hundeerziehung\"", 1000, "Stk", 150, 7),
          Line("Einzeltraining 20 min", 333, "Stunde", 4999, 19)};
}

std::vector<domain::InvoiceLine> LongLines() {
  std::vector<domain::InvoiceLine> lines;
  for (int i = 0; i < 200; ++i) {
    const int rate = i % 3 == 0 ? 7 : 19;
    lines.push_back(Line("Trainingseinheit " + std::to_string(i + 1), 250 + 125 * (i % 7), "Stunde",
                         1999 + 37 * i, rate));
  }
  return lines;
}

}  // namespace

domain::School RegularSchool() {
  domain::School school;
  school.id = 1;
  school.name = "Hundeschule Pfotenglück GmbH";
  school.address = {"Am Hundeplatz 3", "80331", "München", "DE"};
  school.email = "info@pfotenglueck.example";
  school.phone = "+49 89 1234567";
  school.tax_number = "143/123/45678";
  school.vat_id = "DE123456789";
  school.iban = "DE89370400440532013000";
  school.bic = "COBADEFFXXX";
  school.bank_name = "Commerzbank";
  return school;
}

domain::School KleinunternehmerSchool() {
  domain::School school = RegularSchool();
  school.name = "Hundeschule Wuff - Inh. Tom Beispiel";
  school.vat_id.clear();
  school.tax_mode = domain::TaxMode::kKleinunternehmer;
  return school;
}

domain::InvoiceLine Line(std::string text, Milli quantity, std::string unit, Cents price,
                         int rate) {
  return {std::move(text), quantity, std::move(unit), price, rate};
}

domain::Invoice Finalized(std::vector<domain::InvoiceLine> lines, PriceEntry entry,
                          std::string number) {
  domain::Invoice invoice;
  invoice.id = 1;
  invoice.school_id = 1;
  invoice.customer_id = 1;
  invoice.status = domain::InvoiceStatus::kFinalized;
  invoice.number = std::move(number);
  invoice.invoice_date = year{2026} / November / 27;
  invoice.price_entry = entry;
  invoice.lines = std::move(lines);
  invoice.totals = domain::ComputeTotals(invoice.lines, entry);
  invoice.customer_snapshot = PrivateCustomer();
  return invoice;
}

namespace {

domain::Invoice Cancelled(const domain::Invoice& original, std::string number) {
  domain::Invoice c = domain::MakeCancellation(original, year{2026} / December / 3);
  c.status = domain::InvoiceStatus::kFinalized;
  c.number = std::move(number);
  return c;
}

Sample Regular() {
  auto invoice = Finalized({Line("Gruppenkurs Grundgehorsam (8 Termine)", 1000, "Kurs", 24900, 19),
                            Line("Einzelstunde", 2000, "Stunde", 6500, 19),
                            Line("Schleppleine 10 m", 1000, "Stk", 1999, 19)},
                           PriceEntry::kNet, "RE-2026-0001");
  invoice.service_date = year{2026} / November / 20;
  invoice.notes = "Vielen Dank für Ihr Vertrauen!";
  return {"regular-19", invoice, RegularSchool(), {}};
}

Sample MixedGross() {
  auto invoice = Finalized(MixedLines(), PriceEntry::kGross, "RE-2026-0003");
  invoice.service_date = year{2026} / October / 1;
  invoice.service_period_end = year{2026} / October / 31;
  return {"mixed-gross", invoice, RegularSchool(), {}};
}

Sample Kleinunternehmer() {
  auto invoice =
      Finalized({Line("Welpenkurs (6 Termine)", 1000, "Kurs", 18000, 0),
                 Line("Hausbesuch", 1500, "Stunde", 5500, 0), Line("Anfahrt", 12500, "km", 30, 0)},
                PriceEntry::kGross, "2026-017");
  invoice.service_date = year{2026} / September / 1;
  invoice.service_period_end = year{2026} / October / 15;
  return {"kleinunternehmer", invoice, KleinunternehmerSchool(), {}};
}

Sample Authority(std::string name, domain::School school) {
  auto invoice = Finalized(
      {Line("Sachkundeschulung Hundehalter", 1000, "Tag", 45000, 19),
       Line("Prüfungsgebühr", 12000, "Stk", 4500, 19), Line("Skript", 12000, "Stk", 1290, 7)},
      PriceEntry::kNet, "RE-2026-0100");
  if (school.tax_mode == domain::TaxMode::kKleinunternehmer) {
    for (auto& line : invoice.lines) line.vat_rate = 0;
    invoice.totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);
  }
  invoice.customer_snapshot = Authority();
  return {std::move(name), invoice, std::move(school), XRechnungOptions()};
}

}  // namespace

std::vector<Sample> AllSamples() {
  std::vector<Sample> samples{Regular(), MixedGross(), Kleinunternehmer()};
  auto mixed = Finalized(MixedLines(), PriceEntry::kNet, "RE-2026-0002");
  samples.push_back({"mixed-net", mixed, RegularSchool(), {}});
  samples.push_back(
      {"cancellation", Cancelled(Regular().invoice, "RE-2026-0004"), RegularSchool(), {}});
  samples.push_back(
      {"cancellation-gross", Cancelled(MixedGross().invoice, "RE-2026-0005"), RegularSchool(), {}});
  samples.push_back({"long-200-lines",
                     Finalized(LongLines(), PriceEntry::kNet, "RE-2026-0200"),
                     RegularSchool(),
                     {}});
  samples.push_back(Authority("xrechnung-authority", RegularSchool()));
  samples.push_back(Authority("xrechnung-kleinunternehmer", KleinunternehmerSchool()));
  auto authority = Authority("", RegularSchool());
  samples.push_back({"xrechnung-cancellation", Cancelled(authority.invoice, "RE-2026-0101"),
                     RegularSchool(), XRechnungOptions()});
  auto long_gross = Finalized(LongLines(), PriceEntry::kGross, "RE-2026-0201");
  long_gross.customer_snapshot = Authority();
  samples.push_back({"xrechnung-long-gross", long_gross, RegularSchool(), XRechnungOptions()});
  return samples;
}

}  // namespace hs::einvoice::testing
