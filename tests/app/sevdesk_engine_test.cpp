// The transfer engine against every sevdesk error class, uncertain outcomes and crashes
// (issue 4, sections 7 and 8, and the test list), against the sandbox over real HTTP.
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using namespace std::chrono_literals;
using sevdesk::sandbox::FaultKind;
using sevdesk::sandbox::FaultScope;

class SevdeskEngineTest : public SevdeskWorld {
 protected:
  Principal ConnectedSchool(const std::string& name, const std::string& token) {
    auto p = NewSchool(name);
    Connect(p, token);
    return p;
  }
  void ExpectExactlyOneOfEach(const std::string& token, std::size_t vouchers = 1) {
    const Json a = Account(token);
    EXPECT_EQ(a["vouchers"].size(), vouchers);
    EXPECT_EQ(a["contacts"].size(), 1u);
    EXPECT_EQ(a["contactAddresses"].size(), 1u);
    EXPECT_EQ(a["communicationWays"].size(), 1u);
  }
};

// ------------------------------------------------------------------ unit: bucket and backoff

TEST(SevdeskRateLimiter, BurstThenPacedPerSchool) {
  RateLimiter limiter(5, 2);
  const Instant t0 = *ParseIsoInstant("2026-11-20T09:00:00.000Z");
  EXPECT_EQ(limiter.Reserve(1, t0).count(), 0);
  EXPECT_EQ(limiter.Reserve(1, t0).count(), 0);
  const auto wait = limiter.Reserve(1, t0);
  EXPECT_GT(wait.count(), 0);
  EXPECT_LE(wait.count(), 201);
  // Another school has a bucket of its own.
  EXPECT_EQ(limiter.Reserve(2, t0).count(), 0);
  // After 1/rate seconds one more call may go out, not two.
  EXPECT_EQ(limiter.Reserve(1, t0 + 200ms).count(), 0);
  EXPECT_GT(limiter.Reserve(1, t0 + 200ms).count(), 0);
}

TEST(SevdeskBackoff, FullJitterBoundedByCap) {
  SeededRandom random(3);
  for (int attempt = 1; attempt <= 20; ++attempt) {
    std::int64_t ceiling = std::min<std::int64_t>(1000LL << std::min(attempt - 1, 30), 60'000);
    std::int64_t highest = 0;
    for (int i = 0; i < 200; ++i) {
      const auto d = BackoffDelay(attempt, 1000ms, 60'000ms, random).count();
      EXPECT_GE(d, 0);
      EXPECT_LE(d, ceiling);
      highest = std::max(highest, d);
    }
    EXPECT_GT(highest, ceiling / 2) << "jitter should spread over the whole range";
  }
}

// ------------------------------------------------------------------ permanent errors

TEST_F(SevdeskEngineTest, RejectedIsPermanentAndDoesNotHoldUpTheOthers) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto gone = DeletedContactCustomer(school.school_id, "Gelöscht");
  const auto rejected = ReceiptOf(school.school_id, Finalize(school.school_id, gone.id));
  std::vector<std::int64_t> others;
  for (const char* name : {"Eins", "Zwei", "Drei"}) {
    const auto c = NewCustomer(school.school_id, name);
    others.push_back(ReceiptOf(school.school_id, Finalize(school.school_id, c.id)));
  }
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, rejected), "failed");
  for (auto r : others) EXPECT_EQ(StatusOf(school.school_id, r), "transferred");
  EXPECT_EQ(Vouchers(kTokenA).size(), 3u);
  // Never retried automatically.
  AdvanceClock(24h);
  EXPECT_EQ(Drain(), 0);
  EXPECT_EQ(Calls(kTokenA)["POST /Voucher/Factory/saveVoucher"], 4);
  auto t = TransferOf(school.school_id, rejected);
  EXPECT_EQ(t->attempts, 1);
  EXPECT_EQ(t->last_error_code, "rejected");
  // The successes reset the rejection counter.
  EXPECT_EQ(ConnectionOf(school.school_id).consecutive_rejections, 0);
}

TEST_F(SevdeskEngineTest, AContactDeletedInSevdeskIsCreatedAgainOnRetry) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto gone = DeletedContactCustomer(school.school_id, "Gelöscht");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, gone.id));
  Drain();
  auto h = History(school.school_id, receipt);
  ASSERT_EQ(h.status.status, "failed");
  EXPECT_EQ(h.status.transfer->state, TransferState::kFailed);
  EXPECT_NE(h.status.transfer->last_error_hint.find("neu an"), std::string::npos)
      << h.status.transfer->last_error_hint;
  // The stale link is forgotten, so that "Erneut versuchen" can succeed.
  auto link = LinkOf(school.school_id, gone.id);
  ASSERT_TRUE(link);
  EXPECT_TRUE(link->contact_id.empty());
  ASSERT_TRUE(sevdesk_->Retry(school.school_id, receipt));
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  ExpectExactlyOneOfEach(kTokenA);
  EXPECT_EQ(Contacts(kTokenA)[0]["customerNumber"], "HS-" + std::to_string(gone.customer_number));
}

TEST_F(SevdeskEngineTest, ABulkTransferSendsAFailedReceiptAgain) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto gone = DeletedContactCustomer(school.school_id, "Gelöscht");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, gone.id));
  Drain();
  ASSERT_EQ(StatusOf(school.school_id, receipt), "failed");
  BatchRequest req;
  req.receipt_ids = {receipt};
  auto batch = sevdesk_->CreateBatch(school, req);
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->queued, 1);
  EXPECT_TRUE(batch->skipped.empty());
  auto t = TransferOf(school.school_id, receipt);
  EXPECT_EQ(t->state, TransferState::kQueued);
  EXPECT_EQ(t->attempts, 0);
  EXPECT_EQ(t->batch_id, batch->batch_id);
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  auto status = sevdesk_->GetBatch(school.school_id, batch->batch_id);
  EXPECT_EQ(status->done, 1);
  EXPECT_EQ(status->total, 1);
  ExpectExactlyOneOfEach(kTokenA);
}

TEST_F(SevdeskEngineTest, AnExpiredUploadIsUploadedAgain) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Abgelaufen");
  const auto inv = Finalize(school.school_id, c.id);
  const auto receipt = ReceiptOf(school.school_id, inv);
  Inject(FaultKind::kError500, 1, "saveVoucher", FaultScope::kWrites);
  Drain();
  auto t = TransferOf(school.school_id, receipt);
  ASSERT_EQ(t->state, TransferState::kRetryWait);
  ASSERT_FALSE(t->uploaded_filename.empty());
  // sevdesk deletes temporary files after a while: the stored name no longer exists there.
  t->uploaded_filename = "00000000000000000000000000000000.pdf";
  SaveTransfer(*t);
  Settle();
  const auto h = History(school.school_id, receipt);
  ASSERT_EQ(h.status.status, "transferred") << h.status.transfer->last_error_message;
  ExpectExactlyOneOfEach(kTokenA);
  EXPECT_EQ(VoucherDocument(kTokenA, h.status.transfer->voucher_id),
            *invoices_->GetPdf(school.school_id, inv.id));
}

