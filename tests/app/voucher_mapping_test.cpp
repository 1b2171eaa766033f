// Invoice totals -> sevdesk voucher (src/app/voucher_mapping.hpp): one gross position per VAT
// rate, the revenue account per rule and rate, the tax rule, the adoption of our own voucher.
#include "app/voucher_mapping.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

RevenueAccount Account(std::int64_t id, int rule, std::vector<int> rates) {
  RevenueAccount a;
  a.id = id;
  a.number = std::to_string(4000 + id);
  a.rules.push_back({rule, std::move(rates)});
  return a;
}

domain::Invoice NetInvoice() {
  domain::Invoice i;
  i.invoice_date = *ParseIsoDate("2026-11-20");
  i.totals.groups.push_back({7, 10000, 700, 10700});
  i.totals.groups.push_back({19, 10050, 1910, 11960});
  return i;
}

struct AccountRow {
  const char* name;
  std::optional<std::int64_t> preferred;
  int rule;
  int rate;
  std::optional<std::int64_t> expected;
};

TEST(VoucherMapping, TheRevenueAccountPerRuleAndRate) {
  const std::vector<RevenueAccount> accounts = {Account(1, 1, {7, 19}), Account(2, 1, {19}),
                                                Account(3, 11, {0})};
  const std::vector<AccountRow> rows = {
      {"the first that allows it", std::nullopt, 1, 19, 1},
      {"the school's choice when it allows it", 2, 1, 19, 2},
      {"not the choice when it does not allow the rate", 2, 1, 7, 1},
      {"Kleinunternehmer", std::nullopt, 11, 0, 3},
      {"none for the rate", std::nullopt, 1, 0, std::nullopt},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(RevenueAccountFor(accounts, row.preferred, row.rule, row.rate), row.expected);
  }
}

TEST(VoucherMapping, OneGrossPositionPerRate) {
  const domain::Invoice invoice = NetInvoice();
  const std::vector<RevenueAccount> accounts = {Account(1, 1, {7, 19})};
  auto v = MapVoucher(
      {invoice, domain::TaxMode::kRegular, "RE-2026-0001", "77", "f.pdf", accounts, std::nullopt});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tax_rule, 1);
  EXPECT_EQ(v->description, "RE-2026-0001");
  EXPECT_EQ(v->contact_id, "77");
  EXPECT_EQ(v->filename, "f.pdf");
  EXPECT_EQ(v->voucher_date, invoice.invoice_date);
  EXPECT_EQ(v->delivery_date, invoice.invoice_date);  // no service date: the invoice date
  ASSERT_EQ(v->positions.size(), 2u);
  EXPECT_EQ(v->positions[0].rate, 7);
  EXPECT_EQ(v->positions[0].gross_cents, 10700);
  EXPECT_EQ(v->positions[1].gross_cents, 11960);
  EXPECT_EQ(v->positions[1].comment, "Umsatz 19 %");
}

TEST(VoucherMapping, ACancellationNamesTheInvoiceItCancels) {
  domain::Invoice invoice = NetInvoice();
  invoice.kind = domain::InvoiceKind::kCancellation;
  invoice.cancels_invoice_number = "RE-2026-0001";
  invoice.service_date = *ParseIsoDate("2026-11-01");
  invoice.service_period_end = *ParseIsoDate("2026-11-30");
  const std::vector<RevenueAccount> accounts = {Account(1, 1, {7, 19})};
  auto v = MapVoucher(
      {invoice, domain::TaxMode::kRegular, "RE-2026-0002", "77", "f.pdf", accounts, std::nullopt});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->positions[0].comment, "Storno zu RE-2026-0001, Umsatz 7 %");
  EXPECT_EQ(v->delivery_date, (*ParseIsoDate("2026-11-01")));
  EXPECT_EQ(v->delivery_date_until, (*ParseIsoDate("2026-11-30")));
}

TEST(VoucherMapping, NoAccountForARateIsARejection) {
  const domain::Invoice invoice = NetInvoice();
  const std::vector<RevenueAccount> accounts = {Account(3, 11, {0})};
  auto v = MapVoucher({invoice, domain::TaxMode::kRegular, "RE-1", "77", "f.pdf", accounts, {}});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(v.error().reason, "no_account");
  EXPECT_EQ(v.error().message, "In sevdesk gibt es kein Erlöskonto für 7 % USt. (Steuerregel 1).");
  EXPECT_EQ(TaxRuleOf(domain::TaxMode::kKleinunternehmer), 11);
}

TEST(VoucherMapping, OnlyOurOwnRevenueVoucherIsAdopted) {
  const std::vector<FoundVoucher> found = {
      {"1", "RE-1-alt", 100, "77", "D"},  // description only contains ours
      {"2", "RE-1", 100, "78", "D"},      // another contact
      {"3", "RE-1", 100, "77", "C"},      // an expense
      {"4", "RE-1", 99, "77", ""},        // ours, with another sum: still ours
  };
  auto v = OurVoucher(found, "RE-1", "77");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, "4");
  EXPECT_FALSE(OurVoucher(found, "RE-2", "77"));
}

}  // namespace
}  // namespace hs::app
