#include "app/payment_sync_plan.hpp"

#include <algorithm>
#include <unordered_map>

namespace hs::app {

std::string_view ToString(VoucherPresence presence) {
  switch (presence) {
    case VoucherPresence::kPresent:
      return "present";
    case VoucherPresence::kDeleted:
      return "deleted";
    case VoucherPresence::kChanged:
      return "changed";
  }
  return "present";
}

VoucherPresence ParseVoucherPresence(std::string_view text) {
  if (text == "deleted") return VoucherPresence::kDeleted;
  if (text == "changed") return VoucherPresence::kChanged;
  return VoucherPresence::kPresent;
}

ReadPlan PlanRead(const PaymentSyncState& sync, Instant now, bool requested) {
  const bool full_due =
      !sync.last_full_read_at || now - *sync.last_full_read_at >= kPaymentSyncFullEvery;
  if (requested || full_due || !sync.last_read_started_at) return ReadPlan{true, std::nullopt};
  return ReadPlan{false, *sync.last_read_started_at - kPaymentSyncOverlap};
}

Instant PaymentSyncDueAt(const PaymentSyncState& sync, Instant now,
                         std::optional<std::chrono::milliseconds> fixed_interval) {
  if (sync.requested_at) return std::min(*sync.requested_at, now);
  if (!sync.last_sync_at) return now;
  return *sync.last_sync_at + fixed_interval.value_or(std::chrono::minutes(sync.interval_minutes));
}

std::string ChangeNote(const TransferredVoucher& ours, const VoucherPayment& listed) {
  std::string note;
  if (listed.gross_cents != ours.gross_cents) {
    note = "Betrag in sevdesk " + FormatEuroDe(listed.gross_cents) + " statt " +
           FormatEuroDe(ours.gross_cents);
  }
  if (listed.description != ours.invoice_number) {
    if (!note.empty()) note += "; ";
    note +=
        "Beschreibung in sevdesk „" + listed.description + "“ statt „" + ours.invoice_number + "“";
  }
  return note;
}

namespace {

// The stored state, when it belongs to the receipt's current voucher (a re-transfer gives the
// receipt a new one; the old voucher's state says nothing about it).
std::optional<VoucherState> Stored(const TransferredVoucher& ours) {
  if (ours.state && ours.state->voucher_id == ours.voucher_id) return ours.state;
  return std::nullopt;
}

VoucherState Deleted(std::int64_t school_id, const TransferredVoucher& ours) {
  VoucherState s;
  if (auto stored = Stored(ours)) {
    s = *stored;  // what sevdesk last showed of it stays visible
  } else {
    s.status = kVoucherOpen;
    s.gross_cents = ours.gross_cents;
  }
  s.school_id = school_id;
  s.receipt_id = ours.receipt_id;
  s.voucher_id = ours.voucher_id;
  s.presence = VoucherPresence::kDeleted;
  s.change_note.clear();
  return s;
}

}  // namespace

std::optional<VoucherState> PlanVoucher(std::int64_t school_id, const TransferredVoucher& ours,
                                        const std::optional<VoucherPayment>& listed, Instant now) {
  VoucherState s;
  if (listed) {
    s.school_id = school_id;
    s.receipt_id = ours.receipt_id;
    s.voucher_id = ours.voucher_id;
    s.status = listed->status;
    s.gross_cents = listed->gross_cents;
    s.paid_cents = listed->paid_cents;
    s.pay_date = listed->paid_cents > 0 ? listed->pay_date : std::nullopt;
    s.change_note = ChangeNote(ours, *listed);
    s.presence = s.change_note.empty() ? VoucherPresence::kPresent : VoucherPresence::kChanged;
    s.sevdesk_updated = listed->updated;
  } else {
    s = Deleted(school_id, ours);
  }
  const auto stored = Stored(ours);
  if (stored) {
    VoucherState same = *stored;
    same.synced_at = s.synced_at;
    if (same == s) return std::nullopt;
  }
  s.synced_at = now;
  return s;
}

PaymentSyncPlan PlanPaymentSync(std::int64_t school_id, const std::vector<TransferredVoucher>& ours,
                                const std::vector<VoucherPayment>& listed, bool full, Instant now) {
  std::unordered_map<std::string, const VoucherPayment*> by_id;
  by_id.reserve(listed.size());
  for (const auto& p : listed) by_id.emplace(p.id, &p);
  PaymentSyncPlan plan;
  std::size_t matched = 0;
  for (const auto& o : ours) {
    auto it = by_id.find(o.voucher_id);
    if (it == by_id.end()) {
      const auto stored = Stored(o);
      const bool known_deleted = stored && stored->presence == VoucherPresence::kDeleted;
      if (full && !known_deleted) {
        plan.to_confirm.push_back(o);
      } else {
        ++plan.unchanged;
      }
      continue;
    }
    ++matched;
    if (auto write = PlanVoucher(school_id, o, *it->second, now)) {
      plan.writes.push_back(std::move(*write));
    } else {
      ++plan.unchanged;
    }
  }
  plan.ignored = static_cast<int>(by_id.size() - matched);
  return plan;
}

}  // namespace hs::app
