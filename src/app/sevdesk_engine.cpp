#include "app/sevdesk_engine.hpp"

#include <algorithm>

#include "app/transaction.hpp"
#include "app/voucher_sums.hpp"
#include "core/log.hpp"

namespace hs::app {

namespace {

std::string Owner(std::int64_t school_id) {
  return "school:" + std::to_string(school_id);
}

std::string AddressFingerprint(const domain::Address& a) {
  return a.street + "|" + a.zip + "|" + a.city + "|" + a.country;
}

// Street, postcode and city: the country is mapped to sevdesk's ids lossily.
bool SameAddress(const domain::Address& a, const domain::Address& b) {
  return a.street == b.street && a.zip == b.zip && a.city == b.city;
}

bool IsUncertain(const Error& e) {
  return e.code == ErrorCode::kUnavailable && e.reason == "sevdesk_uncertain";
}

// sevdesk certainly did not apply the request: it refused it, or it never reached sevdesk.
bool CertainlyNotApplied(const Error& e) {
  return e.code == ErrorCode::kUnauthenticated || e.code == ErrorCode::kForbidden ||
         e.code == ErrorCode::kInvalidArgument || e.code == ErrorCode::kRateLimited ||
         (e.code == ErrorCode::kUnavailable && e.reason == "sevdesk_unreachable");
}

}  // namespace

// Everything one transfer needs, read in one transaction.
struct TransferEngine::Work {
  SevdeskConnection connection;
  domain::School school;
  domain::Receipt receipt;
  domain::Invoice invoice;
  domain::Customer customer;
  std::optional<ContactLink> link;
  std::string pdf;
  std::string token;
};

// A claimed transfer with what it needs: its "started" record written in the claim's
// transaction, then loaded.
struct TransferEngine::Claim {
  Transfer transfer;
  Work work;
  Status loaded;         // the load's outcome
  bool started = false;  // the "started" event was committed with the claim
};

std::chrono::milliseconds RateLimiter::Reserve(std::int64_t school_id, Instant now) {
  std::lock_guard lock(mutex_);
  Bucket& b = buckets_[school_id];
  if (!b.init) {
    b.tokens = burst_;
    b.refilled = now;
    b.init = true;
  }
  const double elapsed_s = std::chrono::duration<double>(now - b.refilled).count();
  if (elapsed_s > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed_s * rate_);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  const double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait_s * 1000.0) + 1);
}

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, Random& random) {
  std::int64_t ceiling = base.count();
  for (int i = 1; i < attempt && ceiling < cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, cap.count());
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(random.Below(static_cast<std::uint64_t>(ceiling) + 1)));
}

TransferEngine::TransferEngine(SevdeskService& service)
    : s_(service),
      owner_("worker-" + service.crypto_.RandomToken().substr(0, 12)),
      limiter_(service.settings_.rate_per_second, service.settings_.burst) {}

TransferEngine::~TransferEngine() {
  Stop();
}

