#include "store/sql_sevdesk_repository.hpp"

#include "store/sql/values.hpp"
#include "store/sql_contact_matches.hpp"
#include "store/sql_payment_sync.hpp"

namespace hs::store {

using sql::OptInstant;
using sql::OptMs;
using sql::Propagate;
using sql::Row;
using sql::Value;

namespace {

std::int64_t Ms(Instant i) {
  return ToUnixMillis(i);
}

constexpr const char* kConnectionColumns =
    "school_id, token_sealed, token_last4, enabled, revenue_account_id, transfer_start_date, "
    "state, paused_reason, last_test_at, last_test_ok, last_test_outcome, last_test_message, "
    "token_fingerprint_tested, bookkeeping_version, sevdesk_user, sevdesk_tax_mode, "
    "revenue_accounts, throttled_until, consecutive_rejections, breaker_until, updated_at, "
    "match_auto_link, create_without_asking, update_linked_contacts, "
    // issue 16 (payments recorded here)
    "payment_account_id, payment_account_name";

app::SevdeskConnection ConnectionFromRow(const Row& r) {
  app::SevdeskConnection c;
  c.school_id = r.Int(0);
  c.token_sealed = r.Text(1);
  c.token_last4 = r.Text(2);
  c.enabled = r.Int(3) != 0;
  c.revenue_account_id = r.OptInt(4);
  if (auto d = r.OptText(5)) c.transfer_start_date = ParseIsoDate(*d);
  c.state =
      r.Text(6) == "paused_auth" ? app::ConnectionState::kPausedAuth : app::ConnectionState::kOk;
  c.paused_reason = r.Text(7);
  c.last_test_at = OptInstant(r, 8);
  c.last_test_ok = r.Int(9) != 0;
  c.last_test_outcome = r.Text(10);
  c.last_test_message = r.Text(11);
  c.token_fingerprint_tested = r.Text(12);
  c.bookkeeping_version = r.Text(13);
  c.sevdesk_user = r.Text(14);
  c.sevdesk_tax_mode = r.Text(15);
  c.revenue_accounts_text = r.Text(16);
  c.throttled_until = OptInstant(r, 17);
  c.consecutive_rejections = static_cast<int>(r.Int(18));
  c.breaker_until = OptInstant(r, 19);
  c.updated_at = FromUnixMillis(r.Int(20));
  c.match_auto_link = r.Int(21) != 0;
  c.create_without_asking = r.Int(22) != 0;
  c.update_linked_contacts = r.Int(23) != 0;
  c.payment_account_id = r.Text(24);
  c.payment_account_name = r.Text(25);
  return c;
}

constexpr const char* kTransferColumns =
    "id, school_id, receipt_id, customer_id, state, phase, priority, batch_id, attempts, "
    "next_attempt_at, lease_owner, lease_until, uploaded_filename, voucher_id, last_error_code, "
    "last_error_message, last_error_hint, created_at, updated_at, transferred_at, create_sent_at";
// The column after kTransferColumns in the queries that also read the fencing token.
constexpr std::size_t kLeaseClaimColumn = 21;

}  // namespace

app::Transfer TransferFromRow(const Row& row, std::size_t o) {
  auto I = [&](std::size_t i) { return row.Int(o + i); };
  auto T = [&](std::size_t i) { return row.Text(o + i); };
  app::Transfer t;
  t.id = I(0);
  t.school_id = I(1);
  t.receipt_id = I(2);
  t.customer_id = I(3);
  t.state = app::ParseTransferState(T(4)).value_or(app::TransferState::kQueued);
  t.phase = T(5) == "posting" ? app::TransferPhase::kPosting : app::TransferPhase::kNone;
  t.priority = I(6) == 0 ? app::TransferPriority::kLive : app::TransferPriority::kBackfill;
  t.batch_id = row.OptInt(o + 7);
  t.attempts = static_cast<int>(I(8));
  t.next_attempt_at = FromUnixMillis(I(9));
  t.lease_owner = T(10);
  t.lease_until = OptInstant(row, o + 11);
  t.uploaded_filename = T(12);
  t.voucher_id = T(13);
  t.last_error_code = T(14);
  t.last_error_message = T(15);
  t.last_error_hint = T(16);
  t.created_at = FromUnixMillis(I(17));
  t.updated_at = FromUnixMillis(I(18));
  t.transferred_at = OptInstant(row, o + 19);
  t.create_sent_at = OptInstant(row, o + 20);
  return t;
}

namespace {

class SqlSevdeskRepository final : public app::SevdeskRepository {
 public:
  explicit SqlSevdeskRepository(sql::Connection& c) : c_(c) {}

