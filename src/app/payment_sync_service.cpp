#include "app/payment_sync_service.hpp"

#include <algorithm>

#include "app/transfer_policy.hpp"
#include "core/log.hpp"
#include "core/thread_priority.hpp"

namespace hs::app {

namespace {

std::string Owner(std::int64_t school_id) {
  return "school:" + std::to_string(school_id);
}

// The school's words for a failed read; the next run tries again.
std::string ReadError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kForbidden:
      return "sevdesk lehnt den API-Token ab. Bitte unter Einstellungen › Erweiterungen › "
             "Sevdesk den Token prüfen und „Verbindung testen“.";
    case ErrorCode::kRateLimited:
      return "sevdesk bremst gerade Anfragen. Der Abgleich wird beim nächsten Mal wiederholt.";
    case ErrorCode::kUnavailable:
      if (e.reason == kStoppingReason) {
        return "Der Abgleich wurde beim Beenden des Dienstes abgebrochen.";
      }
      if (e.reason == sevdesk_reason::kTimeout) {
        return "sevdesk hat nicht rechtzeitig geantwortet. Der Abgleich wird beim nächsten Mal "
               "wiederholt.";
      }
      if (e.reason == sevdesk_reason::kUnreachable) {
        return "sevdesk war nicht erreichbar. Der Abgleich wird beim nächsten Mal wiederholt.";
      }
      return "sevdesk hat mit einem Fehler geantwortet. Der Abgleich wird beim nächsten Mal "
             "wiederholt.";
    default:
      return "sevdesk hat mit einem Fehler geantwortet. Der Abgleich wird beim nächsten Mal "
             "wiederholt.";
  }
}

tl::unexpected<Error> NotConnected() {
  return Fail(ErrorCode::kConflict, "sevdesk_not_connected",
              "Der Zahlungsabgleich braucht eine aktive sevdesk-Verbindung. Bitte unter "
              "Einstellungen › Erweiterungen › Sevdesk den API-Token eintragen, testen und "
              "aktivieren.");
}

// A run that could not be stored is tried again after this long (not at once, in a loop).
constexpr std::chrono::minutes kStoreFailureBackoff{1};

bool Active(const std::optional<SevdeskConnection>& c) {
  return c && c->enabled && !c->token_sealed.empty() && c->state == ConnectionState::kOk;
}

}  // namespace

// What a run works with: the school's sync state as claimed, its token, and the read's plan.
struct PaymentSyncService::Claimed {
  std::int64_t school_id = 0;
  PaymentSyncState sync;
  std::string token_sealed;
  Instant started{};
  ReadPlan read;
};

PaymentSyncService::PaymentSyncService(Database& db, const Clock& clock, const SecretSealer& sealer,
                                       SevdeskGateway& gateway, PaymentSyncSettings settings)
    : db_(db),
      clock_(clock),
      sealer_(sealer),
      gateway_(gateway),
      settings_(std::move(settings)),
      limiter_(settings_.rate_per_second, settings_.burst) {}

PaymentSyncService::~PaymentSyncService() {
  Stop();
}

// ---------------------------------------------------------------- the API's use cases

PaymentSyncView PaymentSyncService::ToView(const PaymentSyncState& s, bool available,
                                           Instant now) const {
  PaymentSyncView v;
  v.available = available;
  v.interval_minutes = s.interval_minutes;
  v.last_sync_at = s.last_sync_at;
  v.last_sync_ok = s.last_sync_ok;
  v.last_requests = s.last_requests;
  v.last_vouchers = s.last_vouchers;
  v.last_error = s.last_error;
  if (available) v.next_due_at = PaymentSyncDueAt(s, now, settings_.fixed_interval);
  v.running = s.lease_until && *s.lease_until > now;
  v.requested = s.requested_at.has_value();
  return v;
}

Result<PaymentSyncView> PaymentSyncService::State(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(conn, (*uow)->Sevdesk().GetConnection(school_id));
  HS_TRY(sync, (*uow)->Sevdesk().GetPaymentSync(school_id));
  return ToView(*sync, Active(*conn), clock_.Now());
}

Result<PaymentSyncView> PaymentSyncService::UpdateSettings(const Principal& who, int minutes) {
  if (who.role != Role::kOwner) {
    return Fail(ErrorCode::kForbidden, "owner_only",
                "Nur die Inhaberin oder der Inhaber darf den Zahlungsabgleich ändern.");
  }
  if (minutes < kPaymentSyncMinInterval || minutes > kPaymentSyncMaxInterval) {
    return Invalid({{"interval_minutes",
                     "Bitte einen Abstand zwischen 15 Minuten und 24 Stunden (1440 Minuten) "
                     "wählen."}});
  }
  {
    HS_TRY(uow, db_.Begin(TxKind::kWrite));
    HS_CHECK((*uow)->Sevdesk().SetPaymentSyncInterval(who.school_id, minutes));
    HS_CHECK((*uow)->Commit());
  }
  Wake();  // the next due time moved
  return State(who.school_id);
}