Status TransferEngine::Start() {
  if (!workers_.empty()) return {};
  stopping_ = false;
  {
    auto uow = s_.db_.Begin(TxKind::kRelaxedWrite);
    if (!uow) return tl::unexpected(uow.error());
    auto n = (*uow)->Sevdesk().RecoverRunning(owner_, s_.clock_.Now(), s_.settings_.single_process);
    if (!n) return tl::unexpected(n.error());
    if (auto st = (*uow)->Commit(); !st) return st;
    next_recovery_ms_ = ToUnixMillis(s_.clock_.Now() + RecoveryPeriod());
    if (*n > 0) {
      Log(LogLevel::kInfo, "sevdesk",
          "recovered " + std::to_string(*n) + " interrupted transfer(s)");
    }
  }
  {
    std::lock_guard lock(wake_mutex_);
    idle_workers_ = 0;
    claiming_ = false;
    short_at_.reset();
    claim_misses_ = 0;
  }
  for (int i = 0; i < std::max(1, s_.settings_.workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  // Several processes: renew our leases while a step runs long (slow sevdesk, pacing), so that
  // only a dead process's transfers are taken over.
  if (!s_.settings_.single_process) heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  // The owner name ties the "lease lost" lines of other processes to this one.
  Log(LogLevel::kInfo, "sevdesk",
      "transfer engine " + owner_ + " started with " + std::to_string(workers_.size()) +
          " worker(s)");
  return {};
}

void TransferEngine::Stop() {
  stopping_ = true;
  {
    std::lock_guard lock(wake_mutex_);
    ++wake_generation_;
  }
  // Pacing workers, idle workers and the heartbeat see the stop. A worker ends only when no
  // claim is left in ready_, and the worker that claims takes from ready_ before it ends: what
  // was claimed is run (a transfer that is stopped before its first call to sevdesk goes back
  // to the queue unchanged, see Run).
  wake_cv_.notify_all();
  work_cv_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void TransferEngine::HeartbeatLoop() {
  const auto period =
      std::max<std::chrono::milliseconds>(s_.settings_.lease / 3, std::chrono::milliseconds(100));
  for (;;) {
    {
      std::unique_lock lock(wake_mutex_);
      if (wake_cv_.wait_for(lock, period, [this] { return Stopping(); })) return;
    }
    std::vector<std::int64_t> running;
    {
      std::lock_guard lock(running_mutex_);
      running.assign(running_.begin(), running_.end());
    }
    if (running.empty()) continue;
    auto uow = s_.db_.Begin(TxKind::kRelaxedWrite);
    if (!uow) continue;
    auto n = (*uow)->Sevdesk().RenewLeases(owner_, s_.clock_.Now() + s_.settings_.lease, running);
    if (n) (void)(*uow)->Commit();
  }
}

// New work (a NOTIFY, a finalization, a retry): an idle worker claims it. When a claim runs right
// now, its end sees the new generation and wakes a worker for another claim, so no wake-up is
// lost.
void TransferEngine::Wake() {
  WakeIdleWorker();
}

void TransferEngine::WakeIdleWorker() {
  {
    std::lock_guard lock(wake_mutex_);
    ++wake_generation_;
  }
  // One idle worker claims; if a claim runs right now, its end wakes every idle worker, and
  // they see the new generation.
  work_cv_.notify_one();
}

int TransferEngine::FreeWorkers() const {
  return idle_workers_ - static_cast<int>(ready_.size());
}

std::chrono::milliseconds TransferEngine::RecoveryPeriod() const {
  return std::max<std::chrono::milliseconds>(s_.settings_.lease / 3,
                                             std::chrono::milliseconds(100));
}

std::vector<TransferEngine::Claim> TransferEngine::ClaimSome(int limit, int backfill_limit,
                                                             std::optional<Instant>* next_due,
                                                             bool* contended) {
  std::vector<Claim> claims;
  const Instant now = s_.clock_.Now();
  // Relaxed (ADR 0007): a claim lost in a crash of the database server only runs again; the
  // writes after it are fenced by the claim, and every create in sevdesk is preceded by a
  // durable mark.
  auto uow = s_.db_.Begin(TxKind::kRelaxedWrite);
  if (!uow) return claims;
  auto& u = **uow;
  // The claim records "started" itself (on PostgreSQL in the same round trip).
  auto c = u.Sevdesk().ClaimSeveral(
      {owner_, now, now + s_.settings_.lease, s_.settings_.max_in_flight_per_school, false,
       contended, StartedMessage("{attempt}")},
      limit, backfill_limit);
  if (!c) {
    Log(LogLevel::kError, "sevdesk", "claim failed: " + c.error().message);
    return claims;
  }
  if (c->empty()) {
    // Nothing claimable: when the next transfer is due, and (several processes) release the
    // expired leases of dead processes, at most every lease/3 per process.
    if (next_due) {
      if (auto next = u.Sevdesk().NextDueAt()) *next_due = *next;
    }
    if (!s_.settings_.single_process) {
      std::int64_t due = next_recovery_ms_.load();
      const std::int64_t now_ms = ToUnixMillis(now);
      if (now_ms >= due &&
          next_recovery_ms_.compare_exchange_strong(due, ToUnixMillis(now + RecoveryPeriod()))) {
        // Every owner's, this engine's too: the heartbeat renews only the transfers this
        // engine's workers run, so an expired lease of ours is a transfer whose completion was
        // lost (a crash of the database server), which would otherwise stay running for good.
        (void)u.Sevdesk().RecoverRunning("", now, false);
      }
    }
    (void)u.Commit();
    return claims;
  }
  // A claim lost in a crash of the database server (relaxed) can be issued again with the same
  // owner and claim number while a thread of ours still runs the lost one; the fencing token
  // would not tell them apart. Never run a transfer twice in this engine: roll these claims back
  // (the transfers stay due); the old thread's next write finds the row not running and stops.
  std::vector<std::int64_t> marked;
  for (const Transfer& t : *c) {
    if (!MarkRunning(t.id)) {
      Log(LogLevel::kWarn, "sevdesk",
          "transfer " + std::to_string(t.id) +
              " claimed again while this engine still runs it; the claim is rolled back");
      for (const std::int64_t id : marked) UnmarkRunning(id);
      return claims;
    }
    marked.push_back(t.id);
  }
  if (!u.Commit()) {
    for (const std::int64_t id : marked) UnmarkRunning(id);
    return claims;
  }
  for (Transfer& t : *c) {
    if (t.priority == TransferPriority::kBackfill) ++backfill_running_;
    claims.push_back(Claim{std::move(t), {}, {}, true});
  }
  return claims;
}

// The load runs in its own read transaction, after the claim: inside the claim it would hold the
// school's turn (PostgreSQL) or the write lock (SQLite) while reading the PDF, which made other
// claims fail and sleep (measured: throughput halved on SQLite, a fifth on PostgreSQL).
void TransferEngine::LoadClaim(Claim& claim) {
  if (s_.replaced_steps_) return;
  auto read = s_.db_.Begin(TxKind::kRead);
  claim.loaded =
      read ? Load(**read, claim.transfer, claim.work) : Status(tl::unexpected(read.error()));
}

bool TransferEngine::MarkRunning(std::int64_t transfer_id) {
  std::lock_guard lock(running_mutex_);
  return running_.insert(transfer_id).second;
}

void TransferEngine::UnmarkRunning(std::int64_t transfer_id) {
  std::lock_guard lock(running_mutex_);
  running_.erase(transfer_id);
}

std::string TransferEngine::StartedMessage(const std::string& attempt) {
  return "Übertragung gestartet (Versuch " + attempt + ").";
}

Status TransferEngine::Load(UnitOfWork& u, const Transfer& t, Work& w) {
  auto conn = u.Sevdesk().GetConnection(t.school_id);
  if (!conn) return tl::unexpected(conn.error());
  if (!*conn) return NotFound("no connection");
  w.connection = **conn;
  auto school = u.Schools().Get(t.school_id);
  if (!school) return tl::unexpected(school.error());
  w.school = *school;
  auto receipt = u.Receipts().Get(t.school_id, t.receipt_id);
  if (!receipt) return tl::unexpected(receipt.error());
  w.receipt = *receipt;
  if (!w.receipt.invoice_id) return Invalid({{"receipt", "Beleg ohne Rechnung"}});
  auto invoice = u.Invoices().Get(t.school_id, *w.receipt.invoice_id);
  if (!invoice) return tl::unexpected(invoice.error());
  w.invoice = *invoice;
  auto customer = u.Customers().Get(t.school_id, w.invoice.customer_id);
  if (!customer) return tl::unexpected(customer.error());
  w.customer = *customer;
  auto link = u.Sevdesk().GetLink(t.school_id, w.invoice.customer_id);
  if (!link) return tl::unexpected(link.error());
  w.link = *link;
  auto pdf = u.Invoices().GetPdf(t.school_id, w.invoice.id);
  if (!pdf) return tl::unexpected(pdf.error());
  if (!*pdf) return Internal("invoice without document");
  w.pdf = **pdf;
  return {};
}

Status TransferEngine::Pace(std::int64_t school_id) {
  for (;;) {
    if (Stopping()) {
      return Fail(ErrorCode::kUnavailable, "stopping", "Der Dienst wird beendet.");
    }
    const auto wait = limiter_.Reserve(school_id, s_.clock_.Now());
    if (wait.count() == 0) return {};
    std::unique_lock lock(wake_mutex_);
    wake_cv_.wait_for(lock, wait, [this] { return Stopping(); });
  }
}

int TransferEngine::DrainOnce() {
  int processed = 0;
  for (;;) {
    auto claims = ClaimSome(1, 1, nullptr);
    if (claims.empty()) return processed;
    for (Claim& claim : claims) {
      const bool backfill = claim.transfer.priority == TransferPriority::kBackfill;
      LoadClaim(claim);
      Run(std::move(claim));
      if (backfill) --backfill_running_;
      ++processed;
    }
  }
}

// Leader and followers: a free worker that finds no claim waiting in ready_ and no claim running
// claims itself, for every free worker at once, in one transaction (one round trip on
// PostgreSQL), keeps one of the transfers and leaves the rest in ready_ for the others. So one
// claim at a time runs per engine, and the claims of one process do not compete for the
// schools' turns (measured at 16 workers with a claim per worker: 2,425 of 4,000 claims had met
// a turn held by a sibling); a burst is claimed in one call instead of one per worker; and a new
// transfer reaches a worker without a hand-over between threads.
void TransferEngine::WorkerLoop() {
  // Backfill may occupy all workers but one, so that a school's live invoice never waits behind
  // another school's backfill for a free worker.
  const int backfill_share = std::max(1, s_.settings_.workers - 1);
  std::unique_lock lock(wake_mutex_);
  for (;;) {
    // A free worker is news for the claim: its finished transfer may have freed a slot of its
    // school or customer.
    ++idle_workers_;
    ++wake_generation_;
    std::optional<Claim> claim;
    for (;;) {
      if (!ready_.empty()) {
        claim.emplace(std::move(ready_.front()));
        ready_.erase(ready_.begin());
        break;
      }
      if (Stopping()) {
        --idle_workers_;
        return;
      }
      const auto steady_now = std::chrono::steady_clock::now();
      // After a short claim, claim again only for new work or a newly free worker, or when the
      // retry timer is up.
      const bool due = !short_at_ || wake_generation_ != *short_at_ || steady_now >= retry_at_;
      if (!claiming_ && due) {
        ClaimForFreeWorkers(lock, backfill_share);
        continue;  // take one of them, if there are any
      }
      if (claiming_ || !short_at_) {
        work_cv_.wait(lock);
      } else {
        work_cv_.wait_until(lock, retry_at_);
      }
    }
    --idle_workers_;
    lock.unlock();
    const bool backfill = claim->transfer.priority == TransferPriority::kBackfill;
    LoadClaim(*claim);
    Run(std::move(*claim));
    if (backfill) --backfill_running_;
    lock.lock();
  }
}

void TransferEngine::ClaimForFreeWorkers(std::unique_lock<std::mutex>& lock, int backfill_share) {
  claiming_ = true;
  const int free = FreeWorkers();
  const std::uint64_t generation = wake_generation_;
  // Woken after a short claim, most often by one new transfer: a claim of one answers as soon as
  // it has one, without the search for more that a claim for every free worker makes (it looks
  // at backfill too); a claim that fills its limit is followed by one for the rest.
  const int limit = short_at_ ? 1 : free;
  lock.unlock();
  const int backfill_limit = std::max(0, backfill_share - backfill_running_.load());
  std::optional<Instant> next_due;
  bool contended = false;
  const Instant now = s_.clock_.Now();
  auto claims = ClaimSome(limit, backfill_limit, &next_due, &contended);
  const int claimed = static_cast<int>(claims.size());
  lock.lock();
  claiming_ = false;
  for (Claim& c : claims) ready_.push_back(std::move(c));
  // This worker takes one claim itself. Woken: one idle worker per other claim, and one more
  // to make the next claim (more may be due, or new work arrived while this claim ran: its
  // wake-up found the claim running) or, after a short claim, to wait for the retry timer. Not
  // every idle worker: on 2 cores the herd delayed this worker's own transfer.
  const bool news = wake_generation_ != generation;
  const int wake = std::max(0, claimed - 1) + (claimed > 0 || news ? 1 : 0);
  for (int i = 0; i < wake; ++i) work_cv_.notify_one();
  if (claimed == limit) {
    // There may be more: claim again as soon as a worker is free.
    short_at_.reset();
    claim_misses_ = 0;
    return;
  }
  short_at_ = generation;
  // Nothing (more) claimable: sleep until woken, the next due time, or the poll interval. Work
  // that is due already but not claimable (the school's in-flight limit, a busy customer, a
  // throttle) waits for a wake-up (new work, a worker that finished) or the poll interval,
  // instead of polling the database every few milliseconds. Expired leases of other processes
  // were released by ClaimSome on the way (rate-limited).
  auto wait = s_.settings_.poll_interval;
  if (next_due && *next_due > now) {
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next_due - now);
    wait = std::clamp(until, std::chrono::milliseconds(5), wait);
  }
  // Retried soon instead of at the poll (1 s): due work that another claimer held (its school's
  // turn), or due work that was not claimable although nothing of ours runs that will wake us:
  // the completions our workers sent just now without waiting (ADR 0008) may not have reached
  // the server before this claim, so their customers still looked busy (measured: a round of
  // 2,000 no-op jobs stalled for a second). Up to 7 retries, 1 to 64 ms apart; after that a
  // school that cannot be served (throttled, at its limit) waits for a wake-up or the poll, as
  // before.
  const bool due_now = next_due && *next_due <= now && claimed == 0;
  if ((contended || due_now) && claim_misses_ < 7) {
    wait = std::min(wait, std::chrono::milliseconds(1 << claim_misses_));
    ++claim_misses_;
  } else if (claimed > 0) {
    claim_misses_ = 0;
  }
  retry_at_ = std::chrono::steady_clock::now() + wait;
}

void TransferEngine::Process(Transfer transfer) {
  if (!MarkRunning(transfer.id)) return;  // runs in this engine already
  Claim claim{std::move(transfer), {}, {}, false};
  {
    auto uow = s_.db_.Begin(TxKind::kRead);
    claim.loaded =
        uow ? Load(**uow, claim.transfer, claim.work) : Status(tl::unexpected(uow.error()));
  }
  Run(std::move(claim));
}

void TransferEngine::Run(Claim claim) {
  struct Done {
    TransferEngine& engine;
    std::int64_t id;
    ~Done() { engine.UnmarkRunning(id); }
  } done{*this, claim.transfer.id};
  Transfer& t = claim.transfer;
  Work& w = claim.work;
  const SevdeskSettings& cfg = s_.settings_;
  auto now = [&] { return s_.clock_.Now(); };

  // Writes the transfer (and optionally more) in one transaction; renews the lease. Fenced by
  // the claim: once another process has taken the transfer over (our lease expired while we
  // were paused or slow), nothing is written any more and the attempt is abandoned; sevdesk
  // stays consistent because the new owner looks up before it creates (ADR 0003). A conflict
  // with a concurrent transaction (PostgreSQL deadlock) re-runs the whole unit.
  bool lease_lost = false;
  const std::string claimed_by = t.lease_owner;  // the claim's owner, as ClaimNext answered
  auto lost = [] {
    return Fail(ErrorCode::kConflict, "lease_lost",
                "Die Übertragung läuft in einem anderen Prozess.");
  };
  // Events of steps whose own save was folded into the next one (the upload's).
  std::vector<TransferEvent> pending_events;
  auto save_as = [&](TxKind kind, const std::function<Status(UnitOfWork&)>& more) -> Status {
    if (lease_lost) return lost();
    t.updated_at = now();
    if (t.state == TransferState::kRunning) t.lease_until = now() + cfg.lease;
    auto st = RunTransaction(s_.db_, kind, [&](UnitOfWork& uow) -> Status {
      auto applied = uow.Sevdesk().UpdateClaimedTransfer(t, claimed_by);
      if (!applied) return tl::unexpected(applied.error());
      if (!*applied) return lost();
      for (const auto& e : pending_events) {
        if (auto s1 = uow.Sevdesk().AddEvent(e); !s1) return s1;
      }
      if (more) return more(uow);
      return {};
    });
    if (st || st.error().reason == "lease_lost") pending_events.clear();
    if (!st && st.error().reason == "lease_lost") {
      lease_lost = true;
      Log(LogLevel::kWarn, "sevdesk",
          "transfer " + std::to_string(t.id) + ": lease lost (claim " +
              std::to_string(t.lease_claim) +
              " was taken over after it expired); abandoning this attempt without writing");
    }
    return st;
  };
  // Progress, results and failures (ADR 0007): relaxed. Lost in a crash of the database server,
  // the transfer runs the lost steps again; a create whose result is lost is found by the next
  // attempt through its durable mark.
  auto save = [&](const std::function<Status(UnitOfWork&)>& more = {}) {
    return save_as(TxKind::kRelaxedWrite, more);
  };
  // The mark "this create may be done" right before a create request: durable, as a duplicate in
  // sevdesk depends on it. Being a commit in the same log, it also makes every earlier relaxed
  // commit durable.
  auto mark = [&](const std::function<Status(UnitOfWork&)>& more = {}) {
    return save_as(TxKind::kDurableWrite, more);
  };
  auto event = [&](std::string kind, std::string message) {
    return [kind = std::move(kind), message = std::move(message), &t, &now](UnitOfWork& uow) {
      return uow.Sevdesk().AddEvent({0, t.id, now(), kind, message});
    };
  };
  // Puts the transfer back without spending an attempt.
  auto snooze = [&](Instant until, std::string code, std::string message, std::string hint) {
    t.state = TransferState::kQueued;
    t.attempts = std::max(0, t.attempts - 1);
    t.next_attempt_at = until;
    t.lease_owner.clear();
    t.lease_until.reset();
    t.last_error_code = std::move(code);
    t.last_error_message = std::move(message);
    t.last_error_hint = std::move(hint);
    return save(event("waiting", t.last_error_message));
  };
  auto update_connection = [&](const std::function<void(SevdeskConnection&)>& change) {
    return [&, change](UnitOfWork& uow) -> Status {
      auto c = uow.Sevdesk().GetConnection(t.school_id);
      if (!c) return tl::unexpected(c.error());
      if (!*c) return {};
      SevdeskConnection conn = **c;
      change(conn);
      conn.updated_at = now();
      return uow.Sevdesk().SaveConnection(conn);
    };
  };

  // A more specific hint for a rejection whose cause the engine already knows.
  std::string rejected_hint;
  // Classifies a failure of a sevdesk call and stores the next state.
  auto fail = [&](const Error& e) {
    if (lease_lost || e.reason == "lease_lost") return;  // the new owner carries on
    if (e.reason == "stopping") {
      (void)snooze(now(), "", "", "");
      return;
    }
    if (e.code == ErrorCode::kUnauthenticated || e.code == ErrorCode::kForbidden) {
      const bool plan = e.code == ErrorCode::kForbidden;
      const std::string message =
          plan ? "Der sevdesk-Tarif erlaubt keinen API-Zugriff (Buchhaltung Pro nötig)."
               : "sevdesk lehnt den API-Token ab (ungültig oder zurückgezogen).";
      const std::string hint =
          "Unter Einstellungen > Erweiterungen > Sevdesk einen gültigen Token eintragen und "
          "„Verbindung testen“. Danach geht die Übertragung von selbst weiter.";
      t.state = TransferState::kQueued;
      t.attempts = std::max(0, t.attempts - 1);
      t.next_attempt_at = now();
      t.lease_owner.clear();
      t.lease_until.reset();
      t.last_error_code = "auth";
      t.last_error_message = message;
      t.last_error_hint = hint;
      auto st = save([&](UnitOfWork& uow) -> Status {
        if (auto s1 = event("paused", message)(uow); !s1) return s1;
        return update_connection([&](SevdeskConnection& c) {
          c.state = ConnectionState::kPausedAuth;
          c.paused_reason = message;
          c.last_test_ok = false;
        })(uow);
      });
      if (!st) Log(LogLevel::kError, "sevdesk", "cannot store pause: " + st.error().message);
      Log(LogLevel::kWarn, "sevdesk",
          "school " + std::to_string(t.school_id) + " paused: sevdesk answered " +
              (plan ? "403" : "401"));
      return;
    }
    if (e.code == ErrorCode::kRateLimited) {
      int streak = 0;
      {
        std::lock_guard lock(throttle_mutex_);
        streak = ++throttle_streak_[t.school_id];
      }
      const auto delay = e.retry_after
                             ? std::chrono::duration_cast<std::chrono::milliseconds>(*e.retry_after)
                             : BackoffDelay(streak, cfg.backoff_base, cfg.backoff_cap, s_.random_) +
                                   std::chrono::milliseconds(500);
      const Instant until = now() + delay;
      t.state = TransferState::kQueued;
      t.attempts = std::max(0, t.attempts - 1);
      t.next_attempt_at = until;
      t.lease_owner.clear();
      t.lease_until.reset();
      t.last_error_code = "rate_limited";
      t.last_error_message = "sevdesk bremst zu viele Anfragen; die Übertragung wartet kurz.";
      t.last_error_hint = "Nichts zu tun: es geht automatisch weiter.";
      (void)save([&](UnitOfWork& uow) -> Status {
        if (auto s1 = event("rate_limited", t.last_error_message)(uow); !s1) return s1;
        return update_connection([&](SevdeskConnection& c) { c.throttled_until = until; })(uow);
      });
      return;
    }
    if (e.code == ErrorCode::kInvalidArgument) {
      // Permanent: never retried automatically (sevdesk may block tokens that send many
      // failing requests); after several in a row the school's transfers pause a while.
      t.state = TransferState::kFailed;
      t.phase = TransferPhase::kNone;  // the request was refused, nothing was created
      t.lease_owner.clear();
      t.lease_until.reset();
      t.last_error_code = "rejected";
      t.last_error_message = "sevdesk hat den Beleg abgelehnt: " + e.message;
      t.last_error_hint = !rejected_hint.empty()
                              ? rejected_hint
                              : "Bitte die Angaben prüfen (Kunde, Steuersatz, Erlöskonto in den "
                                "sevdesk-Einstellungen) und danach „Erneut versuchen“ wählen.";
      (void)save([&](UnitOfWork& uow) -> Status {
        if (auto s1 = event("failed", t.last_error_message)(uow); !s1) return s1;
        return update_connection([&](SevdeskConnection& c) {
          if (++c.consecutive_rejections >= cfg.breaker_threshold) {
            c.breaker_until = now() + cfg.breaker_pause;
            c.consecutive_rejections = 0;
          }
        })(uow);
      });
      return;
    }
    // Transient (unreachable, uncertain, 5xx, time-out, our own storage): retry with backoff.
    const bool exhausted = t.attempts >= cfg.max_attempts;
    t.lease_owner.clear();
    t.lease_until.reset();
    t.last_error_code = IsUncertain(e) ? "uncertain" : "unavailable";
    if (exhausted) {
      t.state = TransferState::kFailed;
      t.last_error_message = "sevdesk war nach " + std::to_string(t.attempts) +
                             " Versuchen nicht erreichbar: " + e.message;
      t.last_error_hint =
          "Die Übertragung wird nicht mehr automatisch wiederholt. Bitte später „Erneut "
          "versuchen“ wählen.";
      (void)save(event("failed", t.last_error_message));
      return;
    }
    auto delay = BackoffDelay(t.attempts, cfg.backoff_base, cfg.backoff_cap, s_.random_);
    if (e.retry_after) {
      delay =
          std::max(delay, std::chrono::duration_cast<std::chrono::milliseconds>(*e.retry_after));
    }
    t.state = TransferState::kRetryWait;
    t.next_attempt_at = now() + delay;
    t.last_error_message = e.message;
    t.last_error_hint = "Nichts zu tun: der nächste Versuch läuft automatisch.";
    (void)save(event("retry_scheduled",
                     "Versuch " + std::to_string(t.attempts) + " fehlgeschlagen: " + e.message));
  };

  auto mark_transferred = [&](const std::string& voucher_id, const std::string& message,
                              const std::string& warning = {}) {
    {
      std::lock_guard lock(throttle_mutex_);
      throttle_streak_.erase(t.school_id);
    }
    t.state = TransferState::kTransferred;
    t.phase = TransferPhase::kNone;
    t.voucher_id = voucher_id;
    t.lease_owner.clear();
    t.lease_until.reset();
    t.transferred_at = now();
    t.last_error_code.clear();
    t.last_error_message.clear();
    t.last_error_hint.clear();
    if (!warning.empty()) {
      // Transferred, but never silently: the receipt shows both amounts until someone acts.
      t.last_error_code = "sum_mismatch";
      t.last_error_message = warning;
      t.last_error_hint =
          "Bitte den Beleg in sevdesk öffnen und die Beträge an die Rechnung anpassen; maßgeblich "
          "ist die Rechnung.";
      pending_events.push_back({0, t.id, now(), "sum_mismatch", warning});
      Log(LogLevel::kWarn, "sevdesk",
          "transfer " + std::to_string(t.id) + ": sums in sevdesk differ from the invoice");
    }
    Status st;
    if (w.connection.consecutive_rejections == 0 && !lease_lost) {
      // The usual end: one fenced write with its events, not waited for (ADR 0008).
      t.updated_at = now();
      std::vector<TransferEvent> events = std::move(pending_events);
      pending_events.clear();
      events.push_back({0, t.id, now(), "transferred", message});
      st = RunTransaction(s_.db_, TxKind::kRelaxedWrite, [&](UnitOfWork& uow) {
        return uow.Sevdesk().CompleteClaimedTransfer(t, claimed_by, events);
      });
    } else {
      st = save([&](UnitOfWork& uow) -> Status {
        if (auto s1 = event("transferred", message)(uow); !s1) return s1;
        // A success ends a row of rejections.
        return update_connection([](SevdeskConnection& c) { c.consecutive_rejections = 0; })(uow);
      });
    }
    if (!st) {
      // The voucher is in sevdesk, but its completion was not stored: the next attempt must
      // look it up and adopt it, not save it again (the posting mark stays).
      if (!voucher_id.empty() && t.phase == TransferPhase::kNone) t.phase = TransferPhase::kPosting;
      fail(st.error());
    }
  };
  if (s_.replaced_steps_) {
    if (!claim.started) {
      if (auto st = save(event("started", StartedMessage(std::to_string(t.attempts)))); !st)
        return fail(st.error());
    }
    auto voucher = s_.replaced_steps_(t);
    if (!voucher) return fail(voucher.error());
    return mark_transferred(*voucher, "In sevdesk als Beleg " + *voucher + " gespeichert.");
  }

  // ---------------------------------------------------------------- load
  {
    if (!claim.loaded) {
      Error e = claim.loaded.error();
      if (e.code != ErrorCode::kUnavailable) {
        t.state = TransferState::kFailed;
        t.lease_owner.clear();
        t.lease_until.reset();
        t.last_error_code = "internal";
        t.last_error_message = "Der Beleg kann nicht gelesen werden.";
        t.last_error_hint = "Bitte den Support kontaktieren.";
        Log(LogLevel::kError, "sevdesk", "transfer " + std::to_string(t.id) + ": " + e.message);
        (void)save(event("failed", t.last_error_message));
      } else {
        fail(e);
      }
      return;
    }
  }
  if (!w.connection.enabled || w.connection.state != ConnectionState::kOk) {
    (void)snooze(now(), "auth", "Die sevdesk-Verbindung ist pausiert.",
                 "Unter Einstellungen > Erweiterungen > Sevdesk die Verbindung testen.");
    return;
  }
  if (auto token = s_.sealer_.Open(w.connection.token_sealed, Owner(t.school_id))) {
    w.token = *token;
  } else {
    fail(Error{ErrorCode::kUnauthenticated, "token_unreadable", "", {}, {}});
    return;
  }
  auto call = [&](auto&& fn) -> decltype(fn()) {
    if (auto st = Pace(t.school_id); !st) return tl::unexpected(st.error());
    return fn();
  };
  // A create in sevdesk: paced first, then the fenced write that marks the create as possibly
  // done, then the request. A process that lost its lease while it waited for its turn creates
  // nothing; the window between the mark and the request is only the time to send it.
  auto create = [&](auto&& intent, auto&& fn) -> decltype(fn()) {
    if (auto st = Pace(t.school_id); !st) return tl::unexpected(st.error());
    if (auto st = intent(); !st) return tl::unexpected(st.error());
    return fn();
  };
  if (!claim.started) {
    if (auto st = save(event("started", StartedMessage(std::to_string(t.attempts))));
        !st && lease_lost)
      return;
  }
  // After an uncertain create, a look-up that finds nothing is conclusive only once sevdesk's
  // search has had the settle time to show what the create made (ADR 0010).
  auto settled = [&](const std::optional<Instant>& sent) {
    return !sent || now() >= *sent + cfg.settle;
  };
  auto wait_until_settled = [&](Instant sent) {
    (void)snooze(sent + cfg.settle, "settling",
                 "Ob sevdesk die letzte Anfrage schon ausgeführt hat, zeigt seine Suche erst nach "
                 "kurzer Zeit; danach wird nachgesehen statt doppelt angelegt.",
                 "Nichts zu tun: es geht automatisch weiter.");
  };

  // ---------------------------------------------------------------- contact
  ContactData contact;
  contact.kind = w.customer.kind;
  contact.name = w.customer.company_name;
  contact.first_name = w.customer.first_name;
  contact.last_name = w.customer.last_name;
  contact.address = w.customer.address;
  contact.email = w.customer.email;
  ContactLink link = w.link.value_or(ContactLink{t.school_id,
                                                 w.customer.id,
                                                 "HS-" + std::to_string(w.customer.customer_number),
                                                 "",
                                                 "",
                                                 "",
                                                 "",
                                                 "",
                                                 0,
                                                 false,
                                                 {}});
  contact.customer_number = link.customer_number;
  auto save_link = [&](const std::string& kind, const std::string& message) {
    return save([&](UnitOfWork& uow) -> Status {
      if (auto st = uow.Sevdesk().SaveLink(link); !st) return st;
      if (kind.empty()) return {};
      return event(kind, message)(uow);
    });
  };
  auto mark_link = [&] {
    return mark([&](UnitOfWork& uow) { return uow.Sevdesk().SaveLink(link); });
  };
  // A create of the contact, its address or its e-mail failed: when sevdesk certainly did not
  // apply it, a later look-up that finds nothing is conclusive at once (no settle time).
  auto failed_create = [&](const Error& e) {
    if (CertainlyNotApplied(e) && link.create_sent_at) {
      link.create_sent_at.reset();
      (void)save_link("", "");
    }
    fail(e);
  };
  // sevdesk no longer knows the linked contact (deleted there, or the token now belongs to
  // another sevdesk account): forget the link, so that a retry creates the contact again.
  auto forget_gone_contact = [&](const Error& e) {
    if (e.code != ErrorCode::kInvalidArgument ||
        e.message.find("Model_Contact") == std::string::npos) {
      return;
    }
    const std::string stale = link.contact_id;
    link = ContactLink{
        t.school_id, w.customer.id, link.customer_number, "", "", "", "", "", 0, false, {}};
    (void)save_link("contact_forgotten",
                    "Der sevdesk-Kontakt " + stale + " ist in sevdesk nicht mehr vorhanden.");
    rejected_hint =
        "Der Kunde ist in sevdesk nicht (mehr) vorhanden. „Erneut versuchen“ legt ihn in "
        "sevdesk neu an.";
  };
  if (link.contact_id.empty()) {
    if (link.creating) {
      // A create may have happened: look it up by the stable customer number first.
      auto found = call([&] { return s_.gateway_.FindContact(w.token, link.customer_number); });
      if (!found) return fail(found.error());
      if (*found) {
        link.contact_id = (*found)->id;
        link.creating = false;
        link.create_sent_at.reset();  // the uncertain create is resolved
        link.synced_address = "pending:";
        link.synced_email = "pending:";
        if (auto st = save_link("contact_adopted",
                                "Vorhandenen sevdesk-Kontakt " + link.contact_id + " übernommen.");
            !st) {
          return fail(st.error());
        }
      } else if (!settled(link.create_sent_at)) {
        return wait_until_settled(*link.create_sent_at);
      }
    }
    if (link.contact_id.empty()) {
      link.creating = true;
      // The version whose data this create sends: an adopted contact carries it.
      link.synced_version = w.customer.version;
      link.create_sent_at = now();
      auto created = create(mark_link, [&] { return s_.gateway_.CreateContact(w.token, contact); });
      if (!created) return failed_create(created.error());
      link.contact_id = *created;
      link.creating = false;
      link.create_sent_at.reset();
      link.synced_version = w.customer.version;
      if (auto st =
              save_link("contact_created", "sevdesk-Kontakt " + link.contact_id + " angelegt.");
          !st) {
        return fail(st.error());
      }
    }
  }
  // Changed since the last sync (also an adopted contact created from an older version).
  if (link.synced_version < w.customer.version) {
    auto updated =
        call([&] { return s_.gateway_.UpdateContact(w.token, link.contact_id, contact); });
    if (!updated) {
      forget_gone_contact(updated.error());
      return fail(updated.error());
    }
    link.synced_version = w.customer.version;
    if (auto st = save_link("contact_updated", "sevdesk-Kontakt aktualisiert."); !st) {
      return fail(st.error());
    }
  }
  // Billing address and e-mail: "pending:" marks a create that may have happened.
  const std::string address_fp = AddressFingerprint(w.customer.address);
  const bool has_address = !w.customer.address.street.empty() || !w.customer.address.city.empty();
  if (has_address && link.synced_address != address_fp) {
    bool adopted = false;
    if (link.synced_address.rfind("pending:", 0) == 0) {
      auto found = call([&] { return s_.gateway_.FindAddresses(w.token, link.contact_id); });
      if (!found) return fail(found.error());
      // Only the address itself: an older one of the contact is not the one the create made.
      for (const auto& a : *found) {
        if (!adopted && SameAddress(a.address, w.customer.address)) {
          link.address_id = a.id;
          link.create_sent_at.reset();
          adopted = true;
        }
      }
      if (!adopted && !settled(link.create_sent_at)) {
        return wait_until_settled(*link.create_sent_at);
      }
    }
    if (!adopted) {
      link.synced_address = "pending:" + address_fp;
      link.create_sent_at = now();
      auto id = create(
          mark_link, [&] { return s_.gateway_.CreateAddress(w.token, link.contact_id, contact); });
      if (!id) return failed_create(id.error());
      link.address_id = *id;
      link.create_sent_at.reset();
    }
    link.synced_address = address_fp;
    if (auto st = save_link("address_synced", "Rechnungsanschrift in sevdesk eingetragen."); !st) {
      return fail(st.error());
    }
  }
  if (!w.customer.email.empty() && link.synced_email != w.customer.email) {
    bool adopted = false;
    if (link.synced_email.rfind("pending:", 0) == 0) {
      auto found = call([&] { return s_.gateway_.FindEmails(w.token, link.contact_id); });
      if (!found) return fail(found.error());
      for (const auto& e : *found) {
        if (!adopted && e.value == w.customer.email) {
          link.email_id = e.id;
          link.create_sent_at.reset();
          adopted = true;
        }
      }
      if (!adopted && !settled(link.create_sent_at)) {
        return wait_until_settled(*link.create_sent_at);
      }
    }
    if (!adopted) {
      link.synced_email = "pending:" + w.customer.email;
      link.create_sent_at = now();
      auto id = create(mark_link, [&] {
        return s_.gateway_.CreateEmail(w.token, link.contact_id, w.customer.email);
      });
      if (!id) return failed_create(id.error());
      link.email_id = *id;
      link.create_sent_at.reset();
    }
    link.synced_email = w.customer.email;
    if (auto st = save_link("email_synced", "E-Mail-Adresse in sevdesk eingetragen."); !st) {
      return fail(st.error());
    }
  }

  // ---------------------------------------------------------------- voucher
  const std::string description = w.receipt.number;
  if (t.phase == TransferPhase::kPosting) {
    // The last save may have been applied: adopt an exact match, create only when absent.
    auto found = call([&] { return s_.gateway_.FindVouchers(w.token, description); });
    if (!found) return fail(found.error());
    for (const auto& v : *found) {
      // Our invoice number and contact identify it; a different sum is adopted with a warning
      // (creating it again would be a duplicate).
      if (v.description == description && v.contact_id == link.contact_id &&
          (v.credit_debit.empty() || v.credit_debit == "D")) {
        const SumMismatch mismatch =
            CompareVoucherSums(w.invoice.totals, SavedVoucher{v.id, {}, {}, v.gross_cents});
        return mark_transferred(v.id, "In sevdesk vorhandenen Beleg " + v.id + " übernommen.",
                                mismatch.Any() ? SumMismatchMessage(mismatch) : std::string{});
      }
    }
    if (!settled(t.create_sent_at)) return wait_until_settled(*t.create_sent_at);
  }
  if (t.uploaded_filename.empty()) {
    auto name =
        call([&] { return s_.gateway_.UploadDocument(w.token, w.receipt.file_name, w.pdf); });
    if (!name) return fail(name.error());
    t.uploaded_filename = *name;
    // Stored with the next save, the voucher's mark: a lost upload only means uploading again.
    pending_events.push_back({0, t.id, now(), "uploaded", "PDF hochgeladen."});
  }
  // Voucher positions: one per VAT rate, the invoice's own group sums.
  const int tax_rule = w.school.tax_mode == domain::TaxMode::kKleinunternehmer ? 11 : 1;
  VoucherData v;
  v.voucher_date = w.invoice.invoice_date;
  v.delivery_date = w.invoice.service_date.value_or(w.invoice.invoice_date);
  v.delivery_date_until = w.invoice.service_period_end;
  v.description = description;
  v.contact_id = link.contact_id;
  v.tax_rule = tax_rule;
  v.filename = t.uploaded_filename;
  // The revenue guidance cached by the last successful connection test.
  const auto revenue = s_.RevenueAccounts(w.connection);
  for (const auto& g : w.invoice.totals.groups) {
    VoucherPosition p;
    std::optional<std::int64_t> account;
    if (w.connection.revenue_account_id) {
      for (const auto& a : revenue) {
        if (a.id == *w.connection.revenue_account_id && a.Allows(tax_rule, g.rate)) account = a.id;
      }
    }
    if (!account) {
      for (const auto& a : revenue) {
        if (a.Allows(tax_rule, g.rate)) {
          account = a.id;
          break;
        }
      }
    }
    if (!account) {
      return fail(Error{ErrorCode::kInvalidArgument,
                        "no_account",
                        "In sevdesk gibt es kein Erlöskonto für " + std::to_string(g.rate) +
                            " % USt. (Steuerregel " + std::to_string(tax_rule) + ").",
                        {},
                        {}});
    }
    p.account_id = *account;
    p.rate = g.rate;
    p.gross_cents = g.gross_cents;
    p.comment = (w.invoice.kind == domain::InvoiceKind::kCancellation
                     ? "Storno zu " + w.invoice.cancels_invoice_number.value_or("") + ", "
                     : std::string{}) +
                "Umsatz " + std::to_string(g.rate) + " %";
    v.positions.push_back(std::move(p));
  }
  t.phase = TransferPhase::kPosting;
  t.create_sent_at = now();
  auto saved = create([&] { return mark(); }, [&] { return s_.gateway_.SaveVoucher(w.token, v); });
  if (!saved) {
    const Error& e = saved.error();
    // sevdesk: "The file <name> was not found. Upload it with ... uploadTempFile first."
    const bool file_gone = e.code == ErrorCode::kInvalidArgument &&
                           (e.message.find("ilename") != std::string::npos ||
                            e.message.find("uploadTempFile") != std::string::npos ||
                            (e.message.find("file") != std::string::npos &&
                             e.message.find("not found") != std::string::npos));
    if (file_gone && t.attempts < cfg.max_attempts) {
      // The uploaded temporary file is gone (expired): upload again on the next attempt.
      t.uploaded_filename.clear();
      t.phase = TransferPhase::kNone;
      return fail(Error{ErrorCode::kUnavailable,
                        "sevdesk_unreachable",
                        "Das hochgeladene Dokument war in sevdesk nicht mehr vorhanden.",
                        {},
                        {}});
    }
    if (CertainlyNotApplied(e)) t.create_sent_at.reset();
    if (!IsUncertain(e) && e.code != ErrorCode::kUnavailable) t.phase = TransferPhase::kNone;
    if (e.code == ErrorCode::kUnavailable && e.reason == "sevdesk_unreachable") {
      t.phase = TransferPhase::kNone;  // certainly not sent
    }
    forget_gone_contact(e);
    return fail(e);
  }
  const SumMismatch mismatch = CompareVoucherSums(w.invoice.totals, *saved);
  mark_transferred(saved->id, "In sevdesk als Beleg " + saved->id + " gespeichert.",
                   mismatch.Any() ? SumMismatchMessage(mismatch) : std::string{});
}

}  // namespace hs::app
