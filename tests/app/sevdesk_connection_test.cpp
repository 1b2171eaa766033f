// Connect and test (issue 4, section 1): every outcome of "Verbindung testen", activation only
// after a successful test, the token sealed at rest, masked in answers and never logged.
#include <fstream>
#include <sstream>

#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using sevdesk::sandbox::FaultKind;
using sevdesk::sandbox::FaultScope;

class SevdeskConnectionTest : public SevdeskWorld {
 protected:
  TestResult TestWith(const Principal& who, const std::string& token) {
    ConnectionUpdate u;
    u.token = token;
    auto saved = sevdesk_->UpdateConnection(who, u);
    EXPECT_TRUE(saved) << saved.error().message;
    auto r = sevdesk_->Test(who);
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(TestResult{});
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(SevdeskConnectionTest, ConnectedAnswersVersionUserAndTaxMode) {
  const auto school = NewSchool("Pfote");
  const auto r = TestWith(school, kTokenA);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.outcome, "connected");
  EXPECT_EQ(r.bookkeeping_version, "2.0");
  EXPECT_FALSE(r.sevdesk_user.empty());
  EXPECT_EQ(r.sevdesk_tax_mode, "regular");
  EXPECT_FALSE(r.revenue_accounts.empty());
  EXPECT_NE(r.message.find("Verbindung hergestellt"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("2.0"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(r.sevdesk_user), std::string::npos) << r.message;
  // The result is stored with the connection.
  auto view = sevdesk_->GetConnection(school.school_id);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->last_test_ok);
  EXPECT_EQ(view->last_test_outcome, "connected");
  EXPECT_EQ(view->bookkeeping_version, "2.0");
  EXPECT_FALSE(view->revenue_accounts.empty());
}

TEST_F(SevdeskConnectionTest, KleinunternehmerAccountMatchesKleinunternehmerSchool) {
  const auto school = NewSchool("Klein", domain::TaxMode::kKleinunternehmer);
  const auto r = TestWith(school, kTokenKlein);
  EXPECT_TRUE(r.ok) << r.outcome << ": " << r.message;
  EXPECT_EQ(r.sevdesk_tax_mode, "kleinunternehmer");
  EXPECT_NE(r.message.find("§ 19"), std::string::npos) << r.message;
}

TEST_F(SevdeskConnectionTest, WrongToken) {
  const auto school = NewSchool("Pfote");
  const auto r = TestWith(school, kTokenUnknown);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "token_invalid");
  EXPECT_NE(r.message.find("API-Token"), std::string::npos) << r.message;
}

TEST_F(SevdeskConnectionTest, NoApiAccess) {
  const auto school = NewSchool("Pfote");
  const auto r = TestWith(school, kTokenNoApi);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "no_api_access");
  EXPECT_NE(r.message.find("Buchhaltung Pro"), std::string::npos) << r.message;
}

TEST_F(SevdeskConnectionTest, BookkeepingVersionOneIsRefused) {
  const auto school = NewSchool("Pfote");
  const auto r = TestWith(school, kTokenV1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "bookkeeping_v1");
  EXPECT_EQ(r.bookkeeping_version, "1.0");
  EXPECT_NE(r.message.find("2.0"), std::string::npos) << r.message;
  ConnectionUpdate enable;
  enable.enabled = true;
  auto enabled = sevdesk_->UpdateConnection(school, enable);
  ASSERT_FALSE(enabled);
  EXPECT_EQ(enabled.error().reason, "test_required");
}

TEST_F(SevdeskConnectionTest, TaxModeMismatchBothWays) {
  const auto klein_school = NewSchool("Klein", domain::TaxMode::kKleinunternehmer);
  auto r = TestWith(klein_school, kTokenA);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "tax_mode_mismatch");
  EXPECT_EQ(r.sevdesk_tax_mode, "regular");
  EXPECT_NE(r.message.find("Kleinunternehmer"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("Regelbesteuerung"), std::string::npos) << r.message;

  const auto regular_school = NewSchool("Regulär");
  r = TestWith(regular_school, kTokenKlein);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "tax_mode_mismatch");
}

