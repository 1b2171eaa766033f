// The payment sync (issue 16, ADR 0018) against the sandbox over real HTTP: invoices transferred
// by the engine, paid, changed and deleted in sevdesk with the sandbox's admin calls, and synced
// back, on a fake clock.
#include <thread>

#include "app/payment_sync_service.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using sevdesk::sandbox::FaultKind;
using std::chrono::minutes;
using std::chrono::seconds;

// A revenue voucher as saveVoucher takes it (the sandbox's bulk seed).
Json VoucherBody(const std::string& description, const std::string& gross) {
  Json voucher = {{"objectName", "Voucher"},
                  {"mapAll", true},
                  {"voucherDate", "01.05.2026"},
                  {"description", description},
                  {"status", 100},
                  {"creditDebit", "D"},
                  {"voucherType", "VOU"},
                  {"taxRule", {{"id", "1"}, {"objectName", "TaxRule"}}},
                  {"currency", "EUR"},
                  {"supplierName", "Laufkundschaft"}};
  return {{"voucher", voucher},
          {"voucherPosSave",
           Json::array({{{"objectName", "VoucherPos"},
                         {"mapAll", true},
                         {"accountDatev", {{"id", 4400101}, {"objectName", "AccountDatev"}}},
                         {"taxRate", 19},
                         {"net", false},
                         {"sumGross", gross}}})},
          {"voucherPosDelete", nullptr}};
}

class PaymentSyncTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    sync_ = MakeSync("sync-1");
  }
  void TearDown() override {
    sync_.reset();
    SevdeskWorld::TearDown();
  }

  std::unique_ptr<PaymentSyncService> MakeSync(const std::string& owner, int page_size = 1000) {
    PaymentSyncSettings s;
    s.owner = owner;
    s.page_size = page_size;
    return std::make_unique<PaymentSyncService>(*db_, *clock_, *box_, *gateway_, s);
  }

  // A connected school with `count` transferred invoices (65.45 € each); answers their receipts.
  std::vector<std::int64_t> Transferred(Principal& school, const std::string& token, int count) {
    school = NewSchool("Hundeschule " + token.substr(0, 4));
    Connect(school, token);
    const auto customer = NewCustomer(school.school_id, "Mustermann");
    std::vector<std::int64_t> receipts;
    for (int i = 0; i < count; ++i) {
      receipts.push_back(ReceiptOf(school.school_id, Finalize(school.school_id, customer.id)));
    }
    Settle();
    for (auto r : receipts) EXPECT_EQ(StatusOf(school.school_id, r), "transferred");
    return receipts;
  }

  std::string VoucherOf(std::int64_t school_id, std::int64_t receipt) {
    return TransferOf(school_id, receipt)->voucher_id;
  }
  void Pay(const std::string& token, const std::string& voucher, const std::string& amount,
           const std::string& date = "2026-05-04") {
    Admin("POST", "/accounts/" + token + "/vouchers/" + voucher + "/payment",
          Json{{"amount", amount}, {"date", date}});
  }
  std::optional<VoucherState> StateOf(std::int64_t school_id, std::int64_t receipt) {
    auto uow = db_->Begin(TxKind::kRead);
    EXPECT_TRUE(uow);
    auto s = (*uow)->Sevdesk().GetVoucherState(school_id, receipt);
    EXPECT_TRUE(s);
    return s ? *s : std::nullopt;
  }
  PaymentSyncRun Sync(std::int64_t school_id, PaymentSyncService* service = nullptr) {
    auto run = (service ? *service : *sync_).SyncSchool(school_id);
    EXPECT_TRUE(run) << run.error().message;
    return run ? *run : PaymentSyncRun{};
  }

  std::unique_ptr<PaymentSyncService> sync_;
};