TEST_F(SevdeskEngineTest, BreakerOpensAfterRepeatedRejections) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  for (int i = 0; i < options_.settings.breaker_threshold; ++i) {
    const auto c = DeletedContactCustomer(school.school_id, "Weg" + std::to_string(i));
    Finalize(school.school_id, c.id);
  }
  const auto good = NewCustomer(school.school_id, "Gut");
  const auto waiting = ReceiptOf(school.school_id, Finalize(school.school_id, good.id));
  EXPECT_EQ(Drain(), options_.settings.breaker_threshold);
  // The school's transfers rest; nothing more goes to sevdesk.
  const auto conn = ConnectionOf(school.school_id);
  ASSERT_TRUE(conn.breaker_until);
  EXPECT_EQ(*conn.breaker_until, Now() + options_.settings.breaker_pause);
  EXPECT_EQ(StatusOf(school.school_id, waiting), "queued");
  EXPECT_EQ(Calls(kTokenA)["POST /Voucher/Factory/saveVoucher"],
            options_.settings.breaker_threshold);
  AdvanceClock(options_.settings.breaker_pause - 1s);
  EXPECT_EQ(Drain(), 0);
  AdvanceClock(2s);
  EXPECT_EQ(Drain(), 1);
  EXPECT_EQ(StatusOf(school.school_id, waiting), "transferred");
}

TEST_F(SevdeskEngineTest, AManualRetryClosesTheBreaker) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  std::int64_t first_rejected = 0;
  for (int i = 0; i < options_.settings.breaker_threshold; ++i) {
    const auto c = DeletedContactCustomer(school.school_id, "Weg" + std::to_string(i));
    const auto r = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
    if (i == 0) first_rejected = r;
  }
  const auto good = NewCustomer(school.school_id, "Gut");
  const auto waiting = ReceiptOf(school.school_id, Finalize(school.school_id, good.id));
  Drain();
  ASSERT_TRUE(ConnectionOf(school.school_id).breaker_until);
  // The owner fixed the cause and retries one: the breaker closes, everything flows again.
  ASSERT_TRUE(sevdesk_->Retry(school.school_id, first_rejected));
  EXPECT_FALSE(ConnectionOf(school.school_id).breaker_until);
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, first_rejected), "transferred");
  EXPECT_EQ(StatusOf(school.school_id, waiting), "transferred");
}

TEST_F(SevdeskEngineTest, ClaimsAreRoundRobinWithAtMostTwoInFlightPerSchoolAndOnePerCustomer) {
  const auto a = ConnectedSchool("A", kTokenA);
  const auto b = ConnectedSchool("B", kTokenB);
  for (const auto& school : {a, b}) {
    for (int i = 0; i < 3; ++i) {
      const auto c = NewCustomer(school.school_id, "K" + std::to_string(i));
      Finalize(school.school_id, c.id);
    }
  }
  // A third school whose two receipts belong to one customer.
  auto k = NewSchool("Klein", domain::TaxMode::kKleinunternehmer);
  Connect(k, kTokenKlein);
  const auto one = NewCustomer(k.school_id, "Einer");
  Finalize(k.school_id, one.id, {{"Kurs", 1000, 0}});
  const auto second = ReceiptOf(k.school_id, Finalize(k.school_id, one.id, {{"Kurs", 2000, 0}}));
  std::vector<std::int64_t> order;
  while (auto t = ClaimAs("probe")) order.push_back(t->school_id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{a.school_id, b.school_id, k.school_id, a.school_id,
                                              b.school_id}));
  EXPECT_EQ(StatusOf(k.school_id, second), "queued");
}

// ------------------------------------------------------------------ auth errors

TEST_F(SevdeskEngineTest, Unauthorized401InTheMiddleOfABackfillThenANewTokenResumes) {
  const auto school = NewSchool("Pfote");
  std::vector<std::int64_t> receipts;
  std::vector<std::string> numbers;
  for (int i = 0; i < 6; ++i) {
    const auto c = NewCustomer(school.school_id, "Kunde" + std::to_string(i));
    const auto inv = Finalize(school.school_id, c.id, {{"Kurs", 1000 + 100 * i, 19}});
    receipts.push_back(ReceiptOf(school.school_id, inv));
    numbers.push_back(*inv.number);
  }
  Connect(school, kTokenA);
  BatchRequest req;
  req.receipt_ids = receipts;
  auto batch = sevdesk_->CreateBatch(school, req);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->queued, 6);
  for (int i = 0; i < 3; ++i) {
    auto t = ClaimAs("w");
    ASSERT_TRUE(t);
    engine_->Process(*t);
  }
  // The token is revoked in sevdesk.
  Admin("POST", std::string("/accounts/") + kTokenA + "/revoke");
  EXPECT_EQ(Drain(), 1);  // the first 401 pauses the school; nothing else is sent
  const auto conn = ConnectionOf(school.school_id);
  EXPECT_EQ(conn.state, ConnectionState::kPausedAuth);
  EXPECT_NE(conn.paused_reason.find("Token"), std::string::npos) << conn.paused_reason;
  EXPECT_TRUE(*sevdesk_->IsPaused(school.school_id));
  int transferred = 0, waiting = 0;
  for (auto r : receipts) {
    const auto s = StatusOf(school.school_id, r);
    transferred += s == "transferred";
    waiting += s == "waiting";
    if (s == "waiting") {
      EXPECT_EQ(TransferOf(school.school_id, r)->attempts, 0) << "a pause costs no attempt";
    }
  }
  EXPECT_EQ(transferred, 3);
  EXPECT_EQ(waiting, 3);
  const auto view = sevdesk_->GetConnection(school.school_id);
  EXPECT_EQ(view->state, "paused");
  // Time passes: still nothing is sent with the bad token.
  const long calls = TotalCalls(kTokenA);
  AdvanceClock(1h);
  EXPECT_EQ(Drain(), 0);
  EXPECT_EQ(TotalCalls(kTokenA), calls);
  // A test with the revoked token keeps the pause.
  auto failed_test = sevdesk_->Test(school);
  ASSERT_TRUE(failed_test);
  EXPECT_EQ(failed_test->outcome, "token_invalid");
  EXPECT_EQ(ConnectionOf(school.school_id).state, ConnectionState::kPausedAuth);

  // The owner regenerates the token in sevdesk, enters the new one and tests it: everything
  // resumes by itself, into the same sevdesk account.
  const std::string regenerated = "9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e";
  ASSERT_EQ(Admin("POST", std::string("/accounts/") + kTokenA + "/token",
                  Json{{"token", regenerated}})["ok"],
            true);
  ConnectionUpdate u;
  u.token = regenerated;
  ASSERT_TRUE(sevdesk_->UpdateConnection(school, u));
  auto tested = sevdesk_->Test(school);
  ASSERT_TRUE(tested && tested->ok) << tested->outcome;
  EXPECT_EQ(ConnectionOf(school.school_id).state, ConnectionState::kOk);
  Settle();
  for (auto r : receipts) EXPECT_EQ(StatusOf(school.school_id, r), "transferred");
  const auto vouchers = Vouchers(regenerated);
  ASSERT_EQ(vouchers.size(), 6u);
  std::set<std::string> descriptions;
  for (const auto& v : vouchers) descriptions.insert(v["voucher"]["description"]);
  EXPECT_EQ(descriptions, std::set<std::string>(numbers.begin(), numbers.end()));
  EXPECT_EQ(Contacts(regenerated).size(), 6u);
  auto status = sevdesk_->GetBatch(school.school_id, batch->batch_id);
  EXPECT_EQ(status->done, 6);
  EXPECT_EQ(status->remaining, 0);
}

