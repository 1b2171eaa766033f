#include "domain/invoice.hpp"

#include <gtest/gtest.h>

namespace hs::domain {
namespace {

InvoiceLine Line(Milli qty, Cents price, int rate) {
  return {"x", qty, "Stk", price, rate};
}

TEST(Totals, LineAmountRoundsHalfAwayFromZero) {
  EXPECT_EQ(LineAmount(Line(1500, 4500, 19)), 6750);
  EXPECT_EQ(LineAmount(Line(333, 100, 19)), 33);     // 33.3 -> 33
  EXPECT_EQ(LineAmount(Line(335, 1, 19)), 0);        // 0.335 -> 0
  EXPECT_EQ(LineAmount(Line(1, 500, 19)), 1);        // 0.5 -> 1
  EXPECT_EQ(LineAmount(Line(-1, 500, 19)), -1);      // -0.5 -> -1
  EXPECT_EQ(LineAmount(Line(2125, 1999, 7)), 4248);  // 4247.875 -> 4248
}

TEST(Totals, NetPricesTaxPerRateGroup) {
  // 3 lines at 19 %: per-line tax would be 3 x round(3.99) = 12; per group round(11.97) = 12.
  // Choose values where the two differ: 3 x 0.10 net -> per line tax 0.019 -> 0.02 each = 0.06,
  // per group 0.30 * 0.19 = 0.057 -> 0.06. Use 0.13: per line 0.0247 -> 0.02 (sum 0.06), group
  // 0.39 * 0.19 = 0.0741 -> 0.07. The rule is per group.
  std::vector<InvoiceLine> lines = {Line(1000, 13, 19), Line(1000, 13, 19), Line(1000, 13, 19),
                                    Line(1500, 4500, 7)};
  Totals t = ComputeTotals(lines, PriceEntry::kNet);
  ASSERT_EQ(t.groups.size(), 2u);
  EXPECT_EQ(t.groups[0].rate, 7);
  EXPECT_EQ(t.groups[0].net_cents, 6750);
  EXPECT_EQ(t.groups[0].tax_cents, 473);  // 472.5 -> 473
  EXPECT_EQ(t.groups[0].gross_cents, 7223);
  EXPECT_EQ(t.groups[1].rate, 19);
  EXPECT_EQ(t.groups[1].net_cents, 39);
  EXPECT_EQ(t.groups[1].tax_cents, 7);
  EXPECT_EQ(t.net_cents, 6789);
  EXPECT_EQ(t.tax_cents, 480);
  EXPECT_EQ(t.gross_cents, 7269);
}

TEST(Totals, GrossPricesNetDerivedPerGroup) {
  std::vector<InvoiceLine> lines = {Line(1000, 11900, 19), Line(2000, 1000, 7), Line(1000, 500, 0)};
  Totals t = ComputeTotals(lines, PriceEntry::kGross);
  ASSERT_EQ(t.groups.size(), 3u);
  EXPECT_EQ(t.groups[0].gross_cents, 500);
  EXPECT_EQ(t.groups[0].tax_cents, 0);
  EXPECT_EQ(t.groups[1].gross_cents, 2000);
  EXPECT_EQ(t.groups[1].net_cents, 1869);  // 2000 / 1.07 = 1869.16
  EXPECT_EQ(t.groups[1].tax_cents, 131);
  EXPECT_EQ(t.groups[2].net_cents, 10000);
  EXPECT_EQ(t.groups[2].tax_cents, 1900);
  EXPECT_EQ(t.gross_cents, 14400);
  EXPECT_EQ(t.net_cents + t.tax_cents, t.gross_cents);
}

TEST(Totals, SumsAreConsistentForManyCombinations) {
  for (Cents price = 1; price < 3000; price += 37) {
    for (Milli qty : {1, 333, 1000, 1500, 2125}) {
      for (int rate : {0, 7, 19}) {
        for (auto entry : {PriceEntry::kNet, PriceEntry::kGross}) {
          Totals t = ComputeTotals({Line(qty, price, rate), Line(qty, price + 1, rate)}, entry);
          EXPECT_EQ(t.net_cents + t.tax_cents, t.gross_cents);
        }
      }
    }
  }
}

Invoice Draft() {
  Invoice inv;
  inv.id = 7;
  inv.customer_id = 1;
  inv.invoice_date = *ParseIsoDate("2026-11-27");
  inv.lines = {Line(1500, 4500, 19), Line(1000, 1869, 7)};
  inv.totals = ComputeTotals(inv.lines, inv.price_entry);
  return inv;
}

TEST(StateMachine, DraftCanBeEditedAndFinalized) {
  Invoice inv = Draft();
  EXPECT_TRUE(CanEdit(inv));
  EXPECT_TRUE(CanFinalize(inv));
  EXPECT_FALSE(CanCancel(inv));
}

TEST(StateMachine, FinalizedIsFrozen) {
  Invoice inv = Draft();
  inv.status = InvoiceStatus::kFinalized;
  EXPECT_EQ(CanEdit(inv).error().code, ErrorCode::kConflict);
  EXPECT_EQ(CanFinalize(inv).error().code, ErrorCode::kConflict);
  EXPECT_TRUE(CanCancel(inv));
  inv.status = InvoiceStatus::kCancelled;
  EXPECT_EQ(CanCancel(inv).error().code, ErrorCode::kConflict);
  EXPECT_EQ(CanEdit(inv).error().code, ErrorCode::kConflict);
}

TEST(StateMachine, EmptyDraftCannotBeFinalized) {
  Invoice inv = Draft();
  inv.lines.clear();
  EXPECT_EQ(CanFinalize(inv).error().code, ErrorCode::kInvalidArgument);
}

TEST(StateMachine, CancellationIsExactNegation) {
  Invoice inv = Draft();
  inv.status = InvoiceStatus::kFinalized;
  inv.number = "RE-2026-0001";
  Invoice c = MakeCancellation(inv, *ParseIsoDate("2026-11-28"));
  EXPECT_EQ(c.kind, InvoiceKind::kCancellation);
  EXPECT_EQ(c.cancels_invoice_id, 7);
  EXPECT_EQ(c.cancels_invoice_number, "RE-2026-0001");
  ASSERT_EQ(c.totals.groups.size(), inv.totals.groups.size());
  for (std::size_t i = 0; i < c.totals.groups.size(); ++i) {
    EXPECT_EQ(c.totals.groups[i].net_cents, -inv.totals.groups[i].net_cents);
    EXPECT_EQ(c.totals.groups[i].tax_cents, -inv.totals.groups[i].tax_cents);
  }
  EXPECT_EQ(c.totals.gross_cents, -inv.totals.gross_cents);
  Invoice cc = c;
  cc.status = InvoiceStatus::kFinalized;
  EXPECT_FALSE(CanCancel(cc));  // a cancellation is never cancelled
}

}  // namespace
}  // namespace hs::domain