TEST_F(PaymentSyncTest, PaidAndPartiallyPaidVouchersComeBackWithFewRequests) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 3);
  AdvanceClock(minutes(1));
  Pay(kTokenA, VoucherOf(school.school_id, receipts[0]), "65.45", "2026-05-04");
  Pay(kTokenA, VoucherOf(school.school_id, receipts[1]), "20.50", "2026-05-05");
  const long before = TotalCalls(kTokenA);
  auto run = Sync(school.school_id);
  EXPECT_TRUE(run.ran);
  EXPECT_TRUE(run.full);  // the first run reads everything
  EXPECT_EQ(run.requests, 1);
  EXPECT_EQ(run.vouchers, 3);
  EXPECT_EQ(run.written, 3);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(TotalCalls(kTokenA) - before, 1);

  auto paid = StateOf(school.school_id, receipts[0]);
  ASSERT_TRUE(paid);
  EXPECT_EQ(paid->status, kVoucherPaid);
  EXPECT_EQ(paid->paid_cents, 6545);
  EXPECT_EQ(paid->pay_date, Date{std::chrono::year{2026} / 5 / 4});
  EXPECT_EQ(paid->presence, VoucherPresence::kPresent);
  auto partial = StateOf(school.school_id, receipts[1]);
  EXPECT_EQ(partial->status, kVoucherPartiallyPaid);
  EXPECT_EQ(partial->paid_cents, 2050);
  auto open = StateOf(school.school_id, receipts[2]);
  EXPECT_EQ(open->status, kVoucherOpen);
  EXPECT_EQ(open->paid_cents, 0);
  EXPECT_FALSE(open->pay_date);

  auto view = sync_->State(school.school_id);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->available);
  EXPECT_TRUE(view->last_sync_ok);
  EXPECT_EQ(view->last_requests, 1);
  EXPECT_EQ(view->last_vouchers, 3);
  EXPECT_EQ(view->next_due_at, *view->last_sync_at + minutes(60));
  EXPECT_FALSE(view->running);
}

TEST_F(PaymentSyncTest, TheNextRunsAreIncrementalWriteOnlyWhatChangedAndOncePerDayFull) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 3);
  ASSERT_TRUE(Sync(school.school_id).full);
  AdvanceClock(minutes(60));
  auto quiet = Sync(school.school_id);
  EXPECT_FALSE(quiet.full);
  EXPECT_EQ(quiet.requests, 1);
  EXPECT_EQ(quiet.written, 0);

  AdvanceClock(minutes(30));
  Pay(kTokenA, VoucherOf(school.school_id, receipts[2]), "65.45");
  AdvanceClock(minutes(30));
  auto one = Sync(school.school_id);
  EXPECT_FALSE(one.full);
  EXPECT_EQ(one.vouchers, 1);  // only the changed one is listed
  EXPECT_EQ(one.written, 1);
  EXPECT_EQ(StateOf(school.school_id, receipts[2])->status, kVoucherPaid);

  AdvanceClock(std::chrono::hours(24));
  auto daily = Sync(school.school_id);
  EXPECT_TRUE(daily.full);
  EXPECT_EQ(daily.vouchers, 3);
  EXPECT_EQ(daily.written, 0);
}

TEST_F(PaymentSyncTest, AChangeInSevdeskIsShownWithWhatDiffers) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 2);
  ASSERT_TRUE(Sync(school.school_id).ran);
  AdvanceClock(minutes(5));
  const std::string voucher = VoucherOf(school.school_id, receipts[0]);
  Admin("PUT", "/accounts/" + std::string(kTokenA) + "/vouchers/" + voucher,
        Json{{"sumGross", "70.00"}});
  AdvanceClock(minutes(61));
  auto run = Sync(school.school_id);
  EXPECT_FALSE(run.full);
  EXPECT_EQ(run.written, 1);
  auto changed = StateOf(school.school_id, receipts[0]);
  EXPECT_EQ(changed->presence, VoucherPresence::kChanged);
  EXPECT_EQ(changed->change_note, "Betrag in sevdesk 70,00 € statt 65,45 €");
  EXPECT_EQ(changed->gross_cents, 7000);

  const auto h = History(school.school_id, receipts[0]);
  ASSERT_TRUE(h.status.voucher_state);
  EXPECT_EQ(h.status.hint,
            "Der Beleg wurde in sevdesk geändert (Betrag in sevdesk 70,00 € statt 65,45 €). "
            "Prüfen Sie ihn dort; ist er falsch, löschen Sie ihn in sevdesk und übertragen Sie "
            "ihn danach erneut.");
  EXPECT_FALSE(h.status.retransferable);
  // Changed, not deleted: transferring it again would duplicate it.
  auto refused = sevdesk_->Retry(school.school_id, receipts[0]);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "not_failed");
  EXPECT_EQ(Vouchers(kTokenA).size(), 2u);
}