TEST_F(SevdeskEngineTest, Forbidden403PausesUntilASuccessfulTest) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  Admin("PUT", std::string("/accounts/") + kTokenA + "/settings", Json{{"api_access", false}});
  const auto c = NewCustomer(school.school_id, "Tarif");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "waiting");
  auto t = TransferOf(school.school_id, receipt);
  EXPECT_EQ(t->last_error_code, "auth");
  EXPECT_NE(t->last_error_message.find("Tarif"), std::string::npos) << t->last_error_message;
  EXPECT_FALSE(t->last_error_hint.empty());
  EXPECT_EQ(t->attempts, 0);
  auto failed = sevdesk_->Test(school);
  EXPECT_EQ(failed->outcome, "no_api_access");
  Admin("PUT", std::string("/accounts/") + kTokenA + "/settings", Json{{"api_access", true}});
  ASSERT_TRUE(sevdesk_->Test(school)->ok);
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  ExpectExactlyOneOfEach(kTokenA);
}

// ------------------------------------------------------------------ rate limits

TEST_F(SevdeskEngineTest, TooManyRequestsWithRetryAfterIsHonoured) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Bremse");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Inject(FaultKind::kRateLimited, 1, "saveVoucher");  // Retry-After: 2
  Drain();
  auto t = TransferOf(school.school_id, receipt);
  EXPECT_EQ(t->state, TransferState::kQueued);
  EXPECT_EQ(t->attempts, 0);
  EXPECT_EQ(t->next_attempt_at, Now() + 2s);
  EXPECT_EQ(t->last_error_code, "rate_limited");
  EXPECT_EQ(ConnectionOf(school.school_id).throttled_until, Now() + 2s);
  // Another receipt of the school waits too (the whole school is throttled).
  const auto c2 = NewCustomer(school.school_id, "Zweite");
  const auto second = ReceiptOf(school.school_id, Finalize(school.school_id, c2.id));
  AdvanceClock(1900ms);
  EXPECT_EQ(Drain(), 0);
  AdvanceClock(100ms);
  EXPECT_EQ(Drain(), 2);
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  EXPECT_EQ(StatusOf(school.school_id, second), "transferred");
  EXPECT_EQ(Vouchers(kTokenA).size(), 2u);
  EXPECT_EQ(Calls(kTokenA)["POST /Voucher/Factory/saveVoucher"], 3);
}

TEST_F(SevdeskEngineTest, TooManyRequestsWithoutRetryAfterBacksOff) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Bremse");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Inject(FaultKind::kRateLimitedNoRetryAfter, 1, "uploadTempFile");
  Drain();
  auto t = TransferOf(school.school_id, receipt);
  EXPECT_EQ(t->state, TransferState::kQueued);
  EXPECT_EQ(t->attempts, 0);
  const auto delay = t->next_attempt_at - Now();
  EXPECT_GE(delay, 500ms);
  EXPECT_LE(delay, options_.settings.backoff_base + 500ms);
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  ExpectExactlyOneOfEach(kTokenA);
}

TEST_F(SevdeskEngineTest, RepeatedTooManyRequestsWithoutRetryAfterBackOffFurther) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Bremse");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  constexpr int kThrottles = 6;
  Inject(FaultKind::kRateLimitedNoRetryAfter, kThrottles, "uploadTempFile");
  std::chrono::milliseconds longest{0};
  for (int n = 1; n <= kThrottles; ++n) {
    Drain();
    auto t = TransferOf(school.school_id, receipt);
    ASSERT_EQ(t->state, TransferState::kQueued) << n;
    EXPECT_EQ(t->attempts, 0);  // a 429 spends no attempt
    const auto delay =
        std::chrono::duration_cast<std::chrono::milliseconds>(t->next_attempt_at - Now());
    EXPECT_GE(delay, 500ms) << n;
    EXPECT_LE(delay, options_.settings.backoff_base * (1 << (n - 1)) + 500ms) << n;
    longest = std::max(longest, delay);
    AdvanceClock(delay);
  }
  // The ceiling doubles with the streak, so the waits do not stay at the first one's size.
  EXPECT_GT(longest, options_.settings.backoff_base + 500ms);
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  ExpectExactlyOneOfEach(kTokenA);
}

// ------------------------------------------------------------------ transient errors

TEST_F(SevdeskEngineTest, ServerErrorsAreRetriedWithBoundedBackoffThenFailedAndVisible) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  sevdesk::sandbox::FaultSettings down;
  down.error_500 = 1.0;
  SetAccountFaults(kTokenA, down);
  const auto c = NewCustomer(school.school_id, "Ausfall");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  for (int attempt = 1; attempt <= options_.settings.max_attempts; ++attempt) {
    ASSERT_EQ(Drain(), 1) << attempt;
    auto t = TransferOf(school.school_id, receipt);
    ASSERT_EQ(t->attempts, attempt);
    if (attempt < options_.settings.max_attempts) {
      ASSERT_EQ(t->state, TransferState::kRetryWait);
      const auto delay = t->next_attempt_at - Now();
      EXPECT_GE(delay, 0ms);
      EXPECT_LE(delay, options_.settings.backoff_base * (1 << (attempt - 1)));
      EXPECT_EQ(StatusOf(school.school_id, receipt), "failed");
      EXPECT_EQ(Drain(), 0) << "not before its time";
      fake_->Set(t->next_attempt_at);
    } else {
      EXPECT_EQ(t->state, TransferState::kFailed);
    }
  }
  const auto h = History(school.school_id, receipt);
  EXPECT_EQ(h.status.status, "failed");
  EXPECT_NE(h.status.transfer->last_error_message.find("4 Versuchen"), std::string::npos)
      << h.status.transfer->last_error_message;
  int retries = 0;
  for (const auto& e : h.events) retries += e.kind == "retry_scheduled";
  EXPECT_EQ(retries, options_.settings.max_attempts - 1);
  // Exactly max_attempts calls reached sevdesk (each attempt stops at its first failure).
  // (The connection test makes 3 calls; activating reads the contacts for the Kundenabgleich in
  // 3 more: contacts, addresses, e-mails. The attempts' first call is the matching's read of the
  // customer, who came after it.)
  EXPECT_EQ(TotalCalls(kTokenA) - 3 - 3, options_.settings.max_attempts);
}

