#include "app/sevdesk_service.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "app/sevdesk_engine.hpp"
#include "app/transfer_policy.hpp"
#include "core/log.hpp"

namespace hs::app {

namespace {

std::string Owner(std::int64_t school_id) {
  return "school:" + std::to_string(school_id);
}

// Revenue accounts cached as text: "id|number|name|rule:r,r;rule:r\n".
std::string EncodeAccounts(const std::vector<RevenueAccount>& accounts) {
  std::string out;
  for (const auto& a : accounts) {
    std::string name = a.name;
    std::replace(name.begin(), name.end(), '|', '/');
    std::replace(name.begin(), name.end(), '\n', ' ');
    out += std::to_string(a.id) + "|" + a.number + "|" + name + "|";
    for (std::size_t i = 0; i < a.rules.size(); ++i) {
      if (i) out += ";";
      out += std::to_string(a.rules[i].tax_rule) + ":";
      for (std::size_t k = 0; k < a.rules[i].rates.size(); ++k) {
        if (k) out += ",";
        out += std::to_string(a.rules[i].rates[k]);
      }
    }
    out += "\n";
  }
  return out;
}

std::vector<RevenueAccount> DecodeAccounts(const std::string& text) {
  std::vector<RevenueAccount> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      auto bar = line.find('|', start);
      if (bar == std::string::npos) break;
      parts.push_back(line.substr(start, bar - start));
      start = bar + 1;
    }
    if (parts.size() != 3) continue;
    RevenueAccount a;
    try {
      a.id = std::stoll(parts[0]);
    } catch (const std::exception&) {
      continue;
    }
    a.number = parts[1];
    a.name = parts[2];
    std::istringstream rules(line.substr(start));
    std::string rule;
    while (std::getline(rules, rule, ';')) {
      auto colon = rule.find(':');
      if (colon == std::string::npos) continue;
      RevenueAccount::Rule r;
      r.tax_rule = std::atoi(rule.substr(0, colon).c_str());
      std::istringstream rates(rule.substr(colon + 1));
      std::string rate;
      while (std::getline(rates, rate, ',')) {
        if (!rate.empty()) r.rates.push_back(std::atoi(rate.c_str()));
      }
      a.rules.push_back(std::move(r));
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string Mask(const std::string& last4) {
  return last4.empty() ? std::string{} : "••••••••" + last4;
}

ConnectionView ToView(const std::optional<SevdeskConnection>& c) {
  ConnectionView v;
  if (!c) {
    v.state = "not_configured";
    return v;
  }
  v.has_token = !c->token_sealed.empty();
  v.token_masked = Mask(c->token_last4);
  v.enabled = c->enabled;
  v.state = !v.has_token                               ? "not_configured"
            : c->state == ConnectionState::kPausedAuth ? "paused"
                                                       : "ok";
  v.paused_reason = c->paused_reason;
  v.revenue_account_id = c->revenue_account_id;
  v.transfer_start_date = c->transfer_start_date;
  v.last_test_at = c->last_test_at;
  v.last_test_ok = c->last_test_ok;
  v.last_test_outcome = c->last_test_outcome;
  v.last_test_message = c->last_test_message;
  v.bookkeeping_version = c->bookkeeping_version;
  v.sevdesk_user = c->sevdesk_user;
  v.sevdesk_tax_mode = c->sevdesk_tax_mode;
  v.revenue_accounts = DecodeAccounts(c->revenue_accounts_text);
  return v;
}

std::string TaxModeGerman(domain::TaxMode m) {
  return m == domain::TaxMode::kKleinunternehmer ? "Kleinunternehmer (§ 19 UStG)"
                                                 : "Regelbesteuerung";
}

}  // namespace

bool RevenueAccount::Allows(int rule, int rate) const {
  for (const auto& r : rules) {
    if (r.tax_rule == rule && std::find(r.rates.begin(), r.rates.end(), rate) != r.rates.end()) {
      return true;
    }
  }
  return false;
}

std::string ToString(TransferState state) {
  switch (state) {
    case TransferState::kQueued:
      return "queued";
    case TransferState::kRunning:
      return "running";
    case TransferState::kRetryWait:
      return "retry_wait";
    case TransferState::kFailed:
      return "failed";
    case TransferState::kTransferred:
      return "transferred";
  }
  return "queued";
}

std::optional<TransferState> ParseTransferState(std::string_view text) {
  if (text == "queued") return TransferState::kQueued;
  if (text == "running") return TransferState::kRunning;
  if (text == "retry_wait") return TransferState::kRetryWait;
  if (text == "failed") return TransferState::kFailed;
  if (text == "transferred") return TransferState::kTransferred;
  return std::nullopt;
}

SevdeskService::SevdeskService(Database& db, const Clock& clock, Random& random,
                               const Crypto& crypto, const SecretSealer& sealer,
                               SevdeskGateway& gateway, SevdeskSettings settings,
                               TransferMetrics* metrics)
    : db_(db),
      clock_(clock),
      random_(random),
      crypto_(crypto),
      sealer_(sealer),
      gateway_(gateway),
      settings_(std::move(settings)),
      metrics_(metrics),
      matching_(std::make_unique<ContactMatchingService>(db, clock, sealer, gateway)),
      engine_(std::make_unique<TransferEngine>(*this)) {
  PaymentSyncSettings sync;
  sync.owner = "payment-sync:" + crypto_.RandomToken().substr(0, 12);
  sync.fixed_interval = settings_.payment_sync_interval;
  payment_sync_ = std::make_unique<PaymentSyncService>(db, clock, sealer, gateway, sync);
}

SevdeskService::~SevdeskService() {
  StopWorkers();
}

void SevdeskService::ReplaceTransferStepsForBenchmark(TransferStep step) {
  replaced_steps_ = std::move(step);
}

Status SevdeskService::StartWorkers() {
  HS_CHECK(engine_->Start());
  if (settings_.payment_sync) return payment_sync_->Start();
  return {};
}
void SevdeskService::StopWorkers() {
  payment_sync_->Stop();
  engine_->Stop();
}
void SevdeskService::Wake() {
  engine_->Wake();
}

Result<ConnectionView> SevdeskService::GetConnection(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(c, (*uow)->Sevdesk().GetConnection(school_id));
  return ToView(*c);
}

Result<ConnectionView> SevdeskService::UpdateConnection(const Principal& who,
                                                        const ConnectionUpdate& u) {
  if (who.role != Role::kOwner) {
    return Fail(ErrorCode::kForbidden, "owner_only",
                "Nur die Inhaberin oder der Inhaber darf die sevdesk-Verbindung ändern.");
  }
  std::vector<FieldError> errors;
  if (u.token && !u.token->empty()) {
    const std::string& t = *u.token;
    const bool plausible =
        t.size() >= 16 && t.size() <= 128 && std::all_of(t.begin(), t.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        });
    if (!plausible) {
      errors.push_back({"api_token",
                        "Der API-Token besteht aus Buchstaben und Ziffern (in sevdesk unter "
                        "Verwalten > Erweiterungen > API)."});
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(existing, (*uow)->Sevdesk().GetConnection(who.school_id));
  SevdeskConnection c = existing->value_or(SevdeskConnection{});
  c.school_id = who.school_id;
  const Instant now = clock_.Now();
  if (u.token) {
    if (u.token->empty()) {
      c.token_sealed.clear();
      c.token_last4.clear();
      c.enabled = false;
    } else {
      c.token_sealed = sealer_.Seal(*u.token, Owner(who.school_id));
      c.token_last4 = u.token->substr(u.token->size() - 4);
    }
    // A new token needs a new successful test before anything is sent with it.
    c.last_test_ok = false;
    c.last_test_outcome.clear();
    c.last_test_message.clear();
    if (c.enabled) {
      c.state = ConnectionState::kPausedAuth;
      c.paused_reason = "Neuer API-Token: bitte „Verbindung testen“.";
    }
  }
  if (u.revenue_account_id) {
    if (*u.revenue_account_id) {
      const auto accounts = DecodeAccounts(c.revenue_accounts_text);
      const bool known = std::any_of(accounts.begin(), accounts.end(),
                                     [&](const auto& a) { return a.id == **u.revenue_account_id; });
      if (!known) {
        return Invalid({{"revenue_account_id",
                         "Dieses Erlöskonto kennt sevdesk nicht. Bitte zuerst die Verbindung "
                         "testen und ein Konto aus der Liste wählen."}});
      }
    }
    c.revenue_account_id = *u.revenue_account_id;
  }
  if (u.transfer_start_date) c.transfer_start_date = *u.transfer_start_date;
  if (u.enabled) {
    if (*u.enabled && !c.enabled) {
      const bool tested = c.last_test_ok && !c.token_sealed.empty();
      if (!tested) {
        return Fail(ErrorCode::kConflict, "test_required",
                    "Bitte zuerst „Verbindung testen“: Aktivieren geht erst nach einem "
                    "erfolgreichen Test.",
                    {{"enabled", "Erst nach erfolgreichem Verbindungstest möglich."}});
      }
      c.state = ConnectionState::kOk;
      c.paused_reason.clear();
    }
    c.enabled = *u.enabled;
  }
  const bool activated = c.enabled && !(existing->has_value() && (*existing)->enabled);
  c.updated_at = now;
  HS_CHECK((*uow)->Sevdesk().SaveConnection(c));
  HS_CHECK((*uow)->Commit());
  // Activating matches the customers with the contacts already in sevdesk, before the first
  // transfer (which would otherwise run the matching itself; a failure here leaves it to it).
  if (activated) {
    if (auto run = matching_->RunForSchool(who.school_id); !run) {
      Log(LogLevel::kWarn, "sevdesk",
          "school " + std::to_string(who.school_id) +
              ": Kundenabgleich on activation failed: " + run.error().message);
    }
  }
  Wake();
  return ToView(c);
}

TestResult TestResultOfFailure(const Error& e) {
  TestResult r;
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
      r.outcome = "token_invalid";
      r.message =
          "sevdesk kennt diesen API-Token nicht. Bitte den Token in sevdesk unter "
          "Verwalten > Erweiterungen > API kopieren (sevdesk zeigt ihn nach erneuter "
          "Eingabe des sevdesk-Passworts) und hier neu eintragen.";
      break;
    case ErrorCode::kForbidden:
      r.outcome = "no_api_access";
      r.message =
          "Ihr sevdesk-Tarif erlaubt keinen API-Zugriff. Für die Übertragung wird "
          "mindestens der Tarif „Buchhaltung Pro“ benötigt.";
      break;
    case ErrorCode::kUnavailable:
      if (e.reason == "sevdesk_timeout") {
        r.outcome = "timeout";
        r.message =
            "sevdesk hat nicht rechtzeitig geantwortet. Bitte in einigen Minuten "
            "erneut testen.";
      } else if (e.reason == "sevdesk_error" || e.reason == "sevdesk_uncertain") {
        r.outcome = "sevdesk_error";
        r.message = "sevdesk meldet gerade einen Fehler. Bitte später erneut testen.";
      } else {
        r.outcome = "unreachable";
        r.message =
            "sevdesk ist nicht erreichbar. Bitte Internetverbindung prüfen und später "
            "erneut testen.";
      }
      break;
    case ErrorCode::kRateLimited:
      r.outcome = "sevdesk_error";
      r.message = "sevdesk bremst gerade Anfragen. Bitte in einer Minute erneut testen.";
      break;
    default:
      r.outcome = "sevdesk_error";
      r.message = "sevdesk hat mit einem Fehler geantwortet: " + e.message;
  }
  return r;
}

TestResult TestResultOfAccount(const SevdeskAccountInfo& info, domain::TaxMode school_tax_mode) {
  TestResult r;
  r.bookkeeping_version = info.bookkeeping_version;
  r.sevdesk_user = info.user_name;
  r.revenue_accounts = info.revenue_accounts;
  if (info.tax_mode) r.sevdesk_tax_mode = domain::ToString(*info.tax_mode);
  if (info.bookkeeping_version != "2.0") {
    r.outcome = "bookkeeping_v1";
    r.message = "Ihr sevdesk-Konto nutzt noch das alte Buchhaltungssystem " +
                info.bookkeeping_version +
                ". Die Übertragung unterstützt nur sevdesk-Buchhaltung 2.0; bitte in sevdesk "
                "auf die aktuelle Version umstellen.";
  } else if (info.tax_mode && *info.tax_mode != school_tax_mode) {
    r.outcome = "tax_mode_mismatch";
    r.message = "Die Besteuerung passt nicht: In hundeschule ist „" +
                TaxModeGerman(school_tax_mode) + "“ eingestellt, in sevdesk „" +
                TaxModeGerman(*info.tax_mode) +
                "“. Bitte eine der beiden Einstellungen anpassen und erneut testen.";
  } else if (info.revenue_accounts.empty()) {
    r.outcome = "sevdesk_error";
    r.message = "sevdesk hat keine Erlöskonten geliefert. Bitte später erneut testen.";
  } else {
    r.ok = true;
    r.outcome = "connected";
    r.message = "Verbindung hergestellt: sevdesk-Buchhaltung " + info.bookkeeping_version +
                ", Benutzer " + (info.user_name.empty() ? "unbekannt" : info.user_name) + ", " +
                TaxModeGerman(school_tax_mode) + ".";
  }
  return r;
}

Result<TestResult> SevdeskService::Test(const Principal& who) {
  if (who.role != Role::kOwner) {
    return Fail(ErrorCode::kForbidden, "owner_only",
                "Nur die Inhaberin oder der Inhaber darf die sevdesk-Verbindung testen.");
  }
  std::optional<SevdeskConnection> conn;
  domain::School school;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(c, (*uow)->Sevdesk().GetConnection(who.school_id));
    conn = *c;
    HS_TRY(s, (*uow)->Schools().Get(who.school_id));
    school = *s;
  }
  TestResult r;
  if (!conn || conn->token_sealed.empty()) {
    r.outcome = "no_token";
    r.message = "Bitte zuerst den API-Token aus sevdesk eintragen.";
    return r;
  }
  auto token = sealer_.Open(conn->token_sealed, Owner(who.school_id));
  if (!token) {
    r.outcome = "no_token";
    r.message = "Der gespeicherte Token kann nicht gelesen werden. Bitte den Token neu eintragen.";
    return r;
  }
  auto info = gateway_.Inspect(*token);
  r = info ? TestResultOfAccount(*info, school.tax_mode) : TestResultOfFailure(info.error());
  return StoreTestResult(who.school_id, *conn, *token, info.has_value(), std::move(r));
}

// Stores the result; a success lifts a pause and wakes the waiting transfers. `tested` is the
// connection the test read: a token changed meanwhile makes the result void.
Result<TestResult> SevdeskService::StoreTestResult(std::int64_t school_id,
                                                   const SevdeskConnection& tested,
                                                   const std::string& token, bool inspected,
                                                   TestResult r) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(current, (*uow)->Sevdesk().GetConnection(school_id));
  if (!*current) return r;
  SevdeskConnection c = **current;
  if (c.token_sealed != tested.token_sealed) {
    r.ok = false;
    r.outcome = "sevdesk_error";
    r.message = "Der Token wurde während des Tests geändert. Bitte erneut testen.";
    return r;
  }
  const Instant now = clock_.Now();
  c.last_test_at = now;
  c.last_test_ok = r.ok;
  c.last_test_outcome = r.outcome;
  c.last_test_message = r.message;
  if (inspected) {
    c.bookkeeping_version = r.bookkeeping_version;
    c.sevdesk_user = r.sevdesk_user;
    c.sevdesk_tax_mode = r.sevdesk_tax_mode;
    c.revenue_accounts_text = EncodeAccounts(r.revenue_accounts);
  }
  if (r.ok) {
    c.token_fingerprint_tested = sealer_.Fingerprint(token, Owner(school_id));
    if (c.state == ConnectionState::kPausedAuth) {
      c.state = ConnectionState::kOk;
      c.paused_reason.clear();
      HS_CHECK((*uow)->Sevdesk().ResumeSchool(school_id, now));
    }
    c.breaker_until.reset();
    c.consecutive_rejections = 0;
  } else if (r.outcome == "token_invalid" || r.outcome == "no_api_access") {
    if (c.enabled) {
      c.state = ConnectionState::kPausedAuth;
      c.paused_reason = r.message;
    }
  }
  c.updated_at = now;
  HS_CHECK((*uow)->Sevdesk().SaveConnection(c));
  HS_CHECK((*uow)->Commit());
  if (r.ok) Wake();
  return r;
}

