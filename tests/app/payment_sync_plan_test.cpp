// The payment sync's pure decisions (ADR 0018): the read it makes and what it writes per receipt.
#include "app/payment_sync_plan.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Instant kNow = FromUnixMillis(1790000000000);
constexpr Date kMay3{std::chrono::year{2026} / 5 / 3};

TransferredVoucher Ours(std::int64_t receipt, const std::string& voucher, Cents gross,
                        const std::string& number = "") {
  TransferredVoucher t;
  t.receipt_id = receipt;
  t.voucher_id = voucher;
  t.gross_cents = gross;
  t.invoice_number = number.empty() ? "RE-" + std::to_string(receipt) : number;
  return t;
}

VoucherPayment Listed(const TransferredVoucher& o, int status = kVoucherOpen, Cents paid = 0) {
  VoucherPayment p;
  p.id = o.voucher_id;
  p.description = o.invoice_number;
  p.status = status;
  p.gross_cents = o.gross_cents;
  p.paid_cents = paid;
  if (paid > 0) p.pay_date = kMay3;
  p.updated = kNow - minutes(5);
  return p;
}

// Stores what the plan wrote as the receipt's state (as the next run would read it).
TransferredVoucher Stored(TransferredVoucher o, const VoucherState& s) {
  o.state = s;
  return o;
}

TEST(PlanRead, FullOnTheFirstRunOnDemandAndOncePerDayElseSinceTheLastReadMinusTheOverlap) {
  PaymentSyncState never;
  EXPECT_TRUE(PlanRead(never, kNow, false).full);
  EXPECT_FALSE(PlanRead(never, kNow, false).changed_since);

  PaymentSyncState recent;
  recent.last_read_started_at = kNow - hours(1);
  recent.last_full_read_at = kNow - hours(3);
  const ReadPlan inc = PlanRead(recent, kNow, false);
  EXPECT_FALSE(inc.full);
  EXPECT_EQ(inc.changed_since, kNow - hours(1) - kPaymentSyncOverlap);
  EXPECT_TRUE(PlanRead(recent, kNow, true).full);  // "Jetzt abgleichen"

  PaymentSyncState stale = recent;
  stale.last_full_read_at = kNow - hours(24);
  EXPECT_TRUE(PlanRead(stale, kNow, false).full);
  stale.last_full_read_at = kNow - hours(24) + minutes(1);
  EXPECT_FALSE(PlanRead(stale, kNow, false).full);
}

TEST(PlanRead, DueAtOnceWhenRequestedOrNeverRunElseAfterTheInterval) {
  PaymentSyncState s;
  EXPECT_EQ(PaymentSyncDueAt(s, kNow), kNow);
  s.last_sync_at = kNow - minutes(10);
  s.interval_minutes = 60;
  EXPECT_EQ(PaymentSyncDueAt(s, kNow), kNow + minutes(50));
  s.requested_at = kNow - minutes(1);
  EXPECT_EQ(PaymentSyncDueAt(s, kNow), kNow - minutes(1));
}

TEST(PlanPaymentSync, NewStatesAreWrittenAndAnUnchangedOneIsNot) {
  const auto a = Ours(1, "v1", 10000);
  const auto b = Ours(2, "v2", 5000);
  const auto c = Ours(3, "v3", 2500);
  auto plan = PlanPaymentSync(
      7, {a, b, c},
      {Listed(a), Listed(b, kVoucherPartiallyPaid, 2000), Listed(c, kVoucherPaid, 2500)}, true,
      kNow);
  ASSERT_EQ(plan.writes.size(), 3u);
  EXPECT_TRUE(plan.to_confirm.empty());
  const VoucherState& partial = plan.writes[1];
  EXPECT_EQ(partial.school_id, 7);
  EXPECT_EQ(partial.receipt_id, 2);
  EXPECT_EQ(partial.status, kVoucherPartiallyPaid);
  EXPECT_EQ(partial.paid_cents, 2000);
  EXPECT_EQ(partial.pay_date, kMay3);
  EXPECT_EQ(partial.presence, VoucherPresence::kPresent);
  EXPECT_EQ(partial.synced_at, kNow);
  EXPECT_FALSE(plan.writes[0].pay_date);

  // The next run with the same answer writes nothing; a new payment writes that one only.
  const auto a2 = Stored(a, plan.writes[0]);
  const auto b2 = Stored(b, plan.writes[1]);
  const auto c2 = Stored(c, plan.writes[2]);
  auto again = PlanPaymentSync(
      7, {a2, b2, c2}, {Listed(a), Listed(b, kVoucherPaid, 5000), Listed(c, kVoucherPaid, 2500)},
      true, kNow + hours(1));
  ASSERT_EQ(again.writes.size(), 1u);
  EXPECT_EQ(again.writes[0].receipt_id, 2);
  EXPECT_EQ(again.writes[0].status, kVoucherPaid);
  EXPECT_EQ(again.unchanged, 2);
}