struct FaultCase {
  FaultKind kind;
  const char* endpoint;
};

std::string CaseName(const ::testing::TestParamInfo<FaultCase>& info) {
  std::string name =
      std::string(sevdesk::sandbox::FaultKindName(info.param.kind)) + "_" + info.param.endpoint;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class SevdeskFaultTest : public SevdeskEngineTest, public ::testing::WithParamInterface<FaultCase> {
 protected:
  void Configure(WorldOptions& o) override {
    o.client_timeout = std::chrono::milliseconds(300);
    o.sandbox_hold = std::chrono::milliseconds(600);
  }
  // The sandbox counts a held-back ("time-out") request only when its answer ends.
  void LetHeldAnswersEnd() {
    const auto kind = GetParam().kind;
    if (kind == FaultKind::kTimeout || kind == FaultKind::kTimeoutAfterWrite) {
      std::this_thread::sleep_for(options_.sandbox_hold);
    }
  }
};

// Every transient failure (before and after the write was applied) on every write: the receipt
// ends transferred with exactly one contact, address, e-mail and voucher in sevdesk.
TEST_P(SevdeskFaultTest, RecoversWithoutDuplicates) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Unsicher");
  Inject(GetParam().kind, 1, GetParam().endpoint, FaultScope::kWrites, kTokenA);
  const auto inv = Finalize(school.school_id, c.id, {{"Kurs", 5500, 19}, {"Buch", 1869, 7}});
  const auto receipt = ReceiptOf(school.school_id, inv);
  Drain();
  auto t = TransferOf(school.school_id, receipt);
  ASSERT_EQ(t->state, TransferState::kRetryWait) << "the fault must have hit";
  EXPECT_EQ(StatusOf(school.school_id, receipt), "failed");
  Settle();
  const auto h = History(school.school_id, receipt);
  ASSERT_EQ(h.status.status, "transferred");
  EXPECT_EQ(h.status.transfer->attempts, 2);
  ExpectExactlyOneOfEach(kTokenA);
  const auto vouchers = Vouchers(kTokenA);
  ASSERT_EQ(vouchers.size(), 1u);
  EXPECT_EQ(vouchers[0]["voucher"]["id"], h.status.transfer->voucher_id);
  EXPECT_EQ(ParseCents(vouchers[0]["voucher"]["sumGross"]), inv.totals.gross_cents);
  EXPECT_EQ(VoucherDocument(kTokenA, h.status.transfer->voucher_id),
            *invoices_->GetPdf(school.school_id, inv.id));
  // Afterwards the customer is known: its next receipt costs the minimum of two calls.
  LetHeldAnswersEnd();
  const long before = TotalCalls(kTokenA);
  const auto next = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, next), "transferred");
  EXPECT_EQ(TotalCalls(kTokenA) - before, 2);
  ExpectExactlyOneOfEach(kTokenA, 2);
}

std::vector<FaultCase> AllFaultCases() {
  std::vector<FaultCase> out;
  for (FaultKind kind : {FaultKind::kError500, FaultKind::kError500AfterWrite, FaultKind::kTimeout,
                         FaultKind::kTimeoutAfterWrite, FaultKind::kReset,
                         FaultKind::kResetAfterWrite, FaultKind::kErrorBody200}) {
    for (const char* endpoint : {"POST /Contact", "POST /ContactAddress", "POST /CommunicationWay",
                                 "uploadTempFile", "saveVoucher"}) {
      out.push_back({kind, endpoint});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryWrite, SevdeskFaultTest, ::testing::ValuesIn(AllFaultCases()),
                         CaseName);

TEST_F(SevdeskEngineTest, LookupAfterAnUncertainSaveMayFailToo) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Doppelt");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Inject(FaultKind::kError500AfterWrite, 1, "saveVoucher", FaultScope::kWrites);
  Inject(FaultKind::kTimeout, 1, "GET /Voucher", FaultScope::kReads);
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  EXPECT_EQ(TransferOf(school.school_id, receipt)->attempts, 3);
  ExpectExactlyOneOfEach(kTokenA);
}

TEST_F(SevdeskEngineTest, AnUncertainContactIsAdoptedByCustomerNumberWithDepth) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Person");
  Inject(FaultKind::kTimeoutAfterWrite, 1, "POST /Contact", FaultScope::kWrites);
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  const auto h = History(school.school_id, receipt);
  bool adopted = false;
  for (const auto& e : h.events) adopted = adopted || e.kind == "contact_adopted";
  EXPECT_TRUE(adopted);
  // One lookup by customer number (the timed-out POST is counted by the sandbox only when its
  // held-back answer ends), beside the Kundenabgleich's reads of the contacts: on activation and
  // for the customer who came after it.
  auto calls = Calls(kTokenA);
  EXPECT_EQ(calls["GET /Contact"], 1 + 2);
  ExpectExactlyOneOfEach(kTokenA);
}

// ------------------------------------------------------------------ crashes

TEST_F(SevdeskEngineTest, CrashAfterContactCreateRecoveredByLeaseExpiry) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Absturz");
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  // A worker claims it, marks the contact as being created, sends POST /Contact and dies.
  auto t = ClaimAs("dead-worker");
  ASSERT_TRUE(t);
  const std::string number = "HS-" + std::to_string(c.customer_number);
  SaveLink({school.school_id, c.id, number, "", "", "", "", "", 0, true, {}});
  ContactData data;
  data.first_name = c.first_name;
  data.last_name = c.last_name;
  data.customer_number = number;
  ASSERT_TRUE(gateway_->CreateContact(kTokenA, data));
  EXPECT_EQ(StatusOf(school.school_id, receipt), "in_progress");
  // Within the lease nobody else touches it.
  EXPECT_EQ(Drain(), 0);
  {
    auto uow = db_->Begin(TxKind::kWrite);
    auto n = (*uow)->Sevdesk().RecoverRunning("live-worker", Now(), false);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0);
  }
  // The lease expires: the work is recovered, the attempt given back.
  AdvanceClock(options_.settings.lease + 1s);
  {
    auto uow = db_->Begin(TxKind::kWrite);
    auto n = (*uow)->Sevdesk().RecoverRunning("live-worker", Now(), false);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  EXPECT_EQ(TransferOf(school.school_id, receipt)->attempts, 0);
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, receipt), "transferred");
  ExpectExactlyOneOfEach(kTokenA);
}