Status SevdeskService::OnIncomeReceipt(UnitOfWork& uow, const domain::Invoice& invoice,
                                       std::int64_t receipt_id) {
  HS_TRY(conn, uow.Sevdesk().GetConnection(invoice.school_id));
  if (!*conn || !(*conn)->enabled) return {};
  if ((*conn)->transfer_start_date && std::chrono::sys_days{invoice.invoice_date} <
                                          std::chrono::sys_days{*(*conn)->transfer_start_date}) {
    return {};
  }
  const Instant now = clock_.Now();
  Transfer t;
  t.school_id = invoice.school_id;
  t.receipt_id = receipt_id;
  t.customer_id = invoice.customer_id;
  t.priority = TransferPriority::kLive;
  t.next_attempt_at = now;
  t.created_at = now;
  HS_TRY(id, uow.Sevdesk().InsertTransfer(t));
  if (*id) {
    HS_CHECK(uow.Sevdesk().AddEvent(
        {0, **id, now, "queued", "Automatisch zur Übertragung vorgemerkt (festgeschrieben)."}));
  }
  return {};
}

void SevdeskService::AfterCommit() {
  Wake();
}

namespace {

// Transfers need a tested token and an active connection.
Status CheckTransferActive(const std::optional<SevdeskConnection>& conn) {
  if (!conn || conn->token_sealed.empty()) {
    return Fail(ErrorCode::kConflict, "sevdesk_not_connected",
                "sevdesk ist noch nicht verbunden. Bitte unter Einstellungen > Erweiterungen > "
                "Sevdesk den API-Token eintragen, testen und aktivieren.");
  }
  if (!conn->enabled) {
    return Fail(ErrorCode::kConflict, "sevdesk_disabled",
                "Die sevdesk-Übertragung ist nicht aktiv. Bitte unter Einstellungen > "
                "Erweiterungen > Sevdesk aktivieren.");
  }
  return {};
}

// What a batch does with each selected receipt.
struct BatchPlan {
  std::vector<std::pair<std::int64_t, std::int64_t>> to_queue;  // receipt, customer
  std::vector<Transfer> to_requeue;  // failed for good before: sent again with this batch
  std::int64_t requested = 0;        // distinct receipt ids
};

// Sorts the selected receipts into new transfers, failed ones to send again, and skipped ones
// (with the reason the school sees), counting the skips on the batch.
Result<BatchPlan> PlanBatch(UnitOfWork& uow, std::int64_t school_id,
                            const std::vector<std::int64_t>& ids, BatchCreated& out, Batch& batch) {
  BatchPlan plan;
  std::set<std::int64_t> unique_ids;
  for (std::int64_t id : ids) {
    if (!unique_ids.insert(id).second) continue;
    auto receipt = uow.Receipts().Get(school_id, id);
    if (!receipt) {
      if (receipt.error().code != ErrorCode::kNotFound) return tl::unexpected(receipt.error());
      out.skipped.push_back({id, "not_found", "Beleg nicht gefunden."});
      ++batch.skipped_other;
      continue;
    }
    if (receipt->type != domain::ReceiptType::kIncome) {
      out.skipped.push_back({id, "expense",
                             "Ausgaben werden nicht übertragen: nur Einnahmen (Rechnungen und "
                             "Stornorechnungen) gehen an sevdesk."});
      ++batch.skipped_expense;
      continue;
    }
    HS_TRY(existing, uow.Sevdesk().GetTransferByReceipt(school_id, id));
    if (*existing && (*existing)->state == TransferState::kFailed) {
      // "Zu sevdesk übertragen" on a failed receipt means: try it again.
      plan.to_requeue.push_back(**existing);
      continue;
    }
    if (*existing) {
      const bool done = (*existing)->state == TransferState::kTransferred;
      out.skipped.push_back(
          {id, done ? "already_transferred" : "already_queued",
           done ? "Bereits an sevdesk übertragen." : "Bereits in der Warteschlange."});
      ++batch.skipped_already;
      continue;
    }
    plan.to_queue.emplace_back(id, receipt->customer_id.value_or(0));
  }
  plan.requested = static_cast<std::int64_t>(unique_ids.size());
  return plan;
}

// Queues the plan's transfers under the batch, each with its first history line.
Status QueueBatch(SevdeskRepository& repo, const BatchPlan& plan, std::int64_t school_id,
                  std::int64_t batch_id, Instant now, BatchCreated& out) {
  for (const auto& [receipt_id, customer_id] : plan.to_queue) {
    Transfer t;
    t.school_id = school_id;
    t.receipt_id = receipt_id;
    t.customer_id = customer_id;
    t.priority = TransferPriority::kBackfill;
    t.batch_id = batch_id;
    t.next_attempt_at = now;
    t.created_at = now;
    HS_TRY(tid, repo.InsertTransfer(t));
    if (*tid) {
      HS_CHECK(repo.AddEvent(
          {0, **tid, now, "queued", "Zur Übertragung an sevdesk ausgewählt (Sammelübertragung)."}));
      ++out.queued;
    }
  }
  for (Transfer t : plan.to_requeue) {
    t.state = TransferState::kQueued;
    t.attempts = 0;
    t.next_attempt_at = now;
    t.priority = TransferPriority::kBackfill;
    t.batch_id = batch_id;
    t.updated_at = now;
    HS_CHECK(repo.UpdateTransfer(t));
    HS_CHECK(repo.AddEvent({0, t.id, now, "retry",
                            "Erneut zur Übertragung an sevdesk ausgewählt (Sammelübertragung)."}));
    ++out.queued;
  }
  return {};
}

}  // namespace