  Result<std::optional<app::SevdeskConnection>> GetConnection(std::int64_t school_id) override {
    auto row = sql::QueryOne(c_,
                             std::string("SELECT ") + kConnectionColumns +
                                 " FROM sevdesk_connections WHERE school_id = $1",
                             {school_id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::SevdeskConnection>{};
    return std::optional<app::SevdeskConnection>{ConnectionFromRow(**row)};
  }

  Status SaveConnection(const app::SevdeskConnection& c) override {
    auto n = c_.Exec(
        "INSERT INTO sevdesk_connections (school_id, token_sealed, token_last4, enabled, "
        "revenue_account_id, transfer_start_date, state, paused_reason, last_test_at, "
        "last_test_ok, last_test_outcome, last_test_message, token_fingerprint_tested, "
        "bookkeeping_version, sevdesk_user, sevdesk_tax_mode, revenue_accounts, throttled_until, "
        "consecutive_rejections, breaker_until, updated_at, match_auto_link, "
        "create_without_asking, "
        "update_linked_contacts, payment_account_id, payment_account_name) VALUES ($1,$2,$3,$4,$5,"
        "$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26) ON "
        "CONFLICT (school_id) DO UPDATE SET "
        "token_sealed=$2, token_last4=$3, enabled=$4, revenue_account_id=$5, "
        "transfer_start_date=$6, state=$7, paused_reason=$8, last_test_at=$9, last_test_ok=$10, "
        "last_test_outcome=$11, last_test_message=$12, token_fingerprint_tested=$13, "
        "bookkeeping_version=$14, sevdesk_user=$15, sevdesk_tax_mode=$16, revenue_accounts=$17, "
        "throttled_until=$18, consecutive_rejections=$19, breaker_until=$20, updated_at=$21, "
        "match_auto_link=$22, create_without_asking=$23, update_linked_contacts=$24, "
        "payment_account_id=$25, payment_account_name=$26",
        {c.school_id,
         c.token_sealed,
         c.token_last4,
         std::int64_t{c.enabled ? 1 : 0},
         sql::Nullable(c.revenue_account_id),
         c.transfer_start_date ? Value{FormatIsoDate(*c.transfer_start_date)} : Value{nullptr},
         std::string(c.state == app::ConnectionState::kPausedAuth ? "paused_auth" : "ok"),
         c.paused_reason,
         OptMs(c.last_test_at),
         std::int64_t{c.last_test_ok ? 1 : 0},
         c.last_test_outcome,
         c.last_test_message,
         c.token_fingerprint_tested,
         c.bookkeeping_version,
         c.sevdesk_user,
         c.sevdesk_tax_mode,
         c.revenue_accounts_text,
         OptMs(c.throttled_until),
         std::int64_t{c.consecutive_rejections},
         OptMs(c.breaker_until),
         Ms(c.updated_at),
         std::int64_t{c.match_auto_link ? 1 : 0},
         std::int64_t{c.create_without_asking ? 1 : 0},
         std::int64_t{c.update_linked_contacts ? 1 : 0},
         c.payment_account_id,
         c.payment_account_name});
    if (!n) return Propagate(n);
    return {};
  }

  Result<std::optional<app::ContactLink>> GetLink(std::int64_t school_id,
                                                  std::int64_t customer_id) override {
    return GetContactLink(c_, school_id, customer_id);
  }
  Status SaveLink(app::ContactLink& link) override { return SaveContactLink(c_, link); }
  Result<bool> DeleteLink(std::int64_t school_id, std::int64_t customer_id,
                          std::int64_t revision) override {
    return DeleteContactLink(c_, school_id, customer_id, revision);
  }
  Result<std::vector<std::int64_t>> CustomersWithoutLink(std::int64_t school_id) override {
    return store::CustomersWithoutLink(c_, school_id);
  }
  Result<std::vector<std::string>> LinkedContactIds(std::int64_t school_id) override {
    return store::LinkedContactIds(c_, school_id);
  }
  Result<std::vector<app::ContactLink>> MatchedLinks(std::int64_t school_id) override {
    return store::MatchedLinks(c_, school_id);
  }
  Result<std::optional<app::ContactMatch>> GetMatch(std::int64_t school_id,
                                                    std::int64_t customer_id) override {
    return store::GetMatch(c_, school_id, customer_id);
  }
  Result<std::vector<app::ContactMatch>> ListMatches(std::int64_t school_id) override {
    return store::ListMatches(c_, school_id);
  }
  Status SaveMatch(const app::ContactMatch& match) override { return store::SaveMatch(c_, match); }
  Status SavePostedContact(std::int64_t transfer_id, const std::string& contact_id) override {
    return store::SavePostedContact(c_, transfer_id, contact_id);
  }
  Result<std::optional<std::string>> GetPostedContact(std::int64_t transfer_id) override {
    return store::GetPostedContact(c_, transfer_id);
  }
  Result<std::optional<app::MatchRun>> GetMatchRun(std::int64_t school_id) override {
    return store::GetMatchRun(c_, school_id);
  }
  Status SaveMatchRun(const app::MatchRun& run) override { return store::SaveMatchRun(c_, run); }
  Status WakeAwaitingMatch(std::int64_t school_id, std::int64_t customer_id, Instant now) override {
    return store::WakeAwaitingMatch(c_, school_id, customer_id, now);
  }
  Result<bool> HasTransferInFlight(std::int64_t school_id, std::int64_t customer_id) override {
    return store::HasTransferInFlight(c_, school_id, customer_id);
  }
  Result<std::map<std::int64_t, std::int64_t>> CountAwaitingMatch(std::int64_t school_id) override {
    return store::CountAwaitingMatch(c_, school_id);
  }

  Result<std::optional<std::int64_t>> InsertTransfer(const app::Transfer& t) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO sevdesk_transfers (school_id, receipt_id, customer_id, state, phase, "
        "priority, batch_id, attempts, next_attempt_at, created_at, updated_at) VALUES "
        "($1,$2,$3,$4,'none',$5,$6,0,$7,$8,$8) ON CONFLICT (school_id, receipt_id) DO NOTHING "
        "RETURNING id",
        {t.school_id, t.receipt_id, t.customer_id, app::ToString(t.state),
         std::int64_t{static_cast<int>(t.priority)}, sql::Nullable(t.batch_id),
         Ms(t.next_attempt_at), Ms(t.created_at)});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{(*row)->Int(0)};
  }

  Result<std::optional<app::Transfer>> GetTransferByReceipt(std::int64_t school_id,
                                                            std::int64_t receipt_id) override {
    return OneTransfer("WHERE school_id = $1 AND receipt_id = $2", {school_id, receipt_id});
  }

  Result<std::optional<app::Transfer>> GetTransfer(std::int64_t id) override {
    return OneTransfer("WHERE id = $1", {id});
  }

  Status UpdateTransfer(const app::Transfer& t) override {
    auto n = WriteTransfer(t, "", {});
    if (!n) return Propagate(n);
    if (*n == 0) return NotFound("Übertragung nicht gefunden.");
    return {};
  }

  // PostgreSQL: the claim may have been committed without waiting (ADR 0008) on another
  // connection whose COMMIT the server has not processed yet. A fenced UPDATE would then see the
  // committed "queued" version, match nothing and not wait; a row lock first waits for the
  // claim's transaction, and the UPDATE after it (a new snapshot) sees the claim. Sent with the
  // UPDATE, no round trip of its own.
  Status WaitForClaim(const app::Transfer& t) {
    if (!c_.dialect().concurrent_writers) return {};
    return c_.ExecWithNext("SELECT 1 FROM sevdesk_transfers WHERE id = $1 FOR UPDATE", {t.id});
  }

  Result<bool> UpdateClaimedTransfer(const app::Transfer& t, const std::string& owner) override {
    if (auto st = WaitForClaim(t); !st) return tl::unexpected(st.error());
    // Fenced: only the claim that is still running under this owner may write; a late write of
    // a process whose lease was taken over matches no row.
    auto n = WriteTransfer(t, kUnderClaim, {owner, t.lease_claim});
    if (!n) return Propagate(n);
    return *n > 0;
  }

  Status CompleteClaimedTransfer(const app::Transfer& t, const std::string& owner,
                                 const std::vector<app::TransferEvent>& events) override {
    if (!c_.dialect().statements_are_round_trips) {
      auto applied = UpdateClaimedTransfer(t, owner);
      if (!applied) return tl::unexpected(applied.error());
      if (!*applied) return {};
      for (const auto& e : events) {
        if (auto st = AddEvent(e); !st) return st;
      }
      return {};
    }
    // PostgreSQL: one statement, sent without waiting for its answer; the events are inserted
    // only when the fenced update applied.
    if (auto st = WaitForClaim(t); !st) return st;
    std::vector<Value> params = TransferParams(t);
    params.push_back(owner);
    params.push_back(t.lease_claim);
    std::string sql =
        std::string("WITH u AS (") + kUpdateTransfer + kUnderClaim + " RETURNING id) ";
    if (events.empty()) {
      sql += "SELECT id FROM u";
    } else {
      sql +=
          "INSERT INTO sevdesk_transfer_events (transfer_id, at, kind, message) SELECT u.id, "
          "e.at, e.kind, e.message FROM u, (VALUES ";
      for (std::size_t i = 0; i < events.size(); ++i) {
        const std::size_t p = params.size() + 1;
        sql += (i ? ", ($" : "($") + std::to_string(p) + "::bigint, $" + std::to_string(p + 1) +
               "::text, $" + std::to_string(p + 2) + "::text)";
        params.push_back(Ms(events[i].at));
        params.push_back(events[i].kind);
        params.push_back(events[i].message);
      }
      sql += ") e(at, kind, message)";
    }
    return c_.ExecWithNext(sql, params);
  }

  Result<std::optional<app::Transfer>> ClaimNext(const app::ClaimOptions& o) override {
    if (c_.dialect().statements_are_round_trips) return ClaimNextInOneCall(o);
    const std::int64_t now = Ms(o.now);
    for (std::int64_t priority : {0, 1}) {
      if (priority == 1 && o.live_only) break;
      // Schools with due work at this priority, least recently served first (round-robin).
      auto schools = c_.Query(
          "SELECT c.school_id FROM sevdesk_connections c WHERE c.enabled = 1 AND c.state = 'ok' "
          "AND (c.throttled_until IS NULL OR c.throttled_until <= $1) AND (c.breaker_until IS "
          "NULL OR c.breaker_until <= $1) AND EXISTS (SELECT 1 FROM sevdesk_transfers t WHERE "
          "t.school_id = c.school_id AND t.state IN ('queued', 'retry_wait') AND t.priority = $2 "
          "AND t.next_attempt_at <= $1) ORDER BY c.last_claim_at, c.school_id",
          {now, priority});
      if (!schools) return Propagate(schools);
      for (const auto& s : *schools) {
        const std::int64_t school_id = s.Int(0);
        // The school's turn and its running transfers in one round trip. Several processes
        // (PostgreSQL): the claims of one school take turns on its connection row (SKIP LOCKED),
        // so the in-flight limits below hold across processes; a school that another claimer is
        // serving right now is skipped, not waited for.
        auto turn = sql::QueryOne(
            c_,
            "SELECT c.school_id, (SELECT COUNT(*) FROM sevdesk_transfers r WHERE r.school_id = "
            "c.school_id AND r.state = 'running') FROM sevdesk_connections c WHERE c.school_id = "
            "$1" +
                c_.dialect().skip_locked,
            {school_id});
        if (!turn) return Propagate(turn);
        if (!*turn) {
          // Another claimer serves this school right now (its turn row is locked only for the
          // length of a claim): worth another try soon.
          if (o.contended) *o.contended = true;
          continue;
        }
        if ((*turn)->Int(1) >= o.max_in_flight_per_school) continue;
        // Pick and claim in one statement: the oldest due transfer of a customer without a
        // running one (skipping rows another claimer has locked).
        auto claimed = sql::QueryOne(
            c_,
            std::string(
                "UPDATE sevdesk_transfers SET state = 'running', lease_owner = $4, lease_until = "
                "$5, attempts = attempts + 1, lease_claim = lease_claim + 1, updated_at = $3 "
                "WHERE id = (SELECT t.id FROM sevdesk_transfers t WHERE t.school_id = $1 AND "
                "t.state IN ('queued', 'retry_wait') AND t.priority = $2 AND t.next_attempt_at <= "
                "$3 AND NOT EXISTS (SELECT 1 FROM sevdesk_transfers r WHERE r.school_id = "
                "t.school_id AND r.customer_id = t.customer_id AND r.state = 'running') ORDER BY "
                "t.next_attempt_at, t.id LIMIT 1") +
                c_.dialect().skip_locked + ") AND state IN ('queued', 'retry_wait') RETURNING " +
                kTransferColumns + ", lease_claim",
            {school_id, priority, now, o.owner, Ms(o.lease_until)});
        if (!claimed) return Propagate(claimed);
        if (!*claimed) continue;
        auto touch =
            c_.Exec("UPDATE sevdesk_connections SET last_claim_at = $2 WHERE school_id = $1",
                    {school_id, now});
        if (!touch) return Propagate(touch);
        app::Transfer t = TransferFromRow(**claimed);
        t.lease_claim = (*claimed)->Int(kLeaseClaimColumn);
        if (!o.started_message.empty()) {
          if (auto st = AddEvent({0, t.id, o.now, "started", StartedMessage(o, t)}); !st) {
            return tl::unexpected(st.error());
          }
        }
        return std::optional<app::Transfer>{std::move(t)};
      }
    }
    return std::optional<app::Transfer>{};
  }

  Result<std::int64_t> CountSumMismatches() override {
    // Served by the partial index sevdesk_transfers_sum_mismatch (migration 0005/0007).
    auto row = sql::QueryOne(
        c_, "SELECT COUNT(*) FROM sevdesk_transfers WHERE last_error_code = 'sum_mismatch'", {});
    if (!row) return Propagate(row);
    return *row ? (*row)->Int(0) : 0;
  }

  Result<app::TransferGauges> ReadTransferGauges(Instant now) override {
    app::TransferGauges g;
    // The unfinished rows only: the queue's partial index and the running index serve them;
    // transferred rows (most of the table) are never read.
    auto counts = c_.Query(
        "SELECT t.state, s.tax_mode, COUNT(*) FROM sevdesk_transfers t JOIN schools s ON s.id = "
        "t.school_id WHERE t.state IN ('queued', 'running', 'retry_wait', 'failed') GROUP BY "
        "t.state, s.tax_mode",
        {});
    if (!counts) return Propagate(counts);
    for (const auto& r : *counts) g.unfinished.push_back({r.Text(0), r.Text(1), r.Int(2)});
    auto oldest = sql::QueryOne(c_,
                                // A transfer that waits for the school's decision in the
                                // Kundenabgleich is not the operators' to worry about.
                                "SELECT MIN(created_at) FROM sevdesk_transfers WHERE state IN "
                                "('queued', 'retry_wait', 'running') AND last_error_code <> "
                                "'awaiting_match'",
                                {});
    if (!oldest) return Propagate(oldest);
    if (*oldest && !(*oldest)->IsNull(0)) g.oldest_unfinished = FromUnixMillis((*oldest)->Int(0));
    auto paused = sql::QueryOne(
        c_,
        "SELECT COALESCE(SUM(CASE WHEN state = 'paused_auth' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN state = 'ok' AND breaker_until > $1 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN state = 'ok' AND throttled_until > $1 THEN 1 ELSE 0 END), 0) "
        "FROM sevdesk_connections WHERE enabled = 1",
        {Ms(now)});
    if (!paused) return Propagate(paused);
    if (*paused) {
      g.paused_auth = (*paused)->Int(0);
      g.breaker_open = (*paused)->Int(1);
      g.throttled = (*paused)->Int(2);
    }
    auto mismatches = CountSumMismatches();
    if (!mismatches) return tl::unexpected(mismatches.error());
    g.sum_mismatches = *mismatches;
    return g;
  }

  Result<std::vector<app::Transfer>> ClaimSeveral(const app::ClaimOptions& options, int limit,
                                                  int backfill_limit) override {
    std::vector<app::Transfer> claimed;
    if (limit <= 0) return claimed;
    if (c_.dialect().statements_are_round_trips)
      return ClaimSeveralInOneCall(options, limit, backfill_limit);
    // SQLite: in-process statements under the write lock; the same claims one after another.
    app::ClaimOptions o = options;
    int backfill = 0;
    while (static_cast<int>(claimed.size()) < limit) {
      o.live_only = backfill >= backfill_limit;
      auto t = ClaimNext(o);
      if (!t) return Propagate(t);
      if (!*t) break;
      if ((*t)->priority == app::TransferPriority::kBackfill) ++backfill;
      claimed.push_back(std::move(**t));
    }
    return claimed;
  }

  // PostgreSQL: ClaimSeveral in one round trip (migration 0006, hs_claim_transfers).
  Result<std::vector<app::Transfer>> ClaimSeveralInOneCall(const app::ClaimOptions& o, int limit,
                                                           int backfill_limit) {
    static const std::string sql = [] {
      // "(r.claimed).id, (r.claimed).school_id, ...": the transfer columns of the answer.
      std::string columns;
      std::string all = std::string(kTransferColumns) + ", lease_claim";
      for (std::size_t at = 0; at < all.size();) {
        const std::size_t comma = all.find(", ", at);
        const std::string name = all.substr(at, comma == std::string::npos ? comma : comma - at);
        columns += (columns.empty() ? "" : ", ") + std::string("(r.claimed).") + name;
        at = comma == std::string::npos ? all.size() : comma + 2;
      }
      return "SELECT " + columns +
             ", r.contended FROM hs_claim_transfers($1::text, $2, $3, $4, $5, $6, $7::text) r";
    }();
    sql::Value message = o.started_message.empty() ? sql::Value{} : sql::Value{o.started_message};
    auto rows = c_.Query(
        sql, {o.owner, Ms(o.now), Ms(o.lease_until), std::int64_t{o.max_in_flight_per_school},
              std::int64_t{limit}, std::int64_t{std::max(0, backfill_limit)}, message});
    if (!rows) return Propagate(rows);
    std::vector<app::Transfer> claimed;
    for (const auto& row : *rows) {
      if (row.IsNull(0)) {
        if (o.contended && row.Int(kLeaseClaimColumn + 1) != 0) {
          *o.contended = true;  // boolean, decoded 0/1
        }
        continue;
      }
      app::Transfer t = TransferFromRow(row);
      t.lease_claim = row.Int(kLeaseClaimColumn);
      claimed.push_back(std::move(t));
    }
    return claimed;
  }

  // PostgreSQL: a claim of one of hs_claim_transfers (the same rules in one round trip).
  Result<std::optional<app::Transfer>> ClaimNextInOneCall(const app::ClaimOptions& o) {
    auto claimed = ClaimSeveralInOneCall(o, 1, o.live_only ? 0 : 1);
    if (!claimed) return Propagate(claimed);
    if (claimed->empty()) return std::optional<app::Transfer>{};
    return std::optional<app::Transfer>{std::move(claimed->front())};
  }

  static std::string StartedMessage(const app::ClaimOptions& o, const app::Transfer& t) {
    std::string m = o.started_message;
    if (auto at = m.find("{attempt}"); at != std::string::npos) {
      m.replace(at, 9, std::to_string(t.attempts));
    }
    return m;
  }

  Result<std::int64_t> RecoverRunning(const std::string& except_owner, Instant now,
                                      bool all_other_owners) override {
    // The attempt that was interrupted is given back: a crash is not the transfer's fault.
    auto n = c_.Exec(
        "UPDATE sevdesk_transfers SET state = 'queued', lease_owner = '', lease_until = NULL, "
        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, next_attempt_at = $2, "
        "updated_at = $2 WHERE state = 'running' AND lease_owner <> $1 AND ($3 = 1 OR "
        "lease_until < $2)",
        {except_owner, Ms(now), std::int64_t{all_other_owners ? 1 : 0}});
    if (!n) return Propagate(n);
    return *n;
  }

  Result<std::int64_t> RenewLeases(const std::string& owner, Instant until,
                                   const std::vector<std::int64_t>& ids) override {
    std::int64_t renewed = 0;
    for (const std::int64_t id : ids) {
      auto n = c_.Exec(
          "UPDATE sevdesk_transfers SET lease_until = $2 WHERE id = $3 AND state = 'running' AND "
          "lease_owner = $1 AND lease_until < $2",
          {owner, Ms(until), id});
      if (!n) return Propagate(n);
      renewed += *n;
    }
    return renewed;
  }

  Result<std::optional<Instant>> NextDueAt() override {
    auto row = sql::QueryOne(
        c_,
        "SELECT MIN(t.next_attempt_at) FROM sevdesk_transfers t JOIN sevdesk_connections c ON "
        "c.school_id = t.school_id WHERE t.state IN ('queued', 'retry_wait') AND c.enabled = 1 "
        "AND c.state = 'ok'");
    if (!row) return Propagate(row);
    if (!*row || (*row)->IsNull(0)) return std::optional<Instant>{};
    return std::optional<Instant>{FromUnixMillis((*row)->Int(0))};
  }

  Status AddEvent(const app::TransferEvent& e) override {
    // Nothing reads the insert's outcome but the transaction: sent with the next statement or
    // the commit (PostgreSQL), one round trip less per event.
    return c_.ExecWithNext(
        "INSERT INTO sevdesk_transfer_events (transfer_id, at, kind, message) VALUES "
        "($1,$2,$3,$4)",
        {e.transfer_id, Ms(e.at), e.kind, e.message});
  }

  Result<std::vector<app::TransferEvent>> Events(std::int64_t transfer_id) override {
    auto rows = c_.Query(
        "SELECT id, transfer_id, at, kind, message FROM sevdesk_transfer_events WHERE "
        "transfer_id = $1 ORDER BY id",
        {transfer_id});
    if (!rows) return Propagate(rows);
    std::vector<app::TransferEvent> out;
    for (const auto& r : *rows) {
      out.push_back({r.Int(0), r.Int(1), FromUnixMillis(r.Int(2)), r.Text(3), r.Text(4)});
    }
    return out;
  }

  Result<std::int64_t> CreateBatch(const app::Batch& b) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO sevdesk_batches (school_id, created_at, requested, skipped_already, "
        "skipped_expense, skipped_other) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        {b.school_id, Ms(b.created_at), b.requested, b.skipped_already, b.skipped_expense,
         b.skipped_other});
    if (!row) return Propagate(row);
    return (*row)->Int(0);
  }

