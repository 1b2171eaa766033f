// The comparison of sevdesk's voucher sums with the invoice (ADR 0010).
#include "app/voucher_sums.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

domain::Totals Totals(Cents net, Cents tax, Cents gross) {
  domain::Totals t;
  t.net_cents = net;
  t.tax_cents = tax;
  t.gross_cents = gross;
  return t;
}

TEST(VoucherSums, ComparesWhatSevdeskReported) {
  struct Case {
    const char* name;
    SavedVoucher saved;
    bool net, tax, gross;
  };
  const Case cases[] = {
      {"equal", {"1", 10050, 1910, 11960}, false, false, false},
      {"nothing reported", {"1", {}, {}, {}}, false, false, false},
      {"binary float round", {"1", 10050, 1909, 11959}, false, true, true},
      {"net only", {"1", 10051, 1910, {}}, true, false, false},
  };
  for (const auto& c : cases) {
    const SumMismatch m = CompareVoucherSums(Totals(10050, 1910, 11960), c.saved);
    EXPECT_EQ(m.net.has_value(), c.net) << c.name;
    EXPECT_EQ(m.tax.has_value(), c.tax) << c.name;
    EXPECT_EQ(m.gross.has_value(), c.gross) << c.name;
    EXPECT_EQ(m.Any(), c.net || c.tax || c.gross) << c.name;
  }
}

TEST(VoucherSums, TheWarningShowsBothAmountsInGerman) {
  const SumMismatch m =
      CompareVoucherSums(Totals(10050, 1910, 11960), SavedVoucher{"1", 10050, 1909, 11959});
  const std::string text = SumMismatchMessage(m);
  EXPECT_NE(text.find("Brutto 119,60 € in der Rechnung, 119,59 € in sevdesk"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Umsatzsteuer 19,10 € in der Rechnung, 19,09 € in sevdesk"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Netto"), std::string::npos) << text;
}

}  // namespace
}  // namespace hs::app
