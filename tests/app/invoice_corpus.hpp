#pragma once
// Random invoices for the cent-exactness corpus (issue 12, ADR 0010): rates 0/7/19 %, quantities
// with up to 3 decimals, net- and gross-priced, 1-30 lines, line amounts from 0.01 € to
// 50,000 €, some cancelled. Seeded: the same seed gives the same corpus.
#include <cstdint>
#include <random>
#include <vector>

#include "domain/invoice.hpp"

namespace hs::app::testing {

struct CorpusInvoice {
  domain::PriceEntry price_entry = domain::PriceEntry::kNet;
  std::vector<domain::InvoiceLine> lines;
  bool cancel = false;  // cancel it after finalizing (a Stornorechnung is transferred too)
};

class InvoiceCorpus {
 public:
  explicit InvoiceCorpus(std::uint64_t seed) : rng_(seed) {}
  // Kleinunternehmer invoices have only 0 % lines.
  CorpusInvoice Next(bool kleinunternehmer);

 private:
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi);
  Milli Quantity();
  domain::InvoiceLine Line(bool kleinunternehmer);

  std::mt19937_64 rng_;
};

}  // namespace hs::app::testing