TEST_F(SevdeskEngineTest, CrashAfterSaveVoucherRecoveredAtStart) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Neustart");
  // First receipt normally, so the contact exists.
  Finalize(school.school_id, c.id);
  Drain();
  const auto inv = Finalize(school.school_id, c.id, {{"Kurs", 7700, 19}});
  const auto receipt = ReceiptOf(school.school_id, inv);
  // A worker claims it, uploads, stores phase=posting, saves the voucher in sevdesk, and the
  // process dies before it stores the voucher id.
  auto t = ClaimAs("dead-process");
  ASSERT_TRUE(t);
  const auto link = LinkOf(school.school_id, c.id);
  ASSERT_TRUE(link && !link->contact_id.empty());
  auto pdf = invoices_->GetPdf(school.school_id, inv.id);
  auto name = gateway_->UploadDocument(kTokenA, *inv.number + ".pdf", *pdf);
  ASSERT_TRUE(name);
  t->phase = TransferPhase::kPosting;
  t->uploaded_filename = *name;
  SaveTransfer(*t);
  VoucherData v;
  v.voucher_date = inv.invoice_date;
  v.delivery_date = inv.service_date;
  v.description = *inv.number;
  v.contact_id = link->contact_id;
  v.tax_rule = 1;
  v.filename = *name;
  for (const auto& g : inv.totals.groups) {
    v.positions.push_back({4400101, g.rate, g.gross_cents, ""});
  }
  auto saved = gateway_->SaveVoucher(kTokenA, v);
  ASSERT_TRUE(saved) << saved.error().message;

  // The new process starts its workers: every running row of another owner is recovered.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(sevdesk_->StartWorkers());
  while (StatusOf(school.school_id, receipt) != "transferred" &&
         std::chrono::steady_clock::now() - start < 10s) {
    std::this_thread::sleep_for(10ms);
  }
  sevdesk_->StopWorkers();
  const auto h = History(school.school_id, receipt);
  ASSERT_EQ(h.status.status, "transferred");
  EXPECT_EQ(h.status.transfer->voucher_id, saved->id);
  EXPECT_NE(h.events.back().message.find("übernommen"), std::string::npos)
      << h.events.back().message;
  ExpectExactlyOneOfEach(kTokenA, 2);
}

TEST_F(SevdeskEngineTest, CrashBeforeAnythingWasSentAndAfterTheUpload) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Früh");
  const auto r1 = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  auto t = ClaimAs("dead-1");  // dies right after claiming
  ASSERT_TRUE(t);
  AdvanceClock(options_.settings.lease + 1s);
  {
    auto uow = db_->Begin(TxKind::kWrite);
    ASSERT_EQ(*(*uow)->Sevdesk().RecoverRunning("live", Now(), false), 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, r1), "transferred");
  // Dies after uploading, before storing the file name: the next attempt uploads again.
  const auto inv2 = Finalize(school.school_id, c.id);
  const auto r2 = ReceiptOf(school.school_id, inv2);
  t = ClaimAs("dead-2");
  ASSERT_TRUE(
      gateway_->UploadDocument(kTokenA, "x.pdf", *invoices_->GetPdf(school.school_id, inv2.id)));
  AdvanceClock(options_.settings.lease + 1s);
  {
    auto uow = db_->Begin(TxKind::kWrite);
    ASSERT_EQ(*(*uow)->Sevdesk().RecoverRunning("live", Now(), false), 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  Drain();
  EXPECT_EQ(StatusOf(school.school_id, r2), "transferred");
  ExpectExactlyOneOfEach(kTokenA, 2);
}

// ------------------------------------------------------------------ isolation

TEST_F(SevdeskEngineTest, TwoSchoolsAreIsolated) {
  const auto a = ConnectedSchool("A", kTokenA);
  const auto b = ConnectedSchool("B", kTokenB);
  const auto ca = NewCustomer(a.school_id, "A-Kunde");
  const auto cb = NewCustomer(b.school_id, "B-Kunde");
  // A's token is revoked: A pauses, B goes on.
  Admin("POST", std::string("/accounts/") + kTokenA + "/revoke");
  const auto a1 = ReceiptOf(a.school_id, Finalize(a.school_id, ca.id));
  const auto b1 = ReceiptOf(b.school_id, Finalize(b.school_id, cb.id));
  Drain();
  EXPECT_EQ(StatusOf(a.school_id, a1), "waiting");
  EXPECT_EQ(StatusOf(b.school_id, b1), "transferred");
  EXPECT_EQ(ConnectionOf(b.school_id).state, ConnectionState::kOk);
  const auto b2 = ReceiptOf(b.school_id, Finalize(b.school_id, cb.id));
  Drain();
  EXPECT_EQ(StatusOf(b.school_id, b2), "transferred");
  // A's sevdesk is back but fails every write: A retries, B is not slowed down or paused.
  Admin("POST", std::string("/accounts/") + kTokenA + "/reinstate");
  sevdesk::sandbox::FaultSettings down;
  down.error_500 = 1.0;
  down.scope = FaultScope::kWrites;
  SetAccountFaults(kTokenA, down);
  ASSERT_TRUE(sevdesk_->Test(a)->ok);
  Drain();
  EXPECT_EQ(StatusOf(a.school_id, a1), "failed");
  const auto b3 = ReceiptOf(b.school_id, Finalize(b.school_id, cb.id));
  Drain();
  EXPECT_EQ(StatusOf(b.school_id, b3), "transferred");
  EXPECT_EQ(ConnectionOf(b.school_id).consecutive_rejections, 0);
  EXPECT_FALSE(ConnectionOf(b.school_id).throttled_until);
  // B's 429 does not throttle A.
  SetAccountFaults(kTokenA, std::nullopt);
  Inject(FaultKind::kRateLimited, 1, "uploadTempFile", FaultScope::kWrites, kTokenB);
  const auto b4 = ReceiptOf(b.school_id, Finalize(b.school_id, cb.id));
  Settle();
  EXPECT_EQ(StatusOf(a.school_id, a1), "transferred");
  EXPECT_EQ(StatusOf(b.school_id, b4), "transferred");
  EXPECT_FALSE(ConnectionOf(a.school_id).throttled_until);
  // Each school's data only in its own sevdesk account, contacts separate.
  EXPECT_EQ(Vouchers(kTokenA).size(), 1u);
  EXPECT_EQ(Vouchers(kTokenB).size(), 4u);
  EXPECT_EQ(Contacts(kTokenA).size(), 1u);
  EXPECT_EQ(Contacts(kTokenB).size(), 1u);
  // One school cannot see another's receipt history.
  EXPECT_FALSE(sevdesk_->History(b.school_id, a1));
}

// The benchmark seam that measures the queue alone (bench/queue_bench.cpp "noop"): the replaced
// steps run in place of sevdesk's, and the engine's own claim, retry, completion and history stay.
TEST_F(SevdeskEngineTest, ReplacedStepsRunInsideTheEnginesQueueWithoutCallingSevdesk) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Leer");
  const long calls_before = TotalCalls(kTokenA);
  int runs = 0;
  sevdesk_->ReplaceTransferStepsForBenchmark([&](const Transfer& t) -> Result<std::string> {
    if (++runs == 1) return Fail(ErrorCode::kUnavailable, "sevdesk_unreachable", "weg");
    return "noop-" + std::to_string(t.receipt_id);
  });
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  EXPECT_EQ(Drain(), 1);
  auto t = TransferOf(school.school_id, receipt);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TransferState::kRetryWait) << "a failed step is retried like a failed call";
  EXPECT_EQ(t->attempts, 1);
  AdvanceClock(options_.settings.backoff_cap);
  Settle();
  t = TransferOf(school.school_id, receipt);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TransferState::kTransferred);
  EXPECT_EQ(t->voucher_id, "noop-" + std::to_string(receipt));
  EXPECT_EQ(runs, 2);
  std::vector<std::string> kinds;
  for (const auto& e : History(school.school_id, receipt).events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"queued", "started", "retry_scheduled", "started",
                                             "transferred"}));
  EXPECT_EQ(TotalCalls(kTokenA), calls_before) << "the replaced steps must not call sevdesk";
}

