// "Verbindung testen": the verdict for each way sevdesk can answer, as a table. Pure: no
// database, no sandbox (the whole flow is in sevdesk_connection_test.cpp).
#include <gtest/gtest.h>

#include "app/sevdesk_service.hpp"

namespace hs::app {
namespace {

TEST(ConnectionTestVerdict, EachFailedInspectionHasAnOutcomeAndAGermanMessage) {
  struct Row {
    ErrorCode code;
    const char* reason;
    const char* outcome;
    const char* in_message;
  };
  const Row rows[] = {
      {ErrorCode::kUnauthenticated, "sevdesk_unauthorized", "token_invalid",
       "kennt diesen API-Token nicht"},
      {ErrorCode::kForbidden, "sevdesk_forbidden", "no_api_access", "Buchhaltung Pro"},
      {ErrorCode::kUnavailable, "sevdesk_timeout", "timeout", "nicht rechtzeitig"},
      {ErrorCode::kUnavailable, "sevdesk_error", "sevdesk_error", "meldet gerade einen Fehler"},
      {ErrorCode::kUnavailable, "sevdesk_uncertain", "sevdesk_error", "meldet gerade einen Fehler"},
      {ErrorCode::kUnavailable, "sevdesk_unreachable", "unreachable", "nicht erreichbar"},
      {ErrorCode::kRateLimited, "sevdesk_rate_limited", "sevdesk_error", "bremst gerade"},
      {ErrorCode::kInvalidArgument, "sevdesk_rejected", "sevdesk_error",
       "Fehler geantwortet: Nein"},
  };
  for (const Row& row : rows) {
    Error e;
    e.code = row.code;
    e.reason = row.reason;
    e.message = "Nein";
    const TestResult r = TestResultOfFailure(e);
    EXPECT_FALSE(r.ok) << row.reason;
    EXPECT_EQ(r.outcome, row.outcome) << row.reason;
    EXPECT_NE(r.message.find(row.in_message), std::string::npos) << row.reason << ": " << r.message;
  }
}

SevdeskAccountInfo Account(std::string version, std::optional<domain::TaxMode> mode,
                           bool with_accounts) {
  SevdeskAccountInfo info;
  info.bookkeeping_version = std::move(version);
  info.user_name = "Anna Beispiel";
  info.tax_mode = mode;
  if (with_accounts) info.revenue_accounts.push_back({26, "8400", "Erlöse", {{1, {19, 7}}}});
  return info;
}

TEST(ConnectionTestVerdict, TheAccountDecidesConnectedOrWhatToChange) {
  using domain::TaxMode;
  struct Row {
    SevdeskAccountInfo info;
    TaxMode school;
    bool ok;
    const char* outcome;
    const char* in_message;
  };
  const Row rows[] = {
      {Account("2.0", TaxMode::kRegular, true), TaxMode::kRegular, true, "connected",
       "Benutzer Anna Beispiel, Regelbesteuerung"},
      // sevdesk did not reveal its tax mode: nothing to contradict.
      {Account("2.0", std::nullopt, true), TaxMode::kKleinunternehmer, true, "connected",
       "Kleinunternehmer"},
      {Account("1.0", TaxMode::kRegular, true), TaxMode::kRegular, false, "bookkeeping_v1",
       "alte Buchhaltungssystem 1.0"},
      {Account("2.0", TaxMode::kKleinunternehmer, true), TaxMode::kRegular, false,
       "tax_mode_mismatch", "in sevdesk „Kleinunternehmer (§ 19 UStG)“"},
      {Account("2.0", TaxMode::kRegular, false), TaxMode::kRegular, false, "sevdesk_error",
       "keine Erlöskonten"},
  };
  for (const Row& row : rows) {
    const TestResult r = TestResultOfAccount(row.info, row.school);
    EXPECT_EQ(r.ok, row.ok) << row.outcome;
    EXPECT_EQ(r.outcome, row.outcome);
    EXPECT_NE(r.message.find(row.in_message), std::string::npos) << r.message;
    EXPECT_EQ(r.bookkeeping_version, row.info.bookkeeping_version);
  }
}

}  // namespace
}  // namespace hs::app
