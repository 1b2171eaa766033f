#include "domain/invoice.hpp"

#include <gtest/gtest.h>

#include <functional>

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

Date D(const char* iso) {
  return *ParseIsoDate(iso);
}

Invoice PlausibleInvoice() {
  Invoice inv;
  inv.customer_id = 1;
  inv.invoice_date = D("2026-12-05");
  inv.lines = {{"Einzelstunde", 1000, "Stunde", 5500, 19}};
  return inv;
}

TEST(Plausibility, DatesAndSumsWithinWhatAnInvoiceAndSevdeskAccept) {
  const Date today = D("2026-12-05");
  struct Case {
    const char* name;
    std::function<void(Invoice&)> change;
    const char* refused_field;  // nullptr: accepted
  };
  const Case cases[] = {
      {"today", [](Invoice&) {}, nullptr},
      {"30 days ahead", [](Invoice& i) { i.invoice_date = D("2027-01-04"); }, nullptr},
      {"31 days ahead", [](Invoice& i) { i.invoice_date = D("2027-01-05"); }, "invoice_date"},
      {"2999-12-31", [](Invoice& i) { i.invoice_date = D("2999-12-31"); }, "invoice_date"},
      {"ten years back", [](Invoice& i) { i.invoice_date = D("2016-01-01"); }, nullptr},
      {"before the ten years", [](Invoice& i) { i.invoice_date = D("2015-12-31"); },
       "invoice_date"},
      {"year 226 typo", [](Invoice& i) { i.invoice_date = D("0226-12-05"); }, "invoice_date"},
      {"service two years after", [](Invoice& i) { i.service_date = D("2028-12-04"); }, nullptr},
      {"service later", [](Invoice& i) { i.service_date = D("2028-12-05"); }, "service_date"},
      {"service period end in 2999",
       [](Invoice& i) {
         i.service_date = D("2026-12-01");
         i.service_period_end = D("2999-01-01");
       },
       "service_period_end"},
      {"service in 1900", [](Invoice& i) { i.service_date = D("1900-01-01"); }, "service_date"},
      {"largest line sevdesk takes",
       [](Invoice& i) {
         i.price_entry = PriceEntry::kGross;
         // 999.999,999 units at 1 million euros: 999.999.999.000,00 €
         i.lines = {{"x", 999'999'999, "Stk", kMaxUnitPrice, 0}};
       },
       nullptr},
      {"documented maxima: one line of 10^12 €",
       [](Invoice& i) {
         i.lines = {{"x", kMaxQuantity, "Stk", kMaxUnitPrice, 0}};
       },
       "lines[0].amount_cents"},
      {"total over the limit through VAT",
       [](Invoice& i) {
         i.lines = {{"x", 900'000'000, "Stk", 100'000'000, 19}};
       },
       "total_gross_cents"},
      {"many lines adding up over the limit",
       [](Invoice& i) {
         i.lines.assign(kMaxLines, InvoiceLine{"x", 10'000'000, "Stk", kMaxUnitPrice, 0});
       },
       "total_gross_cents"},
  };
  for (const auto& c : cases) {
    Invoice inv = PlausibleInvoice();
    c.change(inv);
    const Status st = CheckPlausibility(inv, today);
    if (c.refused_field == nullptr) {
      EXPECT_TRUE(st) << c.name << ": " << (st ? "" : st.error().details.front().message);
      continue;
    }
    ASSERT_FALSE(st) << c.name;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument) << c.name;
    bool named = false;
    for (const auto& d : st.error().details) named = named || d.field == c.refused_field;
    EXPECT_TRUE(named) << c.name << " should name " << c.refused_field;
  }
}

TEST(Plausibility, MessagesAreGermanAndNameTheLimit) {
  Invoice inv = PlausibleInvoice();
  inv.invoice_date = D("2999-12-31");
  const Status st = CheckPlausibility(inv, D("2026-12-05"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().details.front().message,
            "Das Rechnungsdatum darf höchstens 30 Tage in der Zukunft liegen (bis 04.01.2027).");
}

}  // namespace
}  // namespace hs::domain