// ------------------------------------------------------------------ real workers

class SevdeskWorkersTest : public SevdeskEngineTest {
 protected:
  void Configure(WorldOptions& o) override {
    o.fake_clock = false;
    o.settings.poll_interval = std::chrono::milliseconds(10'000);  // prove the wake-up
    o.settings.backoff_base = std::chrono::milliseconds(20);
  }
  bool WaitFor(std::int64_t school, std::int64_t receipt, const std::string& status,
               std::chrono::milliseconds limit = 10s) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (StatusOf(school, receipt) == status) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

TEST_F(SevdeskWorkersTest, WorkersAreWokenOnFinalizeAndStopGracefully) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  ASSERT_TRUE(sevdesk_->StartWorkers());
  const auto c = NewCustomer(school.school_id, "Live");
  std::this_thread::sleep_for(100ms);  // the workers are asleep now (poll interval 10 s)
  const auto start = std::chrono::steady_clock::now();
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  ASSERT_TRUE(WaitFor(school.school_id, receipt, "transferred"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // A retry with real (small) backoff, handled by the workers alone.
  Inject(FaultKind::kError500AfterWrite, 1, "saveVoucher", FaultScope::kWrites);
  const auto second = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  ASSERT_TRUE(WaitFor(school.school_id, second, "transferred"));
  ExpectExactlyOneOfEach(kTokenA, 2);
  const auto stop = std::chrono::steady_clock::now();
  sevdesk_->StopWorkers();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, 3s) << "stop must not wait for a poll";
}

TEST_F(SevdeskWorkersTest, ConcurrentReceiptsOfOneNewCustomerMakeOneContact) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Gleichzeitig");
  std::vector<std::int64_t> receipts;
  for (int i = 0; i < 4; ++i) {
    receipts.push_back(
        ReceiptOf(school.school_id, Finalize(school.school_id, c.id, {{"Kurs", 1000 + i, 19}})));
  }
  ASSERT_TRUE(sevdesk_->StartWorkers());
  for (auto r : receipts) ASSERT_TRUE(WaitFor(school.school_id, r, "transferred"));
  sevdesk_->StopWorkers();
  ExpectExactlyOneOfEach(kTokenA, 4);
}

class SevdeskPacedTest : public SevdeskWorkersTest {
 protected:
  void Configure(WorldOptions& o) override {
    SevdeskWorkersTest::Configure(o);
    o.settings.rate_per_second = 10;
    o.settings.burst = 1;
  }
};

TEST_F(SevdeskPacedTest, TheTokenBucketPacesTheCallsOfASchool) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Langsam");
  ASSERT_TRUE(sevdesk_->StartWorkers());
  const auto start = std::chrono::steady_clock::now();
  // A new customer: contact, address, e-mail, upload, save = 5 calls at 10/s with a burst of 1.
  const auto receipt = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  ASSERT_TRUE(WaitFor(school.school_id, receipt, "transferred"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 390ms);
  sevdesk_->StopWorkers();
}

class SevdeskReservedWorkerTest : public SevdeskWorkersTest {
 protected:
  void Configure(WorldOptions& o) override {
    SevdeskWorkersTest::Configure(o);
    o.settings.workers = 2;
    o.settings.max_in_flight_per_school = 2;
    o.client_timeout = 10s;  // A's sevdesk is slow, not down
  }
  int Running(std::int64_t school, const std::vector<std::int64_t>& receipts) {
    int n = 0;
    for (auto r : receipts) {
      auto t = TransferOf(school, r);
      if (t && t->state == TransferState::kRunning) ++n;
    }
    return n;
  }
};

// Issue 4, fairness: one worker is kept for live transfers. A's backfill may have 2 in flight,
// but it gets 1 of the 2 workers, so B's live invoice is transferred at once instead of waiting
// for one of A's transfers (5 calls of 1.5 s each for a new customer).
TEST_F(SevdeskReservedWorkerTest, ALiveTransferDoesNotWaitBehindAnotherSchoolsBackfill) {
  const auto a = NewSchool("A");
  std::vector<std::int64_t> backlog;
  for (int i = 0; i < 4; ++i) {
    const auto c = NewCustomer(a.school_id, "Kunde" + std::to_string(i));
    backlog.push_back(
        ReceiptOf(a.school_id, Finalize(a.school_id, c.id, {{"Kurs", 1000 + 100 * i, 19}})));
  }
  Connect(a, kTokenA);
  const auto b = ConnectedSchool("B", kTokenB);
  const auto live = NewCustomer(b.school_id, "Live");
  sevdesk::sandbox::FaultSettings slow;
  slow.latency = 1500ms;
  SetAccountFaults(kTokenA, slow);
  ASSERT_TRUE(sevdesk_->StartWorkers());
  BatchRequest req;
  req.receipt_ids = backlog;
  ASSERT_TRUE(sevdesk_->CreateBatch(a, req));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Running(a.school_id, backlog) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(Running(a.school_id, backlog), 1);
  std::this_thread::sleep_for(200ms);  // time for a second worker to take A's backfill as well
  EXPECT_EQ(Running(a.school_id, backlog), 1) << "backfill may occupy all workers but one";
  const auto start = std::chrono::steady_clock::now();
  const auto receipt = ReceiptOf(b.school_id, Finalize(b.school_id, live.id));
  ASSERT_TRUE(WaitFor(b.school_id, receipt, "transferred", 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(Running(a.school_id, backlog), 1);  // A's transfer is still in its slow calls
  sevdesk_->StopWorkers();
  // Stopping gives A's interrupted transfer back; nothing failed.
  for (auto r : backlog) EXPECT_NE(StatusOf(a.school_id, r), "failed");
}

// ------------------------------------------------------------------ durability by role

// Records the kind of every committed transaction and every sevdesk call, in one sequence.
struct DurabilityLog {
  std::mutex mutex;
  std::vector<std::string> entries;  // "commit:relaxed" ... or "call:CreateContact" ...
  void Add(std::string e) {
    std::lock_guard lock(mutex);
    entries.push_back(std::move(e));
  }
};

std::string KindName(TxKind k) {
  switch (k) {
    case TxKind::kRead:
      return "read";
    case TxKind::kWrite:
      return "write";
    case TxKind::kDurableWrite:
      return "durable";
    case TxKind::kRelaxedWrite:
      return "relaxed";
  }
  return "?";
}

class RecordingUnitOfWork final : public UnitOfWork {
 public:
  RecordingUnitOfWork(std::unique_ptr<UnitOfWork> inner, TxKind kind, DurabilityLog& log)
      : inner_(std::move(inner)), kind_(kind), log_(log) {}
  SchoolRepository& Schools() override { return inner_->Schools(); }
  UserRepository& Users() override { return inner_->Users(); }
  SessionRepository& Sessions() override { return inner_->Sessions(); }
  CustomerRepository& Customers() override { return inner_->Customers(); }
  InvoiceRepository& Invoices() override { return inner_->Invoices(); }
  ReceiptRepository& Receipts() override { return inner_->Receipts(); }
  SevdeskRepository& Sevdesk() override { return inner_->Sevdesk(); }
  PaymentRepository& Payments() override { return inner_->Payments(); }
  Status Commit() override {
    auto st = inner_->Commit();
    if (st) log_.Add("commit:" + KindName(kind_));
    return st;
  }

 private:
  std::unique_ptr<UnitOfWork> inner_;
  TxKind kind_;
  DurabilityLog& log_;
};

class RecordingDatabase final : public Database {
 public:
  RecordingDatabase(Database& inner, DurabilityLog& log) : inner_(inner), log_(log) {}
  Result<std::unique_ptr<UnitOfWork>> Begin(TxKind kind) override {
    auto uow = inner_.Begin(kind);
    if (!uow) return uow;
    return std::unique_ptr<UnitOfWork>(new RecordingUnitOfWork(std::move(*uow), kind, log_));
  }

 private:
  Database& inner_;
  DurabilityLog& log_;
};

class RecordingGateway final : public SevdeskGateway {
 public:
  RecordingGateway(SevdeskGateway& inner, DurabilityLog& log) : inner_(inner), log_(log) {}
  Result<std::string> BookkeepingVersion(const std::string& t) override {
    return inner_.BookkeepingVersion(t);
  }
  Result<SevdeskAccountInfo> Inspect(const std::string& t) override { return inner_.Inspect(t); }
  Result<std::optional<ContactRef>> FindContact(const std::string& t,
                                                const std::string& n) override {
    log_.Add("call:FindContact");
    return inner_.FindContact(t, n);
  }
  Result<std::string> CreateContact(const std::string& t, const ContactData& c) override {
    log_.Add("call:CreateContact");
    return inner_.CreateContact(t, c);
  }
  Status UpdateContact(const std::string& t, const std::string& id, const ContactData& c) override {
    log_.Add("call:UpdateContact");
    return inner_.UpdateContact(t, id, c);
  }
  Result<std::vector<FoundAddress>> FindAddresses(const std::string& t,
                                                  const std::string& id) override {
    log_.Add("call:FindAddresses");
    return inner_.FindAddresses(t, id);
  }
  Result<std::string> CreateAddress(const std::string& t, const std::string& id,
                                    const ContactData& c) override {
    log_.Add("call:CreateAddress");
    return inner_.CreateAddress(t, id, c);
  }
  Status UpdateAddress(const std::string& t, const std::string& id, const ContactData& c) override {
    log_.Add("call:UpdateAddress");
    return inner_.UpdateAddress(t, id, c);
  }
  Result<std::vector<FoundEmail>> FindEmails(const std::string& t, const std::string& id) override {
    log_.Add("call:FindEmails");
    return inner_.FindEmails(t, id);
  }
  Result<std::string> CreateEmail(const std::string& t, const std::string& id,
                                  const std::string& e) override {
    log_.Add("call:CreateEmail");
    return inner_.CreateEmail(t, id, e);
  }
  Status UpdateEmail(const std::string& t, const std::string& id, const std::string& e) override {
    log_.Add("call:UpdateEmail");
    return inner_.UpdateEmail(t, id, e);
  }
  Result<std::string> UploadDocument(const std::string& t, const std::string& n,
                                     const std::string& b) override {
    log_.Add("call:UploadDocument");
    return inner_.UploadDocument(t, n, b);
  }
  Result<SavedVoucher> SaveVoucher(const std::string& t, const VoucherData& v) override {
    log_.Add("call:SaveVoucher");
    return inner_.SaveVoucher(t, v);
  }
  Result<std::vector<FoundVoucher>> FindVouchers(const std::string& t,
                                                 const std::string& d) override {
    log_.Add("call:FindVouchers");
    return inner_.FindVouchers(t, d);
  }

 private:
  SevdeskGateway& inner_;
  DurabilityLog& log_;
};

// ADR 0007: the engine commits only the marks right before a create in sevdesk durably; its claim,
// progress and results are relaxed. The first transfer of a customer creates contact, address,
// e-mail and voucher (4 marks), the second only a voucher.
TEST_F(SevdeskEngineTest, OnlyTheMarksBeforeCreatesAreDurableTheRestIsRelaxed) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Rex");
  const auto first = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  const auto second = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  DurabilityLog log;
  RecordingDatabase db(*db_, log);
  RecordingGateway gateway(*gateway_, log);
  SevdeskService service(db, *clock_, *random_, *crypto_, *box_, gateway, options_.settings);
  TransferEngine engine(service);
  EXPECT_EQ(engine.DrainOnce(), 2);
  EXPECT_EQ(StatusOf(school.school_id, first), "transferred");
  EXPECT_EQ(StatusOf(school.school_id, second), "transferred");

  std::vector<std::string> entries;
  {
    std::lock_guard lock(log.mutex);
    entries = log.entries;
  }
  std::map<std::string, int> commits;
  std::vector<std::string> created;
  std::string last_commit;
  for (const auto& e : entries) {
    if (e.rfind("commit:", 0) == 0) {
      ++commits[e.substr(7)];
      last_commit = e.substr(7);
      continue;
    }
    const std::string call = e.substr(5);
    if (call.rfind("Create", 0) == 0 || call == "SaveVoucher") {
      created.push_back(call);
      // The newest commit before a create is its durable mark.
      EXPECT_EQ(last_commit, "durable") << call;
      last_commit.clear();  // the next create needs a mark of its own
    }
  }
  EXPECT_EQ(created, (std::vector<std::string>{"CreateContact", "CreateAddress", "CreateEmail",
                                               "SaveVoucher", "SaveVoucher"}));
  EXPECT_EQ(commits["durable"], 5);
  EXPECT_EQ(commits["write"], 0);  // nothing at the server's default durability
  // Per transfer at least the claim (with load and "started") and the result.
  EXPECT_GE(commits["relaxed"], 2 * 2);
}

// A database whose first relaxed transaction after a durable one cannot begin (SQLite busy, a
// PostgreSQL connection lost): for a known customer that is the completion right after saveVoucher.
class CompletionFailsDatabase final : public Database {
 public:
  explicit CompletionFailsDatabase(Database& inner) : inner_(inner) {}
  Result<std::unique_ptr<UnitOfWork>> Begin(TxKind kind) override {
    if (kind == TxKind::kDurableWrite) after_mark_ = true;
    if (kind == TxKind::kRelaxedWrite && after_mark_ && failures_left_ > 0) {
      after_mark_ = false;
      --failures_left_;
      return tl::unexpected(
          Error{ErrorCode::kUnavailable, "database_busy", "Die Datenbank ist belegt.", {}, {}});
    }
    return inner_.Begin(kind);
  }

 private:
  Database& inner_;
  bool after_mark_ = false;
  int failures_left_ = 1;
};

// The voucher was saved but its completion could not be written: the transfer is retried with
// its posting mark, so the next attempt finds the voucher and adopts it instead of saving a
// second one.
TEST_F(SevdeskEngineTest, AFailedCompletionLooksTheVoucherUpInsteadOfSavingItAgain) {
  const auto school = ConnectedSchool("Pfote", kTokenA);
  const auto c = NewCustomer(school.school_id, "Rex");
  const auto first = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  Settle();
  ASSERT_EQ(StatusOf(school.school_id, first), "transferred");
  const auto second = ReceiptOf(school.school_id, Finalize(school.school_id, c.id));
  CompletionFailsDatabase db(*db_);
  SevdeskService service(db, *clock_, *random_, *crypto_, *box_, *gateway_, options_.settings);
  TransferEngine engine(service);
  EXPECT_EQ(engine.DrainOnce(), 1);
  EXPECT_EQ(Account(kTokenA)["vouchers"].size(), 2u);
  auto t = TransferOf(school.school_id, second);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TransferState::kRetryWait);
  EXPECT_EQ(t->phase, TransferPhase::kPosting);
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, second), "transferred");
  EXPECT_EQ(Account(kTokenA)["vouchers"].size(), 2u);  // one per receipt
}

