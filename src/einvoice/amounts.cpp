#include "einvoice/amounts.hpp"

#include <cstdlib>
#include <map>

namespace hs::einvoice {
namespace {

bool SameTotals(const domain::Totals& a, const domain::Totals& b) {
  if (a.net_cents != b.net_cents || a.tax_cents != b.tax_cents || a.gross_cents != b.gross_cents ||
      a.groups.size() != b.groups.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.groups.size(); ++i) {
    const auto& x = a.groups[i];
    const auto& y = b.groups[i];
    if (x.rate != y.rate || x.net_cents != y.net_cents || x.tax_cents != y.tax_cents ||
        x.gross_cents != y.gross_cents) {
      return false;
    }
  }
  return true;
}

domain::Totals Negated(domain::Totals totals) {
  for (auto& g : totals.groups) {
    g.net_cents = -g.net_cents;
    g.tax_cents = -g.tax_cents;
    g.gross_cents = -g.gross_cents;
  }
  totals.net_cents = -totals.net_cents;
  totals.tax_cents = -totals.tax_cents;
  totals.gross_cents = -totals.gross_cents;
  return totals;
}

// Gross entry: a line's net is its own gross converted; the group's remainder (a few cents at
// most, one per line in the worst case) goes on the line with the largest absolute net so the
// relative change stays smallest.
void DistributeGrossRemainders(const domain::Invoice& invoice, const domain::Totals& totals,
                               std::vector<LineAmounts>& lines) {
  std::map<int, Cents> sums;
  std::map<int, std::size_t> largest;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int rate = invoice.lines[i].vat_rate;
    sums[rate] += lines[i].net_cents;
    auto it = largest.find(rate);
    if (it == largest.end() ||
        std::llabs(lines[i].net_cents) > std::llabs(lines[it->second].net_cents)) {
      largest[rate] = i;
    }
  }
  for (const auto& group : totals.groups) {
    if (!largest.contains(group.rate)) continue;
    lines[largest[group.rate]].net_cents += group.net_cents - sums[group.rate];
  }
}

LineAmounts NetLine(const domain::InvoiceLine& line, domain::PriceEntry entry) {
  LineAmounts out;
  out.quantity = line.quantity;
  if (entry == domain::PriceEntry::kNet) {
    out.net_price = line.unit_price_cents * 100;
    out.net_cents = domain::LineAmount(line);
  } else {
    out.net_price = RoundDiv(line.unit_price_cents * 100 * 100, 100 + line.vat_rate);
    out.net_cents = RoundDiv(domain::LineAmount(line) * 100, 100 + line.vat_rate);
  }
  return out;
}

}  // namespace

Result<DocumentAmounts> ComputeDocumentAmounts(const domain::Invoice& invoice) {
  const domain::Totals totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);
  if (!SameTotals(totals, invoice.totals)) {
    return Internal("Die gespeicherten Summen der Rechnung passen nicht zu ihren Positionen.");
  }
  DocumentAmounts out;
  for (const auto& line : invoice.lines) out.lines.push_back(NetLine(line, invoice.price_entry));
  if (invoice.price_entry == domain::PriceEntry::kGross) {
    DistributeGrossRemainders(invoice, totals, out.lines);
  }
  out.totals = totals;
  if (invoice.kind == domain::InvoiceKind::kCancellation) {
    for (auto& line : out.lines) {
      line.quantity = -line.quantity;
      line.net_cents = -line.net_cents;
    }
    out.totals = Negated(totals);
  }
  return out;
}

}  // namespace hs::einvoice
