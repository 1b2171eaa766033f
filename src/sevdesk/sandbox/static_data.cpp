#include "sevdesk/sandbox/static_data.hpp"

namespace hs::sevdesk::sandbox {

namespace {

constexpr std::int64_t k0 = 0;
constexpr std::int64_t k7 = 700;
constexpr std::int64_t k19 = 1900;

// Rules and rates from the spec's voucher taxRule description and sevdesk-api.md §4.9. Codes
// other than USTPFL_UMS_EINN (recorded) are sandbox names in the same style.
const std::vector<TaxRuleInfo>& TaxRules() {
  static const std::vector<TaxRuleInfo> rules = {
      {1, "USTPFL_UMS_EINN", "Umsatzsteuerpflichtige Umsätze", true, false, true, {k0, k7, k19}},
      {2, "AUSFUHREN", "Ausfuhren", true, false, true, {k0}},
      {3,
       "INNERGEM_LIEFERUNGEN",
       "Innergemeinschaftliche Lieferungen",
       true,
       false,
       true,
       {k0, k7, k19}},
      {4, "STEUERFREIE_UMS_4", "Steuerfreie Umsätze §4 UStG", true, false, true, {k0}},
      {5, "REVERSE_CHARGE_13B", "Reverse Charge gem. §13b UStG", true, false, true, {k0}},
      {11, "KLEINUNTERNEHMER_19", "Steuer nicht erhoben nach §19 UStG", true, true, false, {k0}},
      {17,
       "NICHT_IM_INLAND_STEUERBAR",
       "Nicht im Inland steuerbare Leistung",
       true,
       false,
       true,
       {k0}},
      {8, "INNERGEM_ERWERBE", "Innergemeinschaftliche Erwerbe", false, false, true, {k0, k7, k19}},
      {9,
       "VORSTEUERABZ_AUFW",
       "Vorsteuerabziehbare Aufwendungen",
       false,
       false,
       true,
       {k0, k7, k19}},
      {10,
       "NICHT_VORSTEUERABZ_AUFW",
       "Nicht vorsteuerabziehbare Aufwendungen",
       false,
       true,
       true,
       {k0}},
      {12,
       "RC_13B_MIT_VST",
       "Reverse Charge gem. §13b Abs. 2 UStG mit Vorsteuerabzug",
       false,
       false,
       true,
       {k0, k7, k19}},
      {13,
       "RC_13B_OHNE_VST",
       "Reverse Charge gem. §13b UStG ohne Vorsteuerabzug",
       false,
       true,
       true,
       {k0}},
      {14,
       "RC_13B_EU",
       "Reverse Charge gem. §13b Abs. 1 EU Umsätze",
       false,
       false,
       true,
       {k0, k7, k19}},
  };
  return rules;
}

const char* RateName(std::int64_t rate) {
  switch (rate) {
    case k0:
      return "ZERO";
    case k7:
      return "SEVEN";
    case k19:
      return "NINETEEN";
    default:
      return "OTHER";
  }
}

bool RuleAllowed(const TaxRuleInfo& rule, TaxMode mode) {
  return mode == TaxMode::kKleinunternehmer ? rule.kleinunternehmer : rule.regular;
}

}  // namespace

const TaxRuleInfo* FindTaxRule(int id) {
  for (const auto& rule : TaxRules()) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

// SKR04 revenue/expense accounts; the datev ids are sandbox ids (real ones differ per account
// chart) - clients must read them from ReceiptGuidance, never hard-code them.
const std::vector<GuideAccount>& GuideAccounts() {
  static const std::vector<GuideAccount> accounts = {
      {4400101, "4400", "Erlöse 19 % USt", "Umsätze mit 19 % Umsatzsteuer", true, {{1, {k19}}}},
      {4300101, "4300", "Erlöse 7 % USt", "Umsätze mit 7 % Umsatzsteuer", true, {{1, {k7}}}},
      {4000101,
       "4000",
       "Umsatzerlöse",
       "Einnahmen aus dem Verkauf von Waren und Dienstleistungen",
       true,
       {{1, {k0, k7, k19}}, {4, {k0}}, {11, {k0}}}},
      {4185101,
       "4185",
       "Erlöse als Kleinunternehmer i. S. d. § 19 Abs. 1 UStG",
       "Umsätze von Kleinunternehmern",
       true,
       {{11, {k0}}}},
      {4100101,
       "4100",
       "Steuerfreie Umsätze § 4 Nr. 8 ff. UStG",
       "Steuerfreie Umsätze",
       true,
       {{4, {k0}}}},
      {4120101,
       "4120",
       "Steuerfreie Umsätze § 4 Nr. 1a UStG",
       "Ausfuhrlieferungen",
       true,
       {{2, {k0}}}},
      {4125101,
       "4125",
       "Steuerfreie innergemeinschaftliche Lieferungen § 4 Nr. 1b UStG",
       "Innergemeinschaftliche Lieferungen",
       true,
       {{3, {k0, k7, k19}}}},
      {4337101,
       "4337",
       "Erlöse aus Leistungen nach § 13b UStG",
       "Reverse Charge",
       true,
       {{5, {k0}}}},
      {4338101,
       "4338",
       "Erlöse aus im Inland nicht steuerbaren Leistungen",
       "Nicht im Inland steuerbare Leistungen",
       true,
       {{17, {k0}}}},
      {6300101,
       "6300",
       "Sonstige betriebliche Aufwendungen",
       "Allgemeine Ausgaben",
       false,
       {{9, {k0, k7, k19}}, {10, {k0}}}},
      {6815101, "6815", "Bürobedarf", "Büromaterial", false, {{9, {k0, k7, k19}}, {10, {k0}}}},
      {5923101,
       "5923",
       "Bezogene Leistungen § 13b UStG",
       "Fremdleistungen mit Reverse Charge",
       false,
       {{12, {k0, k7, k19}}, {13, {k0}}, {14, {k0, k7, k19}}}},
  };
  return accounts;
}

const GuideAccount* FindGuideAccount(std::int64_t datev_id) {
  for (const auto& account : GuideAccounts()) {
    if (account.datev_id == datev_id) return &account;
  }
  return nullptr;
}

Json GuidanceJson(bool revenue, TaxMode mode) {
  Json out = Json::array();
  for (const auto& account : GuideAccounts()) {
    if (account.revenue != revenue) continue;
    Json rules = Json::array();
    for (const auto& guide_rule : account.rules) {
      const TaxRuleInfo* rule = FindTaxRule(guide_rule.rule_id);
      if (rule == nullptr || !RuleAllowed(*rule, mode)) continue;
      Json rates = Json::array();
      for (auto rate : guide_rule.rates) rates.push_back(RateName(rate));
      Json entry = Json::object();
      entry["name"] = rule->code;
      entry["description"] = rule->name;
      entry["id"] = rule->id;
      entry["taxRates"] = std::move(rates);
      rules.push_back(std::move(entry));
    }
    if (rules.empty()) continue;
    Json item = Json::object();
    item["accountDatevId"] = account.datev_id;
    item["accountNumber"] = account.number;
    item["accountName"] = account.name;
    item["description"] = account.description;
    item["allowedTaxRules"] = std::move(rules);
    item["allowedReceiptTypes"] = Json::array({revenue ? "REVENUE" : "EXPENSE"});
    out.push_back(std::move(item));
  }
  return out;
}

namespace {
struct CountryRow {
  const char* id;
  const char* code;
  const char* name;
  const char* name_en;
  const char* locale;
  const char* priority;
};
constexpr CountryRow kCountries[] = {
    {"1", "de", "Deutschland", "Germany", "de_DE", "1"},
    {"2", "ch", "Schweiz", "Switzerland", "de_CH", "3"},
    {"3", "at", "Österreich", "Austria", "de_AT", "2"},
    {"6", "be", "Belgien", "Belgium", "nl_BE", "100"},
    {"11", "fr", "Frankreich", "France", "fr_FR", "100"},
    {"14", "it", "Italien", "Italy", "it_IT", "100"},
    {"17", "lu", "Luxemburg", "Luxembourg", "fr_LU", "100"},
    {"21", "nl", "Niederlande", "Netherlands", "nl_NL", "100"},
    {"24", "pl", "Polen", "Poland", "pl_PL", "100"},
    {"29", "es", "Spanien", "Spain", "es_ES", "100"},
};
}  // namespace

Json StaticCountries() {
  Json out = Json::array();
  for (const auto& row : kCountries) {
    Json c = Json::object();
    c["id"] = row.id;
    c["objectName"] = "StaticCountry";
    c["additionalInformation"] = nullptr;
    c["code"] = row.code;
    c["name"] = row.name;
    c["nameEn"] = row.name_en;
    c["translationCode"] = std::string("COUNTRY_") + row.code;
    c["locale"] = row.locale;
    c["priority"] = row.priority;
    out.push_back(std::move(c));
  }
  return out;
}

bool IsKnownCountry(std::int64_t id) {
  for (const auto& row : kCountries) {
    if (std::to_string(id) == row.id) return true;
  }
  return false;
}

Json PaymentMethods() {
  // The recorded list (payment_method_list.json) of a real account.
  static const Json methods = Json::parse(R"json([
{"id":"21919","objectName":"PaymentMethod","additionalInformation":null,"create":"2020-10-26T18:57:14+01:00","update":"2024-10-28T22:20:24+01:00","name":"SEPA Überweisung","text":"Bitte überweisen Sie den Rechnungsbetrag unter Angabe der Rechnungsnummer auf das unten angegebene Konto. Der Rechnungsbetrag ist bis zum [%ZAHLUNGSZIEL%] fällig.","electronicInvoiceId":"58","translationCode":"PAYMENT_METHOD_58"},
{"id":"21920","objectName":"PaymentMethod","additionalInformation":null,"create":"2020-10-26T18:57:14+01:00","update":"2020-10-26T18:57:14+01:00","name":"SEPA Lastschrift","text":"Der Betrag wird innerhalb der nächsten 30 Tage von Ihrem Konto eingezogen.","electronicInvoiceId":"59","translationCode":"PAYMENT_METHOD_58"},
{"id":"21921","objectName":"PaymentMethod","additionalInformation":null,"create":"2020-10-26T18:57:14+01:00","update":"2020-10-26T18:57:14+01:00","name":"Bargeld","text":"Die Zahlung erfolgte per Barzahlung.","electronicInvoiceId":"10","translationCode":"PAYMENT_METHOD_10"},
{"id":"114251","objectName":"PaymentMethod","additionalInformation":null,"create":"2025-08-21T13:19:52+02:00","update":"2025-08-21T13:19:52+02:00","name":"Online-Zahlung (z.B. PayPal)","text":"Die Zahlung erfolgt online.","electronicInvoiceId":"68","translationCode":"PAYMENT_METHOD_68"}
])json");
  return methods;
}

}  // namespace hs::sevdesk::sandbox