// Issue 15: a voucher sent with a linked contact whose save is uncertain is looked up by that
// contact. Undoing the link before the lookup made the next attempt look at the new contact,
// miss the voucher and save it a second time (found by crash_matching_test); the undo waits.
TEST_F(SevdeskEngineTest, AnUndoWaitsForAVoucherWhoseSaveIsUncertain) {
  const auto school = NewSchool("Abgleich");
  auto namesake = [](const std::string& street, const std::string& zip, const std::string& city) {
    return Json{{"surename", "Erika"},
                {"familyname", "Namensvetter"},
                {"addresses", Json::array({{{"street", street}, {"zip", zip}, {"city", city}}})}};
  };
  Admin("POST", std::string("/accounts/") + kTokenA + "/contacts",
        {{"contacts", Json::array({namesake("Elbchaussee 1", "22763", "Hamburg"),
                                   namesake("Isarweg 2", "80331", "München")})}});
  Connect(school, kTokenA);
  const auto c = NewCustomer(school.school_id, "Namensvetter");
  const auto first = Finalize(school.school_id, c.id);
  Drain();  // waits for the Kundenabgleich
  ContactMatchingService& matching = sevdesk_->Matching();
  auto overview = matching.Overview(school.school_id);
  ASSERT_TRUE(overview && overview->items.size() == 1u);
  ASSERT_EQ(overview->items[0].match.candidates.size(), 2u);
  const std::string a = overview->items[0].match.candidates[0].contact_id;
  const std::string b = overview->items[0].match.candidates[1].contact_id;
  // Linked to A; the voucher is saved, but the answer is lost.
  Inject(FaultKind::kError500AfterWrite, 1, "saveVoucher", FaultScope::kWrites);
  ASSERT_TRUE(matching.Decide(school, c.id, MatchAction::kLink, a));
  Drain();
  ASSERT_EQ(TransferOf(school.school_id, ReceiptOf(school.school_id, first))->phase,
            TransferPhase::kPosting);
  auto undo = matching.Decide(school, c.id, MatchAction::kUnlink);
  EXPECT_FALSE(undo) << "undone while the voucher at A is uncertain";
  if (!undo) {
    EXPECT_EQ(undo.error().reason, "transfer_in_flight");
    Settle();  // the voucher at A is adopted
    ASSERT_TRUE(matching.Decide(school, c.id, MatchAction::kUnlink));
  }
  ASSERT_TRUE(matching.Decide(school, c.id, MatchAction::kLink, b));
  const auto second = Finalize(school.school_id, c.id);
  Settle();
  std::map<std::string, std::vector<std::string>> suppliers;  // invoice number -> contacts
  const Json account = Account(kTokenA);
  for (const auto& v : account["vouchers"]) {
    const Json& id = v["voucher"]["supplier"]["id"];
    suppliers[v["voucher"]["description"].get<std::string>()].push_back(
        id.is_string() ? id.get<std::string>() : id.dump());
  }
  EXPECT_EQ(suppliers.size(), 2u);
  EXPECT_EQ(suppliers[*first.number], std::vector<std::string>{a}) << "one voucher, at A";
  EXPECT_EQ(suppliers[*second.number], std::vector<std::string>{b}) << "one voucher, at B";
  EXPECT_EQ(account["contacts"].size(), 2u);  // none created
}