Result<BatchCreated> SevdeskService::CreateBatch(const Principal& who, const BatchRequest& req) {
  const Instant now = clock_.Now();
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  auto& repo = (*uow)->Sevdesk();
  HS_TRY(conn, repo.GetConnection(who.school_id));
  HS_CHECK(CheckTransferActive(*conn));
  std::vector<std::int64_t> ids = req.receipt_ids;
  if (req.use_filter) {
    HS_TRY(found, repo.IncomeReceiptIds(who.school_id, req.from, req.to, false));
    ids = *found;
  }
  if (ids.empty()) {
    return Invalid({{"receipt_ids", "Bitte mindestens einen Beleg auswählen."}});
  }
  if (ids.size() > 100000) {
    return Invalid({{"receipt_ids", "Höchstens 100.000 Belege auf einmal."}});
  }
  BatchCreated out;
  Batch batch;
  batch.school_id = who.school_id;
  batch.created_at = now;
  HS_TRY(plan, PlanBatch(**uow, who.school_id, ids, out, batch));
  batch.requested = plan->requested;
  HS_TRY(batch_id, repo.CreateBatch(batch));
  HS_CHECK(QueueBatch(repo, *plan, who.school_id, *batch_id, now, out));
  HS_CHECK((*uow)->Commit());
  out.batch_id = *batch_id;
  Wake();
  return out;
}