Result<PaymentSyncView> PaymentSyncService::RequestSync(const Principal& who) {
  {
    HS_TRY(uow, db_.Begin(TxKind::kWrite));
    HS_TRY(conn, (*uow)->Sevdesk().GetConnection(who.school_id));
    if (!Active(*conn)) return NotConnected();
    HS_CHECK((*uow)->Sevdesk().RequestPaymentSync(who.school_id, clock_.Now()));
    HS_CHECK((*uow)->Commit());
  }
  Wake();
  return State(who.school_id);
}

// ---------------------------------------------------------------- one run

Result<std::optional<PaymentSyncService::Claimed>> PaymentSyncService::Claim(std::int64_t school_id,
                                                                             Instant now) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  auto& repo = (*uow)->Sevdesk();
  HS_TRY(conn, repo.GetConnection(school_id));
  if (!Active(*conn)) return NotConnected();
  HS_TRY(taken, repo.TakePaymentSyncLease(school_id, settings_.owner, now, now + settings_.lease));
  if (!*taken) return std::optional<Claimed>{};
  HS_TRY(sync, repo.GetPaymentSync(school_id));
  HS_CHECK((*uow)->Commit());
  Claimed c;
  c.school_id = school_id;
  c.sync = *sync;
  c.token_sealed = (*conn)->token_sealed;
  c.started = now;
  c.read = PlanRead(c.sync, now, c.sync.requested_at.has_value());
  return std::optional<Claimed>{std::move(c)};
}

Status PaymentSyncService::Pace(std::int64_t school_id) {
  for (;;) {
    if (sleeper_.Stopping()) {
      return Fail(ErrorCode::kUnavailable, std::string(kStoppingReason),
                  "Der Dienst wird beendet.");
    }
    const auto wait = limiter_.Reserve(school_id, pacing_clock_.Now());
    if (wait.count() == 0) return {};
    sleeper_.Sleep(wait);
  }
}

// Lists the vouchers and plans the writes; on failure `run.error` says why and nothing is planned.
void PaymentSyncService::Read(const Claimed& c, PaymentSyncRun& run, PaymentSyncState& outcome,
                              PaymentSyncPlan& plan) {
  auto token = sealer_.Open(c.token_sealed, Owner(c.school_id));
  if (!token) {
    run.error = "Der gespeicherte Token kann nicht gelesen werden. Bitte den Token neu eintragen.";
    return;
  }
  // Every page is paced, not only the first: a full read of a large account is spread out
  // instead of competing in one burst with the transfers (hs_transfer_bench --section sync).
  auto listed = gateway_.ListVoucherPayments(*token, c.read.changed_since, settings_.page_size,
                                             [&] { return Pace(c.school_id); });
  if (!listed) {
    run.requests += 1;  // at least the one that failed
    run.error = ReadError(listed.error());
    return;
  }
  run.requests += listed->requests;
  run.vouchers = static_cast<int>(listed->vouchers.size());
  // Ours are read after the list: a receipt transferred meanwhile is either listed or confirmed.
  auto ours = [&]() -> Result<std::vector<TransferredVoucher>> {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    return (*uow)->Sevdesk().TransferredVouchers(c.school_id);
  }();
  if (!ours) {
    run.error = ours.error().message;
    return;
  }
  plan = PlanPaymentSync(c.school_id, *ours, listed->vouchers, c.read.full, clock_.Now());
  outcome.last_read_started_at = c.started;
  if (c.read.full) outcome.last_full_read_at = c.started;
  Confirm(c, run, outcome, plan);
}

// Vouchers missing from a full read: deleted only when GetVoucherPayment confirms it.
void PaymentSyncService::Confirm(const Claimed& c, PaymentSyncRun& run, PaymentSyncState& outcome,
                                 PaymentSyncPlan& plan) {
  if (plan.to_confirm.empty()) return;
  auto token = sealer_.Open(c.token_sealed, Owner(c.school_id));
  if (!token) return;
  int confirmed = 0;
  for (const auto& o : plan.to_confirm) {
    if (confirmed == settings_.max_confirmations) {
      // The rest in the next run, which reads all again.
      outcome.last_full_read_at.reset();
      break;
    }
    auto one = [&]() -> Result<std::optional<VoucherPayment>> {
      HS_CHECK(Pace(c.school_id));
      return gateway_.GetVoucherPayment(*token, o.voucher_id);
    }();
    ++run.requests;
    if (!one) {
      // The listed states are kept; the deletions wait for the next run, which reads all again.
      run.error = ReadError(one.error());
      outcome.last_full_read_at.reset();
      break;
    }
    ++confirmed;
    if (auto write = PlanVoucher(c.school_id, o, *one, clock_.Now())) {
      if (write->presence == VoucherPresence::kDeleted) ++run.deleted;
      plan.writes.push_back(std::move(*write));
    }
  }
}