// The window the refusal above cannot close on PostgreSQL (a claim committed between the undo's
// check and its delete): the link moves to B while the save at A is uncertain. The look-up still
// searches at A, the contact the save was sent with, and adopts the voucher there.
TEST_F(SevdeskEngineTest, AnUncertainSaveIsLookedUpAtTheContactItWasSentWith) {
  const auto school = NewSchool("Abgleich");
  Connect(school, kTokenA);
  const auto c = NewCustomer(school.school_id, "Gesendet");
  const auto first = Finalize(school.school_id, c.id);
  Inject(FaultKind::kError500AfterWrite, 1, "saveVoucher", FaultScope::kWrites);
  Drain();
  const auto receipt = ReceiptOf(school.school_id, first);
  ASSERT_EQ(TransferOf(school.school_id, receipt)->phase, TransferPhase::kPosting);
  auto link = LinkOf(school.school_id, c.id);
  ASSERT_TRUE(link);
  const std::string sent_with = link->contact_id;
  // The customer is linked elsewhere meanwhile (an existing contact of the account).
  Admin("POST", std::string("/accounts/") + kTokenA + "/contacts",
        {{"contacts", Json::array({{{"surename", "Erika"}, {"familyname", "Anderswo"}}})}});
  std::string other;
  for (const auto& contact : Contacts(kTokenA)) {
    if (contact["id"].get<std::string>() != sent_with) other = contact["id"].get<std::string>();
  }
  ASSERT_FALSE(other.empty());
  link->contact_id = other;
  link->origin = LinkOrigin::kMatched;
  SaveLink(*link);
  Settle();
  ASSERT_EQ(StatusOf(school.school_id, receipt), "transferred");
  int vouchers = 0;
  for (const auto& v : Vouchers(kTokenA)) {
    if (v["voucher"]["description"] != *first.number) continue;
    ++vouchers;
    EXPECT_EQ(v["voucher"]["supplier"]["id"], sent_with);
  }
  EXPECT_EQ(vouchers, 1) << "adopted at the contact it was sent with, not saved again";
}

}  // namespace
}  // namespace hs::app::testing
