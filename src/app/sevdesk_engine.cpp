#include "app/sevdesk_engine.hpp"

#include <algorithm>

#include "app/contact_sync.hpp"
#include "app/transaction.hpp"
#include "app/voucher_transfer.hpp"
#include "core/log.hpp"

namespace hs::app {

namespace {

std::string Owner(std::int64_t school_id) {
  return "school:" + std::to_string(school_id);
}

// The outcome label of /metrics.
std::string_view EndingName(Ending ending) {
  switch (ending) {
    case Ending::kTransferred:
      return "transferred";
    case Ending::kStopped:
      return "stopped";
    case Ending::kConnectionPaused:
      return "connection_paused";
    case Ending::kAwaitingMatch:
      return "awaiting_match";
    case Ending::kSettling:
      return "settling";
    case Ending::kTokenRefused:
      return "token_refused";
    case Ending::kPlanRefused:
      return "plan_refused";
    case Ending::kRateLimited:
      return "rate_limited";
    case Ending::kRejected:
      return "rejected";
    case Ending::kTransient:
      return "transient";
    case Ending::kUnreadable:
      return "unreadable";
    case Ending::kLeaseLost:
      return "lease_lost";
  }
  return "unknown";
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
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
  std::optional<ContactMatch> match;  // read only while the customer has no link
  std::string posted_contact;         // after a save that may have been applied
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
    if (s_.metrics_) s_.metrics_->LeasesTakenOver(*n);
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

// Nothing claimable: when the next transfer is due, and (several processes) release the expired
// leases of dead processes, at most every lease/3 per process; then commits the claim's unit.
void TransferEngine::WhenNothingClaimable(UnitOfWork& u, Instant now,
                                          std::optional<Instant>* next_due) {
  if (next_due) {
    if (auto next = u.Sevdesk().NextDueAt()) *next_due = *next;
  }
  if (!s_.settings_.single_process) {
    std::int64_t due = next_recovery_ms_.load();
    const std::int64_t now_ms = ToUnixMillis(now);
    if (now_ms >= due &&
        next_recovery_ms_.compare_exchange_strong(due, ToUnixMillis(now + RecoveryPeriod()))) {
      // Every owner's, this engine's too: the heartbeat renews only the transfers this engine's
      // workers run, so an expired lease of ours is a transfer whose completion was lost (a
      // crash of the database server), which would otherwise stay running for good.
      auto released = u.Sevdesk().RecoverRunning("", now, false);
      if (released && s_.metrics_) s_.metrics_->LeasesTakenOver(*released);
    }
  }
  (void)u.Commit();
}

std::vector<TransferEngine::Claim> TransferEngine::ClaimSome(int limit, int backfill_limit,
                                                             std::optional<Instant>* next_due,
                                                             bool* contended) {
  std::vector<Claim> claims;
  const Instant now = s_.clock_.Now();
  const auto started = std::chrono::steady_clock::now();
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
    WhenNothingClaimable(u, now, next_due);
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
  if (s_.metrics_) ObserveClaim(claims, now, std::chrono::steady_clock::now() - started);
  return claims;
}

void TransferEngine::ObserveClaim(const std::vector<Claim>& claims, Instant now,
                                  std::chrono::steady_clock::duration took) {
  s_.metrics_->Claim(Seconds(took), static_cast<int>(claims.size()));
  for (const Claim& c : claims) {
    s_.metrics_->ClaimDelay(
        std::chrono::duration<double>(now - c.transfer.next_attempt_at).count());
  }
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
  if (!w.link) {
    auto match = u.Sevdesk().GetMatch(t.school_id, w.invoice.customer_id);
    if (!match) return tl::unexpected(match.error());
    w.match = *match;
  }
  if (t.phase == TransferPhase::kPosting) {
    auto posted = u.Sevdesk().GetPostedContact(t.id);
    if (!posted) return tl::unexpected(posted.error());
    w.posted_contact = posted->value_or("");
  }
  auto pdf = u.Invoices().GetPdf(t.school_id, w.invoice.id);
  if (!pdf) return tl::unexpected(pdf.error());
  if (!*pdf) return Internal("invoice without document");
  w.pdf = **pdf;
  return {};
}

void TransferEngine::WakeSleeper::Sleep(std::chrono::milliseconds how_long) {
  std::unique_lock lock(engine_.wake_mutex_);
  engine_.wake_cv_.wait_for(lock, how_long, [this] { return engine_.Stopping(); });
}

int TransferEngine::CountThrottle(std::int64_t school_id) {
  std::lock_guard lock(throttle_mutex_);
  return ++throttle_streak_[school_id];
}

void TransferEngine::EndThrottle(std::int64_t school_id) {
  std::lock_guard lock(throttle_mutex_);
  throttle_streak_.erase(school_id);
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
  TransferWriter writer(s_.db_, s_.clock_, s_.settings_, claim.transfer);
  Outcome outcome = Attempt(claim, writer);
  const std::string school_class = claim.loaded && !s_.replaced_steps_
                                       ? domain::ToString(claim.work.school.tax_mode)
                                       : "unknown";
  Finish(writer, std::move(outcome), claim.work.connection, school_class);
}

// The steps of an attempt, each result stored before the next step; the first that does not
// complete ends the attempt with its outcome.
Outcome TransferEngine::Attempt(Claim& claim, TransferWriter& writer) {
  if (s_.replaced_steps_) return RunReplacedSteps(claim, writer);
  if (auto end = Prepare(claim, writer)) return *end;
  const Transfer& t = claim.transfer;
  const Work& w = claim.work;
  PacedGateway gateway(s_.gateway_, limiter_, s_.clock_, sleeper_, t.school_id, w.token);
  if (auto end = AwaitMatch(claim, writer, gateway)) return *end;
  ContactSync contacts(gateway, writer, s_.clock_, s_.settings_.settle, w.customer,
                       w.link.value_or(NewContactLink(t.school_id, w.customer)),
                       w.connection.update_linked_contacts);
  if (auto end = contacts.Sync()) return *end;
  const std::vector<RevenueAccount> accounts = s_.RevenueAccounts(w.connection);
  VoucherTransfer voucher(gateway, writer, contacts, s_.clock_, s_.settings_, w.receipt, w.pdf,
                          {.invoice = w.invoice,
                           .tax_mode = w.school.tax_mode,
                           .description = w.receipt.number,
                           .contact_id = {},         // after the contact sync
                           .uploaded_filename = {},  // after the upload
                           .revenue_accounts = accounts,
                           .preferred_account = w.connection.revenue_account_id});
  voucher.SetPostedContact(w.posted_contact);
  return voucher.Run();
}

// A customer without a link gets a contact only after the Kundenabgleich found none for it in
// sevdesk, or the school decided so (ADR 0015). A customer the matching has not seen yet (new
// since the last run) is matched now, with the rest of the school's customers without a link.
std::optional<Outcome> TransferEngine::AwaitMatch(Claim& claim, TransferWriter& writer,
                                                  PacedGateway& gateway) {
  Work& w = claim.work;
  if (w.link || w.connection.create_without_asking) return std::nullopt;
  const std::int64_t school_id = claim.transfer.school_id;
  if (!w.match) {
    auto directory = gateway.ListContacts(kContactPageSize);
    if (!directory) return OutcomeOf(directory.error());
    auto run = s_.matching_->StoreRun(school_id, *directory, TxKind::kRelaxedWrite);
    if (!run) return OutcomeOf(run.error());
    auto reloaded = RunTransaction(s_.db_, TxKind::kRead, [&](UnitOfWork& u) -> Status {
      HS_TRY(link, u.Sevdesk().GetLink(school_id, w.customer.id));
      HS_TRY(match, u.Sevdesk().GetMatch(school_id, w.customer.id));
      w.link = *link;
      w.match = *match;
      return {};
    });
    if (!reloaded) return OutcomeOf(reloaded.error());
    if (w.link && w.link->origin == LinkOrigin::kMatched) {
      auto st = writer.Progress("contact_matched",
                                "Kundenabgleich: mit dem vorhandenen sevdesk-Kontakt " +
                                    w.link->contact_id + " verknüpft.");
      if (!st) return OutcomeOf(st.error());
    }
  }
  if (w.link) return std::nullopt;
  if (w.match && w.match->state == MatchState::kCreateNew) return std::nullopt;
  // Review, "Später", or a link that was undone: the school decides first.
  return EndedAs(Ending::kAwaitingMatch);
}

std::optional<Outcome> TransferEngine::Prepare(Claim& claim, TransferWriter& writer) {
  const Transfer& t = claim.transfer;
  Work& w = claim.work;
  if (!claim.loaded) {
    const Error& e = claim.loaded.error();
    if (e.code == ErrorCode::kUnavailable) return OutcomeOf(e);  // our database: retried
    Log(LogLevel::kError, "sevdesk", "transfer " + std::to_string(t.id) + ": " + e.message);
    return EndedAs(Ending::kUnreadable);
  }
  if (!w.connection.enabled || w.connection.state != ConnectionState::kOk) {
    return EndedAs(Ending::kConnectionPaused);
  }
  auto token = s_.sealer_.Open(w.connection.token_sealed, Owner(t.school_id));
  if (!token) return EndedAs(Ending::kTokenRefused);
  w.token = *token;
  if (!claim.started) {
    // Any other failure of this write shows again at the next one.
    auto st = writer.Progress("started", StartedMessage(std::to_string(t.attempts)));
    if (!st && writer.LeaseLost()) return EndedAs(Ending::kLeaseLost);
  }
  return std::nullopt;
}

// The benchmark's no-op jobs (ADR 0008): the queue's claim, history and completion, no sevdesk.
Outcome TransferEngine::RunReplacedSteps(Claim& claim, TransferWriter& writer) {
  const Transfer& t = claim.transfer;
  if (!claim.started) {
    auto st = writer.Progress("started", StartedMessage(std::to_string(t.attempts)));
    if (!st) return OutcomeOf(st.error());
  }
  auto voucher = s_.replaced_steps_(t);
  if (!voucher) return OutcomeOf(voucher.error());
  return Transferred(*voucher, "In sevdesk als Beleg " + *voucher + " gespeichert.");
}

// Adds what only the engine knows to the outcome, lets the policy decide and stores the decision.
void TransferEngine::Finish(TransferWriter& writer, Outcome outcome,
                            const SevdeskConnection& connection, const std::string& school_class) {
  const std::int64_t school_id = writer.transfer().school_id;
  if (s_.metrics_) {
    s_.metrics_->Outcome(writer.LeaseLost() ? "lease_lost" : EndingName(outcome.ending),
                         school_class);
    if (outcome.ending == Ending::kRateLimited) s_.metrics_->RateLimited(school_class);
  }
  if (outcome.ending == Ending::kTransferred) {
    EndThrottle(school_id);
    outcome.ends_rejection_row = connection.consecutive_rejections != 0;
  }
  if (writer.LeaseLost()) return;  // the new owner carries on
  if (outcome.ending == Ending::kRateLimited) outcome.throttle_streak = CountThrottle(school_id);
  const Transfer before = writer.transfer();
  const Decision decision = Decide(before, outcome, s_.clock_.Now(), s_.settings_, s_.random_);
  if (!decision.log_warning.empty()) Log(LogLevel::kWarn, "sevdesk", decision.log_warning);
  auto stored = writer.Store(decision);
  if (stored && writer.BreakerOpened() && s_.metrics_) s_.metrics_->BreakerOpened(school_class);
  if (stored || writer.LeaseLost()) return;
  Log(LogLevel::kError, "sevdesk",
      "transfer " + std::to_string(writer.transfer().id) +
          ": cannot store its next state: " + stored.error().message);
  if (outcome.ending != Ending::kTransferred) return;
  // The voucher exists but its completion was not written: retried from the state before it,
  // whose posting mark makes the next attempt look the voucher up and adopt it. (Retried from
  // the completed state, without the mark, the next attempt would save a second voucher.)
  const Decision retry =
      Decide(before, OutcomeOf(stored.error()), s_.clock_.Now(), s_.settings_, s_.random_);
  (void)writer.Store(retry);
}

}  // namespace hs::app
