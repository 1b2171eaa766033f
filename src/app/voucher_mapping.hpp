#pragma once
// An invoice as a revenue voucher in sevdesk (ADR 0001, 0002, 0010, 0012): one gross position per
// VAT rate and a revenue account for each. Pure; table-tested in
// tests/app/voucher_mapping_test.cpp.
#include <optional>
#include <string>
#include <vector>

#include "app/sevdesk_ports.hpp"
#include "core/result.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

namespace hs::app {

struct VoucherInput {
  const domain::Invoice& invoice;
  domain::TaxMode tax_mode = domain::TaxMode::kRegular;
  std::string description;  // our receipt number: the business key for reconciliation
  std::string contact_id;
  std::string uploaded_filename;
  // The revenue guidance cached by the last successful connection test, and the school's choice.
  const std::vector<RevenueAccount>& revenue_accounts;
  std::optional<std::int64_t> preferred_account;
};

// sevdesk's tax rule: 11 for Kleinunternehmer (§ 19 UStG), else 1.
int TaxRuleOf(domain::TaxMode mode);

// The school's chosen account when it allows the rule and rate, else the first that does.
std::optional<std::int64_t> RevenueAccountFor(const std::vector<RevenueAccount>& accounts,
                                              std::optional<std::int64_t> preferred, int tax_rule,
                                              int rate);

// Fails (kInvalidArgument, "no_account") when sevdesk offers no account for a rate.
Result<VoucherData> MapVoucher(const VoucherInput& in);

// The voucher a save that may have been applied created: our receipt number, our contact, and a
// revenue voucher. A different sum is still ours (adopted with a warning: creating it again would
// be a duplicate).
std::optional<FoundVoucher> OurVoucher(const std::vector<FoundVoucher>& found,
                                       const std::string& description,
                                       const std::string& contact_id);

}  // namespace hs::app
