// Cent-exact by construction (issue 12, ADR 0010): random invoices go through finalize and the
// transfer into the sandbox, which rounds like exact decimal half-up or like binary floating
// point; every voucher must equal its invoice's gross, and net and tax per rate, to the cent.
//
// HS_CORPUS_INVOICES (default 250 per rounding mode) sets the size; the full corpus is
// `HS_CORPUS_INVOICES=10000 app_sevdesk_test --gtest_filter='VoucherCorpus*'` (docs/benchmarks.md).
#include <array>
#include <cstdlib>
#include <iostream>
#include <map>

#include "invoice_corpus.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using Sums = std::array<Cents, 3>;  // net, tax, gross

struct Sent {
  std::string number;
  std::string token;
  Sums total{};
  std::map<int, Sums> by_rate;
};

struct Counts {
  int vouchers = 0, gross_equal = 0, all_equal = 0, warnings = 0;
};

int CorpusSize() {
  const char* v = std::getenv("HS_CORPUS_INVOICES");
  return v ? std::max(1, std::atoi(v)) : 250;
}

Sent Expected(const domain::Invoice& invoice, const std::string& token) {
  Sent s{invoice.number.value_or(""), token, {}, {}};
  s.total = {invoice.totals.net_cents, invoice.totals.tax_cents, invoice.totals.gross_cents};
  for (const auto& g : invoice.totals.groups) {
    s.by_rate[g.rate] = {g.net_cents, g.tax_cents, g.gross_cents};
  }
  return s;
}

class VoucherCorpus : public SevdeskWorld,
                      public ::testing::WithParamInterface<sevdesk::sandbox::Rounding> {
 protected:
  void Configure(WorldOptions& o) override { o.settings.max_attempts = 20; }

  // One school per tax mode, each with its own sevdesk account rounding as the parameter says.
  Principal School(const std::string& name, domain::TaxMode mode, const std::string& token) {
    auto p = NewSchool(name, mode);
    Connect(p, token);
    sevdesk::sandbox::FaultSettings faults;
    faults.timeout_duration = options_.sandbox_hold;
    faults.rounding = GetParam();
    SetAccountFaults(token, faults);
    return p;
  }

  domain::Invoice FinalizeCorpusInvoice(std::int64_t school_id, std::int64_t customer_id,
                                        const CorpusInvoice& c) {
    domain::Invoice draft;
    draft.customer_id = customer_id;
    draft.invoice_date = BerlinDateOf(Now());
    draft.price_entry = c.price_entry;
    draft.lines = c.lines;
    auto created = invoices_->CreateDraft(school_id, draft);
    EXPECT_TRUE(created) << created.error().message;
    auto fin = invoices_->Finalize(school_id, created.value_or(domain::Invoice{}).id);
    EXPECT_TRUE(fin) << fin.error().message;
    return fin.value_or(domain::Invoice{});
  }

  // Every voucher of the sandbox accounts against what the invoices say.
  Counts Compare(const std::vector<Sent>& sent) {
    std::map<std::string, const Json*> by_number;
    std::map<std::string, Json> accounts;
    for (const char* token : {kTokenA, kTokenKlein}) accounts[token] = Account(token);
    for (const auto& [token, account] : accounts) {
      for (const auto& v : account["vouchers"]) {
        by_number[token + "/" + v["voucher"]["description"].get<std::string>()] = &v;
      }
    }
    Counts counts;
    for (const auto& s : sent) {
      const auto it = by_number.find(s.token + "/" + s.number);
      if (it == by_number.end()) {
        ADD_FAILURE() << "no voucher for " << s.number;
        continue;
      }
      ++counts.vouchers;
      const Json& v = (*it->second)["voucher"];
      const Sums total{ParseCents(v["sumNet"]), ParseCents(v["sumTax"]), ParseCents(v["sumGross"])};
      std::map<int, Sums> by_rate;
      for (const auto& p : (*it->second)["voucherPos"]) {
        auto& r = by_rate[static_cast<int>(ParseCents(p["taxRate"]) / 100)];
        r[0] += ParseCents(p["sumNet"]);
        r[1] += ParseCents(p["sumTax"]);
        r[2] += ParseCents(p["sumGross"]);
      }
      counts.gross_equal += total[2] == s.total[2] ? 1 : 0;
      const bool all = total == s.total && by_rate == s.by_rate;
      counts.all_equal += all ? 1 : 0;
      EXPECT_TRUE(all) << s.number << ": gross " << total[2] << " vs " << s.total[2];
    }
    return counts;
  }
};

TEST_P(VoucherCorpus, EveryVoucherEqualsItsInvoiceToTheCent) {
  const auto regular = School("Pfote", domain::TaxMode::kRegular, kTokenA);
  const auto klein = School("Welpen", domain::TaxMode::kKleinunternehmer, kTokenKlein);
  std::vector<domain::Customer> customers[2];
  for (int i = 0; i < 10; ++i) {
    customers[0].push_back(NewCustomer(regular.school_id, "Kunde" + std::to_string(i)));
    customers[1].push_back(NewCustomer(klein.school_id, "Kunde" + std::to_string(i)));
  }
  InvoiceCorpus corpus(GetParam() == sevdesk::sandbox::Rounding::kBinary ? 7 : 11);
  std::vector<Sent> sent;
  const int size = CorpusSize();
  for (int i = 0; i < size; ++i) {
    const bool is_klein = i % 5 == 4;
    const auto& school = is_klein ? klein : regular;
    const std::string token = is_klein ? kTokenKlein : kTokenA;
    const auto& customer = customers[is_klein ? 1 : 0][static_cast<std::size_t>(i % 10)];
    const CorpusInvoice c = corpus.Next(is_klein);
    const auto invoice = FinalizeCorpusInvoice(school.school_id, customer.id, c);
    sent.push_back(Expected(invoice, token));
    if (c.cancel) {
      auto cancellation = invoices_->Cancel(school.school_id, invoice.id);
      ASSERT_TRUE(cancellation) << cancellation.error().message;
      sent.push_back(Expected(*cancellation, token));
    }
    if (i % 50 == 49) Settle();
  }
  Settle();
  const Counts counts = Compare(sent);
  std::cout << "[corpus] rounding "
            << (GetParam() == sevdesk::sandbox::Rounding::kBinary ? "binary" : "decimal") << ": "
            << size << " invoices, " << sent.size() << " receipts, " << counts.vouchers
            << " vouchers, gross equal " << counts.gross_equal << ", net/tax/gross per rate equal "
            << counts.all_equal << std::endl;
  EXPECT_EQ(counts.vouchers, static_cast<int>(sent.size()));
  EXPECT_EQ(counts.all_equal, static_cast<int>(sent.size()));
  auto mismatches = sevdesk_->CountSumMismatches();
  ASSERT_TRUE(mismatches);
  EXPECT_EQ(*mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(Rounding, VoucherCorpus,
                         ::testing::Values(sevdesk::sandbox::Rounding::kDecimal,
                                           sevdesk::sandbox::Rounding::kBinary),
                         [](const ::testing::TestParamInfo<sevdesk::sandbox::Rounding>& p) {
                           return p.param == sevdesk::sandbox::Rounding::kBinary ? "Binary"
                                                                                 : "Decimal";
                         });

}  // namespace
}  // namespace hs::app::testing