Result<BatchStatus> SevdeskService::GetBatch(std::int64_t school_id, std::int64_t batch_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(p, (*uow)->Sevdesk().GetBatch(school_id, batch_id));
  if (!*p) return NotFound("Diese Übertragung gibt es nicht.");
  BatchStatus s;
  s.progress = **p;
  const auto& b = s.progress.batch;
  s.total = b.requested;
  s.done = s.progress.transferred;
  s.remaining = s.progress.queued + s.progress.running + s.progress.retry_wait;
  // ETA from the observed rate since the batch was created.
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - b.created_at).count();
  if (s.remaining == 0) {
    s.eta_seconds = 0;
  } else if (s.done > 0 && elapsed > 0) {
    s.eta_seconds =
        static_cast<std::int64_t>(static_cast<double>(s.remaining) * static_cast<double>(elapsed) /
                                  static_cast<double>(s.done) / 1000.0) +
        1;
  }
  return s;
}

namespace {

// Issue 16: a voucher deleted or changed in sevdesk, and what the school does about it.
void AddVoucherState(ReceiptSevdeskStatus& s, const Transfer& t,
                     const std::optional<VoucherState>& state) {
  // A state of an earlier voucher (before a re-transfer) says nothing about this one.
  if (!state || state->voucher_id != t.voucher_id) return;
  s.voucher_state = state;
  if (state->presence == VoucherPresence::kDeleted) {
    s.hint = "Der Beleg wurde in sevdesk gelöscht. Sie können ihn erneut übertragen.";
    s.retransferable = true;
  } else if (state->presence == VoucherPresence::kChanged) {
    s.hint = "Der Beleg wurde in sevdesk geändert (" + state->change_note +
             "). Prüfen Sie ihn dort; ist er falsch, löschen Sie ihn in sevdesk und übertragen "
             "Sie ihn danach erneut.";
  }
}

}  // namespace

