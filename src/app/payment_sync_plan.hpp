#pragma once
// The payment sync's decisions, pure (ADR 0018): which read a run makes (incremental with an
// overlap, or full), and what it writes of each transferred receipt's voucher given what sevdesk
// listed. Table-tested in tests/app/payment_sync_plan_test.cpp; the I/O is PaymentSyncService's.
#include <chrono>
#include <optional>
#include <vector>

#include "app/sevdesk_ports.hpp"

namespace hs::app {

// An incremental read asks from this long before the last read began: sevdesk compares whole
// seconds and its lists may show a change only a while after it happened (search lag).
inline constexpr std::chrono::minutes kPaymentSyncOverlap{10};
// A full read (the only one that finds deleted vouchers) at least this often.
inline constexpr std::chrono::hours kPaymentSyncFullEvery{24};
// The sync interval a school may choose, in minutes (sevdesk limits requests; a full read of
// 10,000 vouchers takes about ten).
inline constexpr int kPaymentSyncMinInterval = 15;
inline constexpr int kPaymentSyncMaxInterval = 1440;
inline constexpr int kPaymentSyncDefaultInterval = 60;

struct ReadPlan {
  bool full = true;
  std::optional<Instant> changed_since;  // none: all vouchers
};

// Full on the first run, on demand ("Jetzt abgleichen": `requested`), or when the last full read
// is older than kPaymentSyncFullEvery; else the vouchers changed since the last read began, minus
// the overlap.
ReadPlan PlanRead(const PaymentSyncState& sync, Instant now, bool requested);

// When the school's next sync is due: at once when requested or never run, else the last run
// plus the interval (the school's, or a fixed one: benchmarks).
Instant PaymentSyncDueAt(const PaymentSyncState& sync, Instant now,
                         std::optional<std::chrono::milliseconds> fixed_interval = {});

struct PaymentSyncPlan {
  std::vector<VoucherState> writes;  // new or different states only
  // Missing from a full read: confirmed with GetVoucherPayment before marking them deleted
  // (paging by offset can skip a row when another is deleted during the read).
  std::vector<TransferredVoucher> to_confirm;
  int unchanged = 0;  // listed (or not listed in an incremental read) with nothing new
  int ignored = 0;    // listed by sevdesk but not transferred by us
};

// Compares our transferred receipts with what sevdesk listed. `full`: the list holds every
// voucher of the account, so a missing one may have been deleted.
PaymentSyncPlan PlanPaymentSync(std::int64_t school_id, const std::vector<TransferredVoucher>& ours,
                                const std::vector<VoucherPayment>& listed, bool full, Instant now);

// The state of one of ours as sevdesk showed it: present, or changed (another gross sum or
// description than ours, with a German note). `listed` nothing: deleted in sevdesk (confirmed),
// keeping what was last read of it. Nothing to write when it equals the stored state.
std::optional<VoucherState> PlanVoucher(std::int64_t school_id, const TransferredVoucher& ours,
                                        const std::optional<VoucherPayment>& listed, Instant now);

// "Betrag in sevdesk 119,00 € statt 100,00 €; Beschreibung in sevdesk „X“ statt „RE-1“", or
// empty when the voucher matches ours.
std::string ChangeNote(const TransferredVoucher& ours, const VoucherPayment& listed);

}  // namespace hs::app