  Result<std::optional<app::BatchProgress>> GetBatch(std::int64_t school_id,
                                                     std::int64_t batch_id) override {
    auto row = sql::QueryOne(
        c_,
        "SELECT id, school_id, created_at, requested, skipped_already, skipped_expense, "
        "skipped_other FROM sevdesk_batches WHERE school_id = $1 AND id = $2",
        {school_id, batch_id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::BatchProgress>{};
    const Row& r = **row;
    app::BatchProgress p;
    p.batch = {r.Int(0), r.Int(1), FromUnixMillis(r.Int(2)), r.Int(3), r.Int(4),
               r.Int(5), r.Int(6)};
    auto counts =
        c_.Query("SELECT state, COUNT(*) FROM sevdesk_transfers WHERE batch_id = $1 GROUP BY state",
                 {batch_id});
    if (!counts) return Propagate(counts);
    for (const auto& c : *counts) {
      const std::string state = c.Text(0);
      const std::int64_t n = c.Int(1);
      if (state == "queued") p.queued = n;
      if (state == "running") p.running = n;
      if (state == "retry_wait") p.retry_wait = n;
      if (state == "failed") p.failed = n;
      if (state == "transferred") p.transferred = n;
    }
    return std::optional<app::BatchProgress>{p};
  }

  Result<std::vector<std::int64_t>> IncomeReceiptIds(std::int64_t school_id,
                                                     std::optional<Date> from,
                                                     std::optional<Date> to,
                                                     bool only_not_transferred) override {
    std::string q =
        "SELECT r.id FROM receipts r WHERE r.school_id = $1 AND r.type = 'income' AND r.date >= "
        "$2 AND r.date <= $3";
    if (only_not_transferred) {
      q += " AND NOT EXISTS (SELECT 1 FROM sevdesk_transfers t WHERE t.school_id = r.school_id "
           "AND t.receipt_id = r.id)";
    }
    q += " ORDER BY r.date, r.id";
    auto rows = c_.Query(q, {school_id, from ? FormatIsoDate(*from) : std::string("0000-00-00"),
                             to ? FormatIsoDate(*to) : std::string("9999-99-99")});
    if (!rows) return Propagate(rows);
    std::vector<std::int64_t> out;
    out.reserve(rows->size());
    for (const auto& r : *rows) out.push_back(r.Int(0));
    return out;
  }

  Status ResumeSchool(std::int64_t school_id, Instant now) override {
    auto n = c_.Exec(
        "UPDATE sevdesk_transfers SET next_attempt_at = $2 WHERE school_id = $1 AND state IN "
        "('queued', 'retry_wait') AND next_attempt_at > $2 AND last_error_code = 'auth'",
        {school_id, Ms(now)});
    if (!n) return Propagate(n);
    return {};
  }

  Result<std::vector<app::SevdeskConnection>> EnabledConnections() override {
    auto rows = c_.Query(std::string("SELECT ") + kConnectionColumns +
                         " FROM sevdesk_connections WHERE enabled = 1");
    if (!rows) return Propagate(rows);
    std::vector<app::SevdeskConnection> out;
    for (const auto& r : *rows) out.push_back(ConnectionFromRow(r));
    return out;
  }

  Result<std::optional<std::string>> GetKeyCheck() override {
    auto row = sql::QueryOne(c_, "SELECT check_value FROM secret_key_check WHERE id = 1");
    if (!row) return Propagate(row);
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{(*row)->Text(0)};
  }

  Result<std::string> EnsureKeyCheck(const std::string& check_value, Instant now) override {
    auto n = c_.Exec(
        "INSERT INTO secret_key_check (id, check_value, created_at) VALUES (1, $1, $2) ON "
        "CONFLICT (id) DO NOTHING",
        {check_value, Ms(now)});
    if (!n) return Propagate(n);
    auto stored = GetKeyCheck();
    if (!stored) return Propagate(stored);
    if (!*stored) return Internal("secret_key_check row missing after insert");
    return **stored;
  }

  // ---- Payment sync (issue 16, ADR 0018): store/sql_payment_sync.cpp
  Result<app::PaymentSyncState> GetPaymentSync(std::int64_t school_id) override {
    return store::GetPaymentSync(c_, school_id);
  }
  Status SetPaymentSyncInterval(std::int64_t school_id, int minutes) override {
    return store::SetPaymentSyncInterval(c_, school_id, minutes);
  }
  Status RequestPaymentSync(std::int64_t school_id, Instant at) override {
    return store::RequestPaymentSync(c_, school_id, at);
  }
  Result<bool> TakePaymentSyncLease(std::int64_t school_id, const std::string& owner, Instant now,
                                    Instant until) override {
    return store::TakePaymentSyncLease(c_, school_id, owner, now, until);
  }
  Result<bool> FinishPaymentSync(const app::PaymentSyncState& outcome, const std::string& owner,
                                 Instant started) override {
    return store::FinishPaymentSync(c_, outcome, owner, started);
  }
  Result<std::vector<app::PaymentSyncState>> PaymentSyncCandidates() override {
    return store::PaymentSyncCandidates(c_);
  }
  Result<std::vector<app::TransferredVoucher>> TransferredVouchers(
      std::int64_t school_id) override {
    return store::TransferredVouchers(c_, school_id);
  }
  Result<std::optional<app::VoucherState>> GetVoucherState(std::int64_t school_id,
                                                           std::int64_t receipt_id) override {
    return store::GetVoucherState(c_, school_id, receipt_id);
  }
  Result<std::vector<app::VoucherState>> GetVoucherStates(
      std::int64_t school_id, const std::vector<std::int64_t>& receipt_ids) override {
    return store::GetVoucherStates(c_, school_id, receipt_ids);
  }
  Status SaveVoucherState(const app::VoucherState& state) override {
    return store::SaveVoucherState(c_, state);
  }
  Status DeleteVoucherState(std::int64_t school_id, std::int64_t receipt_id) override {
    return store::DeleteVoucherState(c_, school_id, receipt_id);
  }
  // ---- end payment sync

 private:
  // UPDATE of every mutable column of `t` by id, plus `condition` on parameters $18 onwards.
  static std::vector<Value> TransferParams(const app::Transfer& t) {
    return {t.id,
            app::ToString(t.state),
            std::string(t.phase == app::TransferPhase::kPosting ? "posting" : "none"),
            std::int64_t{static_cast<int>(t.priority)},
            sql::Nullable(t.batch_id),
            std::int64_t{t.attempts},
            Ms(t.next_attempt_at),
            t.lease_owner,
            OptMs(t.lease_until),
            t.uploaded_filename,
            t.voucher_id,
            t.last_error_code,
            t.last_error_message,
            t.last_error_hint,
            Ms(t.updated_at),
            OptMs(t.transferred_at),
            OptMs(t.create_sent_at)};
  }

  static constexpr const char* kUpdateTransfer =
      "UPDATE sevdesk_transfers SET state=$2, phase=$3, priority=$4, batch_id=$5, attempts=$6, "
      "next_attempt_at=$7, lease_owner=$8, lease_until=$9, uploaded_filename=$10, "
      "voucher_id=$11, last_error_code=$12, last_error_message=$13, last_error_hint=$14, "
      "updated_at=$15, transferred_at=$16, create_sent_at=$17 WHERE id=$1";
  // The fence of a claimed transfer's writes ($18, $19 after TransferParams).
  static constexpr const char* kUnderClaim =
      " AND state='running' AND lease_owner=$18 AND lease_claim=$19";

  Result<std::int64_t> WriteTransfer(const app::Transfer& t, const std::string& condition,
                                     std::vector<Value> more) {
    std::vector<Value> params = TransferParams(t);
    for (auto& v : more) params.push_back(std::move(v));
    return c_.Exec(kUpdateTransfer + condition, params);
  }

  Result<std::optional<app::Transfer>> OneTransfer(const std::string& where,
                                                   const std::vector<Value>& params) {
    auto row = sql::QueryOne(
        c_,
        std::string("SELECT ") + kTransferColumns + ", lease_claim FROM sevdesk_transfers " + where,
        params);
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::Transfer>{};
    app::Transfer t = TransferFromRow(**row);
    t.lease_claim = (*row)->Int(kLeaseClaimColumn);
    return std::optional<app::Transfer>{std::move(t)};
  }

  sql::Connection& c_;
};

}  // namespace

std::unique_ptr<app::SevdeskRepository> MakeSqlSevdeskRepository(sql::Connection& connection) {
  return std::make_unique<SqlSevdeskRepository>(connection);
}

}  // namespace hs::store
