#include "invoice_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace hs::app::testing {

namespace {
constexpr Cents kMinLineAmount = 1;          // 0.01 €
constexpr Cents kMaxLineAmount = 5'000'000;  // 50,000 €
constexpr int kRates[] = {0, 7, 19};
}  // namespace

std::int64_t InvoiceCorpus::Uniform(std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
}

// 1 to 3 decimals or none; from 0.001 to 1,000 units.
Milli InvoiceCorpus::Quantity() {
  switch (Uniform(0, 3)) {
    case 0:
      return Uniform(1, 20) * 1000;  // whole units, the usual case
    case 1:
      return Uniform(1, 9999) * 100;  // 0.1 .. 999.9
    case 2:
      return Uniform(1, 99999) * 10;  // 0.01 .. 999.99
    default:
      return Uniform(1, 999999);  // 0.001 .. 999.999
  }
}

// A line whose amount (quantity x unit price, rounded) lies in [0.01 €, 50,000 €]; amounts are
// drawn log-uniformly, so cents and half cents are as common as large sums.
domain::InvoiceLine InvoiceCorpus::Line(bool kleinunternehmer) {
  domain::InvoiceLine line;
  line.text = "Position";
  line.unit = "Stk";
  line.vat_rate = kleinunternehmer ? 0 : kRates[Uniform(0, 2)];
  const double log_amount = std::uniform_real_distribution<double>(
      0, std::log(static_cast<double>(kMaxLineAmount)))(rng_);
  const Cents target =
      std::clamp<Cents>(static_cast<Cents>(std::exp(log_amount)), kMinLineAmount, kMaxLineAmount);
  line.quantity = Quantity();
  line.unit_price_cents =
      std::clamp<Cents>(RoundDiv(target * 1000, line.quantity), 1, domain::kMaxUnitPrice);
  // Pull the amount back into range where rounding of the unit price pushed it out.
  while (domain::LineAmount(line) > kMaxLineAmount && line.unit_price_cents > 1) {
    --line.unit_price_cents;
  }
  while (domain::LineAmount(line) < kMinLineAmount) line.quantity += 1000;
  return line;
}

CorpusInvoice InvoiceCorpus::Next(bool kleinunternehmer) {
  CorpusInvoice invoice;
  invoice.price_entry = Uniform(0, 1) ? domain::PriceEntry::kNet : domain::PriceEntry::kGross;
  const auto lines = Uniform(1, 30);
  for (std::int64_t i = 0; i < lines; ++i) invoice.lines.push_back(Line(kleinunternehmer));
  invoice.cancel = Uniform(0, 9) == 0;
  return invoice;
}

}  // namespace hs::app::testing