ReceiptSevdeskStatus SevdeskService::StatusOf(const std::optional<Transfer>& t, bool paused,
                                              const std::optional<VoucherState>& state) const {
  ReceiptSevdeskStatus s;
  s.transfer = t;
  if (!t) {
    s.status = "not_transferred";
    return s;
  }
  switch (t->state) {
    case TransferState::kTransferred:
      s.status = "transferred";
      s.voucher_link = settings_.voucher_link_template;
      if (auto pos = s.voucher_link.find("{id}"); pos != std::string::npos) {
        s.voucher_link.replace(pos, 4, t->voucher_id);
      }
      AddVoucherState(s, *t, state);
      break;
    case TransferState::kFailed:
      s.status = "failed";
      break;
    case TransferState::kRetryWait:
      s.status = paused ? "waiting" : "failed";
      break;
    case TransferState::kRunning:
      s.status = paused ? "waiting" : "in_progress";
      break;
    case TransferState::kQueued:
      s.status = paused                                     ? "waiting"
                 : t->last_error_code == kAwaitingMatchCode ? "awaiting_match"
                                                            : "queued";
      break;
  }
  return s;
}

std::vector<RevenueAccount> SevdeskService::RevenueAccounts(const SevdeskConnection& c) const {
  return DecodeAccounts(c.revenue_accounts_text);
}