TEST_F(PaymentSyncTest, ADeletionIsConfirmedThenShownAndTheReceiptIsTransferredOnceAgain) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 3);
  ASSERT_TRUE(Sync(school.school_id).ran);
  const std::string gone = VoucherOf(school.school_id, receipts[1]);
  // Present: no re-transfer.
  EXPECT_FALSE(sevdesk_->Retry(school.school_id, receipts[1]));
  Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" + gone);

  // An incremental read cannot see a deletion.
  AdvanceClock(minutes(61));
  EXPECT_EQ(Sync(school.school_id).written, 0);
  EXPECT_EQ(StateOf(school.school_id, receipts[1])->presence, VoucherPresence::kPresent);

  // "Jetzt abgleichen": a full read, the missing one confirmed by GET /Voucher/{id}.
  ASSERT_TRUE(sevdesk_->PaymentSync().RequestSync(school));
  const auto calls_before = Calls(kTokenA);
  auto full = Sync(school.school_id);
  EXPECT_TRUE(full.full);
  EXPECT_EQ(full.deleted, 1);
  EXPECT_EQ(full.requests, 2);  // the list and the confirmation
  const auto calls_after = Calls(kTokenA);
  EXPECT_EQ(calls_after.at("GET /Voucher/{voucherId}") -
                (calls_before.contains("GET /Voucher/{voucherId}")
                     ? calls_before.at("GET /Voucher/{voucherId}")
                     : 0),
            1);
  EXPECT_EQ(StateOf(school.school_id, receipts[1])->presence, VoucherPresence::kDeleted);
  auto view = sync_->State(school.school_id);
  EXPECT_FALSE(view->requested);

  auto h = History(school.school_id, receipts[1]);
  EXPECT_EQ(h.status.hint,
            "Der Beleg wurde in sevdesk gelöscht. Sie können ihn erneut übertragen.");
  EXPECT_TRUE(h.status.retransferable);

  // "Erneut übertragen": exactly one new voucher.
  auto again = sevdesk_->Retry(school.school_id, receipts[1]);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status.status, "queued");
  EXPECT_EQ(again->events.back().message, "In sevdesk gelöscht – erneut übertragen");
  EXPECT_FALSE(StateOf(school.school_id, receipts[1]));
  // Only once: the receipt is queued now.
  EXPECT_FALSE(sevdesk_->Retry(school.school_id, receipts[1]));
  Settle();
  EXPECT_EQ(StatusOf(school.school_id, receipts[1]), "transferred");
  const std::string fresh = VoucherOf(school.school_id, receipts[1]);
  EXPECT_NE(fresh, gone);
  EXPECT_EQ(Vouchers(kTokenA).size(), 3u);
  // The next full read finds the new voucher present.
  AdvanceClock(std::chrono::hours(25));
  auto after = Sync(school.school_id);
  EXPECT_TRUE(after.full);
  EXPECT_EQ(after.deleted, 0);
  auto state = StateOf(school.school_id, receipts[1]);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->voucher_id, fresh);
  EXPECT_EQ(state->presence, VoucherPresence::kPresent);
  EXPECT_FALSE(History(school.school_id, receipts[1]).status.retransferable);
}