// The run's writes and outcome in one transaction, fenced by the lease: false when it was lost.
Result<bool> PaymentSyncService::Store(const Claimed& c, const PaymentSyncState& outcome,
                                       const PaymentSyncPlan& plan) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  auto& repo = (*uow)->Sevdesk();
  HS_TRY(held, repo.FinishPaymentSync(outcome, settings_.owner, c.started));
  if (!*held) return false;
  for (const auto& s : plan.writes) HS_CHECK(repo.SaveVoucherState(s));
  HS_CHECK((*uow)->Commit());
  return true;
}

Result<PaymentSyncRun> PaymentSyncService::SyncSchool(std::int64_t school_id) {
  HS_TRY(claimed, Claim(school_id, clock_.Now()));
  PaymentSyncRun run;
  if (!*claimed) return run;
  const Claimed& c = **claimed;
  run.ran = true;
  run.full = c.read.full;
  PaymentSyncState outcome = c.sync;
  PaymentSyncPlan plan;
  Read(c, run, outcome, plan);
  outcome.last_sync_at = clock_.Now();
  outcome.last_sync_ok = run.error.empty();
  outcome.last_requests = run.requests;
  outcome.last_vouchers = run.vouchers;
  outcome.last_error = run.error;
  run.written = static_cast<int>(plan.writes.size());
  HS_TRY(stored, Store(c, outcome, plan));
  if (!*stored) {
    return Fail(ErrorCode::kConflict, "payment_sync_lease_lost",
                "Der Zahlungsabgleich lief zu lange und wurde von einem anderen Lauf abgelöst.");
  }
  if (!run.error.empty()) {
    Log(LogLevel::kWarn, "payment-sync", "school " + std::to_string(school_id) + ": " + run.error);
  }
  return run;
}

// ---------------------------------------------------------------- the scheduler

std::optional<Instant> PaymentSyncService::RunDue() {
  auto candidates = [&]() -> Result<std::vector<PaymentSyncState>> {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    return (*uow)->Sevdesk().PaymentSyncCandidates();
  };
  auto due = candidates();
  if (!due) {
    Log(LogLevel::kWarn, "payment-sync", "reading the schedule failed: " + due.error().message);
    return std::nullopt;
  }
  for (const auto& s : *due) {
    if (stopping_.load()) return std::nullopt;
    const Instant now = clock_.Now();
    if (PaymentSyncDueAt(s, now, settings_.fixed_interval) > now) continue;
    if (auto b = backoff_.find(s.school_id); b != backoff_.end() && b->second > now) continue;
    // One school's failure is its own: logged and stored, the others run.
    if (auto run = SyncSchool(s.school_id); !run) {
      Log(LogLevel::kWarn, "payment-sync",
          "school " + std::to_string(s.school_id) + ": " + run.error().message);
      backoff_[s.school_id] = now + kStoreFailureBackoff;
    } else {
      backoff_.erase(s.school_id);
    }
  }
  auto after = candidates();
  if (!after) return std::nullopt;
  std::optional<Instant> next;
  const Instant now = clock_.Now();
  for (const auto& s : *after) {
    Instant at = PaymentSyncDueAt(s, now, settings_.fixed_interval);
    if (auto b = backoff_.find(s.school_id); b != backoff_.end()) at = std::max(at, b->second);
    // A school whose lease another process holds: look again when it expires.
    if (s.lease_until && *s.lease_until > now && s.lease_owner != settings_.owner) {
      at = std::max(at, *s.lease_until);
    }
    if (!next || at < *next) next = at;
  }
  return next;
}

Status PaymentSyncService::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return {};
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void PaymentSyncService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PaymentSyncService::Wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  cv_.notify_all();
}

void PaymentSyncService::StopSleeper::Sleep(std::chrono::milliseconds how_long) {
  std::unique_lock lock(s_.mutex_);
  s_.cv_.wait_for(lock, how_long, [this] { return s_.stopping_.load(); });
}

void PaymentSyncService::Loop() {
  // Reading thousands of vouchers is background work: the transfers users wait for come first
  // on a busy machine (bench: hs_transfer_bench --section sync).
  LowerThisThreadsPriority();
  while (!stopping_.load()) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      seen = wakes_;
    }
    const auto next = RunDue();
    auto wait = settings_.poll;
    if (next) {
      const auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.Now());
      // Never a busy loop, even when a school stays due (its run failed to store).
      wait = std::clamp(until, std::chrono::milliseconds(200), settings_.poll);
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, wait, [&] { return stopping_.load() || wakes_ != seen; });
  }
}

}  // namespace hs::app