Result<bool> SevdeskService::IsPaused(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(c, (*uow)->Sevdesk().GetConnection(school_id));
  return *c && !(*c)->token_sealed.empty() &&
         ((*c)->state == ConnectionState::kPausedAuth || !(*c)->enabled);
}

Result<std::int64_t> SevdeskService::CountSumMismatches() {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Sevdesk().CountSumMismatches();
}

Status SevdeskService::CollectMetrics() {
  if (!metrics_) return {};
  const Instant now = clock_.Now();
  auto read = [&]() -> Result<TransferGauges> {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    return (*uow)->Sevdesk().ReadTransferGauges(now);
  }();
  if (!read) {
    metrics_->read_errors.Inc();
    return tl::unexpected(read.error());
  }
  // Every known series first, so that a state that emptied reads 0 rather than its last value.
  for (const char* state : {"queued", "running", "retry_wait", "failed"}) {
    for (const char* school_class : {"regular", "kleinunternehmer"}) {
      metrics_->transfers.With({state, school_class}).Set(0);
    }
  }
  for (const auto& c : read->unfinished) {
    metrics_->transfers.With({c.state, c.school_class}).Set(static_cast<double>(c.count));
  }
  const double age =
      read->oldest_unfinished
          ? std::max(0.0, std::chrono::duration<double>(now - *read->oldest_unfinished).count())
          : 0.0;
  metrics_->oldest_unfinished_age.Set(age);
  metrics_->paused_connections.With({"auth"}).Set(static_cast<double>(read->paused_auth));
  metrics_->paused_connections.With({"breaker"}).Set(static_cast<double>(read->breaker_open));
  metrics_->paused_connections.With({"throttled"}).Set(static_cast<double>(read->throttled));
  metrics_->sum_mismatch_receipts.Set(static_cast<double>(read->sum_mismatches));
  return {};
}