TEST_F(PaymentSyncTest, SearchLagDoesNotLoseAPaymentThanksToTheOverlap) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 2);
  ASSERT_TRUE(Sync(school.school_id).ran);
  // Lists show a change only two minutes after it happened.
  Admin("PUT", "/faults", Json{{"search_lag_ms", 120'000}});
  AdvanceClock(minutes(60));
  Pay(kTokenA, VoucherOf(school.school_id, receipts[0]), "65.45");
  AdvanceClock(seconds(30));
  auto early = Sync(school.school_id);  // the payment is not listed yet
  EXPECT_EQ(early.error, "");
  EXPECT_EQ(StateOf(school.school_id, receipts[0])->status, kVoucherOpen);
  AdvanceClock(minutes(60));
  auto later = Sync(school.school_id);  // from 10 minutes before the last read began
  EXPECT_FALSE(later.full);
  EXPECT_EQ(StateOf(school.school_id, receipts[0])->status, kVoucherPaid);
}

TEST_F(PaymentSyncTest, AFailedReadWritesNothingAndTheNextRunRecovers) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 2);
  Pay(kTokenA, VoucherOf(school.school_id, receipts[0]), "65.45");
  Inject(FaultKind::kError500, 1, "GET /Voucher");
  auto failed = Sync(school.school_id);
  EXPECT_TRUE(failed.ran);
  EXPECT_EQ(failed.written, 0);
  EXPECT_EQ(failed.error,
            "sevdesk hat mit einem Fehler geantwortet. Der Abgleich wird beim nächsten Mal "
            "wiederholt.");
  EXPECT_FALSE(StateOf(school.school_id, receipts[0]));
  auto view = sync_->State(school.school_id);
  EXPECT_FALSE(view->last_sync_ok);
  EXPECT_EQ(view->last_error, failed.error);

  AdvanceClock(minutes(60));
  auto next = Sync(school.school_id);
  EXPECT_TRUE(next.full);  // the failed first read did not count
  EXPECT_EQ(next.error, "");
  EXPECT_EQ(StateOf(school.school_id, receipts[0])->status, kVoucherPaid);
  EXPECT_TRUE(sync_->State(school.school_id)->last_sync_ok);
}

TEST_F(PaymentSyncTest, AFailedConfirmationKeepsTheListedStatesAndMarksNothingDeleted) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 2);
  ASSERT_TRUE(Sync(school.school_id).ran);
  Pay(kTokenA, VoucherOf(school.school_id, receipts[0]), "65.45");
  Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" +
                      VoucherOf(school.school_id, receipts[1]));
  ASSERT_TRUE(sync_->RequestSync(school));
  Inject(FaultKind::kError500, 1, "GET /Voucher/");
  auto run = Sync(school.school_id);
  EXPECT_FALSE(run.error.empty());
  EXPECT_EQ(run.deleted, 0);
  EXPECT_EQ(StateOf(school.school_id, receipts[0])->status, kVoucherPaid);
  EXPECT_EQ(StateOf(school.school_id, receipts[1])->presence, VoucherPresence::kPresent);
  // The next run reads everything again (the full read did not complete) and confirms.
  AdvanceClock(minutes(60));
  auto next = Sync(school.school_id);
  EXPECT_TRUE(next.full);
  EXPECT_EQ(next.deleted, 1);
  EXPECT_EQ(StateOf(school.school_id, receipts[1])->presence, VoucherPresence::kDeleted);
}