TEST_F(SevdeskConnectionTest, Unreachable) {
  const auto school = NewSchool("Pfote");
  ConnectionUpdate u;
  u.token = kTokenA;
  ASSERT_TRUE(sevdesk_->UpdateConnection(school, u));
  // The same database, a client whose sevdesk is not listening (a port that was just freed).
  const std::string base = sandbox_->BaseUrl() + "/api/v1";
  sandbox_->Stop();
  sevdesk::ClientSettings cs;
  cs.base_url = base;
  cs.timeout = options_.client_timeout;
  auto dead = sevdesk::MakeSevdeskClient(cs);
  SevdeskService service(*db_, *clock_, *random_, *crypto_, *box_, *dead, options_.settings);
  auto r = service.Test(school);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->outcome, "unreachable");
  EXPECT_NE(r->message.find("nicht erreichbar"), std::string::npos) << r->message;
}

TEST_F(SevdeskConnectionTest, TooSlow) {
  const auto school = NewSchool("Pfote");
  Inject(FaultKind::kTimeout, 1, "", FaultScope::kReads);
  const auto r = TestWith(school, kTokenA);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "timeout");
  EXPECT_NE(r.message.find("nicht rechtzeitig"), std::string::npos) << r.message;
}

TEST_F(SevdeskConnectionTest, SevdeskErrorOn500AndOnAnErrorBody) {
  const auto school = NewSchool("Pfote");
  Inject(FaultKind::kError500, 1, "", FaultScope::kReads);
  auto r = TestWith(school, kTokenA);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "sevdesk_error");
  // "200 with an error body" is sevdesk answering with an error, not sevdesk being unreachable.
  Inject(FaultKind::kErrorBody200, 1, "", FaultScope::kReads);
  r = TestWith(school, kTokenA);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "sevdesk_error") << r.message;
  // A rate limit is a sevdesk answer too.
  Inject(FaultKind::kRateLimited, 1, "", FaultScope::kReads);
  r = TestWith(school, kTokenA);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.outcome, "sevdesk_error") << r.message;
  // Afterwards a normal test connects.
  r = TestWith(school, kTokenA);
  EXPECT_TRUE(r.ok) << r.outcome;
}

TEST_F(SevdeskConnectionTest, NoTokenYet) {
  const auto school = NewSchool("Pfote");
  auto r = sevdesk_->Test(school);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->outcome, "no_token");
}

TEST_F(SevdeskConnectionTest, EnablingRequiresASuccessfulTestOfTheCurrentToken) {
  const auto school = NewSchool("Pfote");
  ConnectionUpdate enable;
  enable.enabled = true;
  // No token at all.
  auto e = sevdesk_->UpdateConnection(school, enable);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().reason, "test_required");
  // A token, not tested.
  ConnectionUpdate token;
  token.token = kTokenA;
  ASSERT_TRUE(sevdesk_->UpdateConnection(school, token));
  e = sevdesk_->UpdateConnection(school, enable);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().reason, "test_required");
  // A failed test.
  auto bad = TestWith(school, kTokenUnknown);
  EXPECT_FALSE(bad.ok);
  e = sevdesk_->UpdateConnection(school, enable);
  ASSERT_FALSE(e);
  // A successful test of the current token.
  auto good = TestWith(school, kTokenA);
  ASSERT_TRUE(good.ok);
  e = sevdesk_->UpdateConnection(school, enable);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->enabled);
  EXPECT_EQ(e->state, "ok");
  // Staff may not change or test the connection.
  Principal staff = school;
  staff.role = Role::kStaff;
  EXPECT_EQ(sevdesk_->UpdateConnection(staff, enable).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(sevdesk_->Test(staff).error().code, ErrorCode::kForbidden);
  // A new token pauses the transfer until it was tested.
  ASSERT_TRUE(sevdesk_->UpdateConnection(school, token));
  auto view = sevdesk_->GetConnection(school.school_id);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->state, "paused");
  EXPECT_FALSE(view->last_test_ok);
  ASSERT_TRUE(sevdesk_->Test(school)->ok);
  view = sevdesk_->GetConnection(school.school_id);
  EXPECT_EQ(view->state, "ok");
  EXPECT_TRUE(view->enabled);
}

