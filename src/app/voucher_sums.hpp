#pragma once
// The sums of a voucher in sevdesk against the invoice they come from (issue 12, ADR 0010):
// pure decisions, table-tested in tests/app/voucher_sums_test.cpp.
#include <optional>
#include <string>

#include "app/sevdesk_ports.hpp"
#include "domain/invoice.hpp"

namespace hs::app {

struct SumPair {
  Cents invoice = 0;
  Cents sevdesk = 0;
};

// The sums that differ; an empty result means "equal" (or not reported by sevdesk).
struct SumMismatch {
  std::optional<SumPair> net;
  std::optional<SumPair> tax;
  std::optional<SumPair> gross;
  bool Any() const { return net || tax || gross; }
};

SumMismatch CompareVoucherSums(const domain::Totals& invoice, const SavedVoucher& saved);

// "sevdesk hat andere Beträge gespeichert als die Rechnung: brutto 119,60 € (Rechnung) statt
// 119,59 € (sevdesk); ..." for the receipt's warning.
std::string SumMismatchMessage(const SumMismatch& mismatch);

}  // namespace hs::app
