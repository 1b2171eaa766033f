#pragma once
// Static sevdesk data the sandbox serves: tax rules (bookkeeping 2.0), receipt guidance (booking
// accounts with their allowed tax rules and rates), countries, payment methods.
#include <cstdint>
#include <string>
#include <vector>

#include "sevdesk/sandbox/sandbox.hpp"
#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

struct TaxRuleInfo {
  int id;
  const char* code;
  const char* name;
  bool revenue;                     // D vouchers (revenue) vs C vouchers (expense)
  bool kleinunternehmer;            // usable by a §19 account
  bool regular;                     // usable by a regular (Regelbesteuerung) account
  std::vector<std::int64_t> rates;  // hundredths of a percent
};

const TaxRuleInfo* FindTaxRule(int id);

struct GuideRule {
  int rule_id;
  std::vector<std::int64_t> rates;
};

struct GuideAccount {
  std::int64_t datev_id;
  const char* number;  // SKR04
  const char* name;
  const char* description;
  bool revenue;
  std::vector<GuideRule> rules;
};

const std::vector<GuideAccount>& GuideAccounts();
const GuideAccount* FindGuideAccount(std::int64_t datev_id);
// The ReceiptGuidance/forRevenue (or forExpense) answer for an account's tax mode.
Json GuidanceJson(bool revenue, TaxMode mode);

Json StaticCountries();
Json PaymentMethods();
bool IsKnownCountry(std::int64_t id);

}  // namespace hs::sevdesk::sandbox
