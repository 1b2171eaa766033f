#pragma once
// The amounts of an e-invoice, derived from a finalized invoice in integer cents.
//
// EN 16931 states line amounts and prices net of VAT (BT-131, BT-146) and requires the line nets
// to add up exactly to each VAT group's taxable amount (BR-S-08, BR-E-08, BR-CO-10). For an
// invoice entered with net prices that is the product's rounding rule as it is. For gross prices
// the group net is rounded once from the group's gross sum (domain/invoice.hpp), so the line nets
// are derived here: each line's gross converted on its own, and the few cents by which their sum
// misses the group net are put on the group's largest line.
//
// A cancellation is sent as a credit note (381) with the amounts of the cancelled invoice, i.e.
// with the signs of the Stornorechnung flipped (docs/adr/0016-cancellation-as-credit-note.md).
#include <vector>

#include "core/money.hpp"
#include "domain/invoice.hpp"

namespace hs::einvoice {

struct LineAmounts {
  Milli quantity = 0;          // BT-129, signed as sent
  std::int64_t net_price = 0;  // BT-146 in 1/10000 euro (4 decimals), never negative (BR-27)
  Cents net_cents = 0;         // BT-131
};

struct DocumentAmounts {
  std::vector<LineAmounts> lines;  // in the invoice's line order
  domain::Totals totals;           // groups ascending by rate, signed as sent
};

// The amounts as written into the XML. kInternal when the invoice's stored totals do not match
// its lines (a finalized invoice never changes, so that is a bug, not an input problem).
Result<DocumentAmounts> ComputeDocumentAmounts(const domain::Invoice& invoice);

}  // namespace hs::einvoice