Result<TransferHistory> SevdeskService::History(std::int64_t school_id, std::int64_t receipt_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_CHECK((*uow)->Receipts().Get(school_id, receipt_id));
  HS_TRY(conn, (*uow)->Sevdesk().GetConnection(school_id));
  const bool paused =
      *conn && ((*conn)->state == ConnectionState::kPausedAuth || !(*conn)->enabled);
  HS_TRY(t, (*uow)->Sevdesk().GetTransferByReceipt(school_id, receipt_id));
  HS_TRY(state, (*uow)->Sevdesk().GetVoucherState(school_id, receipt_id));
  TransferHistory h;
  h.status = StatusOf(*t, paused, *state);
  if (*t) {
    HS_TRY(events, (*uow)->Sevdesk().Events((*t)->id));
    h.events = std::move(*events);
  }
  return h;
}

Result<TransferHistory> SevdeskService::Retry(std::int64_t school_id, std::int64_t receipt_id) {
  {
    HS_TRY(uow, db_.Begin(TxKind::kWrite));
    HS_TRY(receipt, (*uow)->Receipts().Get(school_id, receipt_id));
    HS_TRY(t, (*uow)->Sevdesk().GetTransferByReceipt(school_id, receipt_id));
    if (*t && (*t)->state == TransferState::kTransferred) {
      HS_TRY(state, (*uow)->Sevdesk().GetVoucherState(school_id, receipt_id));
      HS_CHECK(RequeueDeleted(**uow, **t, state->value_or(VoucherState{})));
      HS_CHECK((*uow)->Commit());
      Wake();
      return History(school_id, receipt_id);
    }
    if (!*t ||
        ((*t)->state != TransferState::kFailed && (*t)->state != TransferState::kRetryWait)) {
      return Fail(ErrorCode::kConflict, "not_failed",
                  "Nur fehlgeschlagene Übertragungen können erneut versucht werden.");
    }
    Transfer tr = **t;
    const Instant now = clock_.Now();
    tr.state = TransferState::kQueued;
    tr.attempts = 0;
    tr.next_attempt_at = now;
    tr.priority = TransferPriority::kLive;  // a person is waiting for it
    tr.updated_at = now;
    HS_CHECK((*uow)->Sevdesk().UpdateTransfer(tr));
    HS_CHECK(
        (*uow)->Sevdesk().AddEvent({0, tr.id, now, "retry", "Erneuter Versuch wurde angestoßen."}));
    // A manual retry also closes the breaker: the cause was presumably fixed.
    HS_TRY(conn, (*uow)->Sevdesk().GetConnection(school_id));
    if (*conn) {
      SevdeskConnection c = **conn;
      c.breaker_until.reset();
      c.consecutive_rejections = 0;
      HS_CHECK((*uow)->Sevdesk().SaveConnection(c));
    }
    HS_CHECK((*uow)->Commit());
  }
  Wake();
  return History(school_id, receipt_id);
}

