#include "app/voucher_sums.hpp"

namespace hs::app {

namespace {

std::optional<SumPair> Differs(Cents invoice, const std::optional<Cents>& sevdesk) {
  if (!sevdesk || *sevdesk == invoice) return std::nullopt;
  return SumPair{invoice, *sevdesk};
}

void Append(std::string& out, const char* label, const std::optional<SumPair>& pair) {
  if (!pair) return;
  if (!out.empty()) out += "; ";
  out += std::string(label) + " " + FormatEuroDe(pair->invoice) + " in der Rechnung, " +
         FormatEuroDe(pair->sevdesk) + " in sevdesk";
}

}  // namespace

SumMismatch CompareVoucherSums(const domain::Totals& invoice, const SavedVoucher& saved) {
  return SumMismatch{Differs(invoice.net_cents, saved.net_cents),
                     Differs(invoice.tax_cents, saved.tax_cents),
                     Differs(invoice.gross_cents, saved.gross_cents)};
}

std::string SumMismatchMessage(const SumMismatch& mismatch) {
  std::string sums;
  Append(sums, "Brutto", mismatch.gross);
  Append(sums, "Netto", mismatch.net);
  Append(sums, "Umsatzsteuer", mismatch.tax);
  return "Achtung: sevdesk hat den Beleg mit anderen Beträgen gespeichert (" + sums + ").";
}

}  // namespace hs::app