TEST_F(SevdeskConnectionTest, ImplausibleTokenIsRefusedWithAGermanMessage) {
  const auto school = NewSchool("Pfote");
  ConnectionUpdate u;
  u.token = "kurz";
  auto r = sevdesk_->UpdateConnection(school, u);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ASSERT_FALSE(r.error().details.empty());
  EXPECT_EQ(r.error().details.front().field, "api_token");
}

TEST_F(SevdeskConnectionTest, TokenIsSealedAtRestMaskedInAnswersAndNeverLogged) {
  ::testing::internal::CaptureStderr();
  const auto school = NewSchool("Pfote");
  Connect(school, kTokenA);
  // Transfers, including a 401 (the engine logs the pause), must not log the token either.
  const auto customer = NewCustomer(school.school_id, "Mustermann");
  const auto inv = Finalize(school.school_id, customer.id);
  Drain();
  Admin("POST", std::string("/accounts/") + kTokenA + "/revoke");
  Finalize(school.school_id, customer.id);
  Drain();
  Admin("POST", std::string("/accounts/") + kTokenA + "/reinstate");
  auto tested = sevdesk_->Test(school);
  ASSERT_TRUE(tested && tested->ok);
  Settle();
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(logged.find(kTokenA), std::string::npos) << logged;
  EXPECT_NE(logged.find("paused"), std::string::npos) << "the pause should be logged: " << logged;

  // At rest: neither the database nor its WAL contains the token.
  const auto conn = ConnectionOf(school.school_id);
  EXPECT_FALSE(conn.token_sealed.empty());
  EXPECT_EQ(conn.token_sealed.find(kTokenA), std::string::npos);
  EXPECT_EQ(conn.token_last4, "a0a0");
  for (const std::string& file : {db_path_, db_path_ + "-wal"}) {
    const std::string bytes = ReadFile(file);
    EXPECT_EQ(bytes.find(kTokenA), std::string::npos) << file << " holds the token in clear";
  }
  // Bound to its school: the sealed token does not open as another school's.
  EXPECT_FALSE(box_->Open(conn.token_sealed, "school:" + std::to_string(school.school_id + 1)));
  EXPECT_EQ(*box_->Open(conn.token_sealed, "school:" + std::to_string(school.school_id)), kTokenA);
  // The fingerprint of the tested token is keyed: not a plain hash that a database copy could
  // check guessed tokens against (issue 13).
  const std::string owner = "school:" + std::to_string(school.school_id);
  EXPECT_EQ(conn.token_fingerprint_tested, box_->Fingerprint(kTokenA, owner));
  EXPECT_EQ(conn.token_fingerprint_tested.find(crypto_->Sha256Hex(kTokenA)), std::string::npos);

  // Answers: only masked (the view has no field that could carry the token).
  auto view = sevdesk_->GetConnection(school.school_id);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->has_token);
  EXPECT_EQ(view->token_masked, "••••••••a0a0");
  EXPECT_EQ(view->last_test_message.find(kTokenA), std::string::npos);
  EXPECT_EQ(StatusOf(school.school_id, ReceiptOf(school.school_id, inv)), "transferred");
}

TEST_F(SevdeskConnectionTest, RemovingTheTokenDisables) {
  const auto school = NewSchool("Pfote");
  Connect(school, kTokenA);
  ConnectionUpdate u;
  u.token = "";
  auto r = sevdesk_->UpdateConnection(school, u);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_token);
  EXPECT_FALSE(r->enabled);
  EXPECT_EQ(r->state, "not_configured");
  EXPECT_TRUE(r->token_masked.empty());
}

TEST_F(SevdeskConnectionTest, RevenueAccountMustComeFromTheGuidance) {
  const auto school = NewSchool("Pfote");
  Connect(school, kTokenA);
  ConnectionUpdate u;
  u.revenue_account_id = std::optional<std::int64_t>{12345};
  auto r = sevdesk_->UpdateConnection(school, u);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details.front().field, "revenue_account_id");
  u.revenue_account_id = std::optional<std::int64_t>{4000101};
  r = sevdesk_->UpdateConnection(school, u);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->revenue_account_id, 4000101);
}

}  // namespace
}  // namespace hs::app::testing