// Issue 16: a transferred receipt is queued again only when the sync confirmed its voucher
// deleted in sevdesk; while the voucher is there (even changed), a new one would duplicate it.
Status SevdeskService::RequeueDeleted(UnitOfWork& uow, Transfer t, const VoucherState& state) {
  if (state.presence != VoucherPresence::kDeleted || state.voucher_id != t.voucher_id) {
    return Fail(ErrorCode::kConflict, "not_failed",
                "Der Beleg ist in sevdesk vorhanden. Erneut übertragen geht erst, wenn er in "
                "sevdesk gelöscht wurde und der Zahlungsabgleich das festgestellt hat.");
  }
  const Instant now = clock_.Now();
  t.state = TransferState::kQueued;
  t.phase = TransferPhase::kNone;
  t.attempts = 0;
  t.next_attempt_at = now;
  t.priority = TransferPriority::kLive;  // a person is waiting for it
  t.voucher_id.clear();
  t.uploaded_filename.clear();  // sevdesk's temporary file is long gone
  t.last_error_code.clear();
  t.last_error_message.clear();
  t.last_error_hint.clear();
  t.transferred_at.reset();
  t.create_sent_at.reset();
  t.updated_at = now;
  HS_CHECK(uow.Sevdesk().UpdateTransfer(t));
  HS_CHECK(uow.Sevdesk().DeleteVoucherState(t.school_id, t.receipt_id));
  return uow.Sevdesk().AddEvent(
      {0, t.id, now, "retransfer", "In sevdesk gelöscht – erneut übertragen"});
}

}  // namespace hs::app