TEST_F(PaymentSyncTest, ARejectedTokenIsShownPausesNothingAndAnotherSchoolSyncsUntouched) {
  Principal a;
  Principal b;
  const auto ra = Transferred(a, kTokenA, 1);
  const auto rb = Transferred(b, kTokenB, 1);
  Pay(kTokenB, VoucherOf(b.school_id, rb[0]), "65.45");
  Admin("POST", "/accounts/" + std::string(kTokenA) + "/revoke");
  sync_->RunDue();
  auto va = sync_->State(a.school_id);
  auto vb = sync_->State(b.school_id);
  EXPECT_FALSE(va->last_sync_ok);
  EXPECT_EQ(va->last_error,
            "sevdesk lehnt den API-Token ab. Bitte unter Einstellungen › Erweiterungen › Sevdesk "
            "den Token prüfen und „Verbindung testen“.");
  EXPECT_TRUE(vb->last_sync_ok);
  EXPECT_EQ(StateOf(b.school_id, rb[0])->status, kVoucherPaid);
  EXPECT_FALSE(StateOf(a.school_id, ra[0]));
  // The sync's failure pauses nothing: the connection stays as it was.
  EXPECT_FALSE(*sevdesk_->IsPaused(a.school_id));
  EXPECT_EQ(ConnectionOf(a.school_id).state, ConnectionState::kOk);
}

TEST_F(PaymentSyncTest, TheSchedulerRunsDueSchoolsAndAnswersTheNextDueTime) {
  Principal school;
  Transferred(school, kTokenA, 1);
  auto next = sync_->RunDue();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, Now() + minutes(60));
  EXPECT_EQ(sync_->RunDue(), Now() + minutes(60));  // nothing due: nothing run
  Principal owner = school;
  auto bad = sync_->UpdateSettings(owner, 5);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().details.at(0).field, "interval_minutes");
  ASSERT_TRUE(sync_->UpdateSettings(owner, 15));
  EXPECT_EQ(sync_->RunDue(), sync_->State(school.school_id)->last_sync_at.value() + minutes(15));
  ASSERT_TRUE(sync_->RequestSync(school));
  EXPECT_TRUE(sync_->State(school.school_id)->requested);
  sync_->RunDue();
  EXPECT_FALSE(sync_->State(school.school_id)->requested);
}

TEST_F(PaymentSyncTest, TheLeaseLetsOnlyOneRunSyncASchoolAtATime) {
  Principal school;
  Transferred(school, kTokenA, 1);
  auto other = MakeSync("sync-2");
  // Another process holds the lease (taken and not yet finished).
  {
    auto uow = db_->Begin(TxKind::kWrite);
    ASSERT_TRUE(uow);
    auto taken = (*uow)->Sevdesk().TakePaymentSyncLease(school.school_id, "sync-2", Now(),
                                                        Now() + minutes(10));
    ASSERT_TRUE(taken && *taken);
    ASSERT_TRUE((*uow)->Commit());
  }
  const long before = TotalCalls(kTokenA);
  auto blocked = Sync(school.school_id);
  EXPECT_FALSE(blocked.ran);
  EXPECT_EQ(TotalCalls(kTokenA), before);
  EXPECT_TRUE(sync_->State(school.school_id)->running);
  // Expired: taken over; the old holder's finish is fenced off.
  AdvanceClock(minutes(11));
  EXPECT_TRUE(Sync(school.school_id).ran);
  {
    auto uow = db_->Begin(TxKind::kWrite);
    PaymentSyncState stale;
    stale.school_id = school.school_id;
    auto finished = (*uow)->Sevdesk().FinishPaymentSync(stale, "sync-2", Now());
    ASSERT_TRUE(finished);
    EXPECT_FALSE(*finished);
  }
  EXPECT_TRUE(sync_->State(school.school_id)->last_sync_ok);
}

TEST_F(PaymentSyncTest, ReceiptsTransferredMeanwhileAndForeignVouchersAreHandled) {
  Principal school;
  const auto receipts = Transferred(school, kTokenA, 1);
  // A voucher the school entered in sevdesk itself: not ours, ignored.
  Admin("POST", "/accounts/" + std::string(kTokenA) + "/vouchers",
        Json{{"vouchers", Json::array({VoucherBody("Fremd-1", "10.00")})}});
  auto run = Sync(school.school_id);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.written, 1);
  EXPECT_TRUE(StateOf(school.school_id, receipts[0]));
}

}  // namespace
}  // namespace hs::app::testing