TEST(PlanPaymentSync, AnotherGrossOrDescriptionInSevdeskIsAChange) {
  const auto a = Ours(1, "v1", 10000);
  const auto b = Ours(2, "v2", 5000, "RE-2026-0002");
  VoucherPayment gross = Listed(a);
  gross.gross_cents = 11900;
  VoucherPayment described = Listed(b);
  described.description = "Hundeschule Mai";
  auto plan = PlanPaymentSync(7, {a, b}, {gross, described}, false, kNow);
  ASSERT_EQ(plan.writes.size(), 2u);
  EXPECT_EQ(plan.writes[0].presence, VoucherPresence::kChanged);
  EXPECT_EQ(plan.writes[0].change_note, "Betrag in sevdesk 119,00 € statt 100,00 €");
  EXPECT_EQ(plan.writes[0].gross_cents, 11900);
  EXPECT_EQ(plan.writes[1].presence, VoucherPresence::kChanged);
  EXPECT_EQ(plan.writes[1].change_note,
            "Beschreibung in sevdesk „Hundeschule Mai“ statt „RE-2026-0002“");
  // Changed back in sevdesk: present again.
  auto back = PlanPaymentSync(7, {Stored(a, plan.writes[0])}, {Listed(a)}, false, kNow);
  ASSERT_EQ(back.writes.size(), 1u);
  EXPECT_EQ(back.writes[0].presence, VoucherPresence::kPresent);
  EXPECT_EQ(back.writes[0].change_note, "");
}

TEST(PlanPaymentSync, MissingFromAFullReadIsConfirmedFirstAndFromAnIncrementalOneIsNothing) {
  const auto a = Ours(1, "v1", 10000);
  const auto b = Ours(2, "v2", 5000);
  auto full = PlanPaymentSync(7, {a, b}, {Listed(a)}, true, kNow);
  ASSERT_EQ(full.to_confirm.size(), 1u);
  EXPECT_EQ(full.to_confirm[0].receipt_id, 2);
  EXPECT_EQ(full.writes.size(), 1u);  // a's first state; b waits for its confirmation

  auto incremental = PlanPaymentSync(7, {a, b}, {Listed(a)}, false, kNow);
  EXPECT_TRUE(incremental.to_confirm.empty());
  EXPECT_EQ(incremental.unchanged, 1);
}

TEST(PlanPaymentSync, AConfirmedDeletionKeepsWhatWasLastReadAndAReappearanceIsPresentAgain) {
  const auto b = Ours(2, "v2", 5000);
  const auto paid = PlanVoucher(7, b, Listed(b, kVoucherPartiallyPaid, 1000), kNow);
  ASSERT_TRUE(paid);
  const auto gone = PlanVoucher(7, Stored(b, *paid), std::nullopt, kNow + hours(1));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->presence, VoucherPresence::kDeleted);
  EXPECT_EQ(gone->paid_cents, 1000);
  EXPECT_EQ(gone->status, kVoucherPartiallyPaid);
  // Deleted without a state read before: our gross, nothing paid.
  const auto never_read = PlanVoucher(7, b, std::nullopt, kNow);
  ASSERT_TRUE(never_read);
  EXPECT_EQ(never_read->gross_cents, 5000);
  EXPECT_EQ(never_read->paid_cents, 0);
  EXPECT_EQ(never_read->presence, VoucherPresence::kDeleted);

  // Known deleted: a later full read does not confirm it again.
  auto later = PlanPaymentSync(7, {Stored(b, *gone)}, {}, true, kNow + hours(2));
  EXPECT_TRUE(later.to_confirm.empty());
  EXPECT_TRUE(later.writes.empty());
  // It reappears (restored in sevdesk): present again.
  auto back = PlanPaymentSync(7, {Stored(b, *gone)}, {Listed(b)}, false, kNow + hours(3));
  ASSERT_EQ(back.writes.size(), 1u);
  EXPECT_EQ(back.writes[0].presence, VoucherPresence::kPresent);
}

TEST(PlanPaymentSync, VouchersWeDidNotTransferAreIgnoredAndAStateOfAnOldVoucherIsNotOurs) {
  const auto a = Ours(1, "v1", 10000);
  VoucherPayment foreign = Listed(Ours(99, "v99", 100));
  auto plan = PlanPaymentSync(7, {a}, {Listed(a), foreign}, true, kNow);
  EXPECT_EQ(plan.ignored, 1);
  EXPECT_EQ(plan.writes.size(), 1u);

  // Re-transferred: the stored state is the deleted old voucher's; the new one is written.
  auto old = PlanVoucher(7, a, std::nullopt, kNow);
  TransferredVoucher again = Stored(Ours(1, "v100", 10000), *old);
  auto plan2 = PlanPaymentSync(7, {again}, {Listed(again)}, true, kNow);
  ASSERT_EQ(plan2.writes.size(), 1u);
  EXPECT_EQ(plan2.writes[0].voucher_id, "v100");
  EXPECT_EQ(plan2.writes[0].presence, VoucherPresence::kPresent);
}

TEST(PlanPaymentSync, APayDateWithoutAPaymentIsNotKept) {
  const auto a = Ours(1, "v1", 10000);
  VoucherPayment odd = Listed(a);
  odd.pay_date = kMay3;  // sevdesk may keep a date after a payment was undone
  auto s = PlanVoucher(7, a, odd, kNow);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->pay_date);
}

}  // namespace
}  // namespace hs::app
