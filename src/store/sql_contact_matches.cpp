#include "store/sql_contact_matches.hpp"

#include "core/text.hpp"
#include "store/sql/values.hpp"

namespace hs::store {

using sql::OptMs;
using sql::Propagate;
using sql::Row;
using sql::Value;

namespace {

std::int64_t Flag(bool b) {
  return b ? 1 : 0;
}

constexpr const char* kLinkColumns =
    "school_id, customer_id, customer_number, contact_id, address_id, email_id, synced_email, "
    "synced_address, synced_version, creating, create_sent_at, origin, revision";

app::ContactLink LinkFromRow(const Row& r) {
  app::ContactLink l;
  l.school_id = r.Int(0);
  l.customer_id = r.Int(1);
  l.customer_number = r.Text(2);
  l.contact_id = r.Text(3);
  l.address_id = r.Text(4);
  l.email_id = r.Text(5);
  l.synced_email = r.Text(6);
  l.synced_address = r.Text(7);
  l.synced_version = r.Int(8);
  l.creating = r.Int(9) != 0;
  if (auto at = r.OptInt(10)) l.create_sent_at = FromUnixMillis(*at);
  l.origin = r.Text(11) == "matched" ? app::LinkOrigin::kMatched : app::LinkOrigin::kCreated;
  l.revision = r.Int(12);
  return l;
}

std::vector<Value> LinkValues(const app::ContactLink& l) {
  return {l.school_id,
          l.customer_id,
          l.customer_number,
          l.contact_id,
          l.address_id,
          l.email_id,
          l.synced_email,
          l.synced_address,
          l.synced_version,
          Flag(l.creating),
          OptMs(l.create_sent_at),
          std::string(l.origin == app::LinkOrigin::kMatched ? "matched" : "created"),
          l.revision};
}

tl::unexpected<Error> LinkChanged() {
  return Fail(ErrorCode::kConflict, std::string(app::kLinkChangedReason),
              "Die Verknüpfung mit sevdesk wurde gerade geändert.");
}

// A new link: only when the customer has none (a concurrent insert wins, this one conflicts).
Status InsertLink(sql::Connection& c, app::ContactLink& l) {
  auto row = sql::QueryOne(
      c,
      std::string("INSERT INTO sevdesk_contact_links (") + kLinkColumns +
          ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,1) ON CONFLICT (school_id, "
          "customer_id) DO NOTHING RETURNING revision",
      [&] {
        auto v = LinkValues(l);
        v.pop_back();
        return v;
      }());
  if (!row) return Propagate(row);
  if (!*row) return LinkChanged();
  l.revision = 1;
  return {};
}

Status UpdateLink(sql::Connection& c, app::ContactLink& l) {
  auto n = c.Exec(
      "UPDATE sevdesk_contact_links SET customer_number=$3, contact_id=$4, address_id=$5, "
      "email_id=$6, synced_email=$7, synced_address=$8, synced_version=$9, creating=$10, "
      "create_sent_at=$11, origin=$12, revision = revision + 1 WHERE school_id = $1 AND "
      "customer_id = $2 AND revision = $13",
      LinkValues(l));
  if (!n) return Propagate(n);
  if (*n == 0) return LinkChanged();
  ++l.revision;
  return {};
}

// Candidates keep lists in one column each: evidence codes (no commas in them) and e-mail
// addresses (no line breaks in them).
std::string JoinWith(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}
std::vector<std::string> SplitBy(const std::string& text, char separator) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

constexpr const char* kMatchColumns =
    "school_id, customer_id, state, by_user, contact_id, unambiguous, updated_at";

app::ContactMatch MatchFromRow(const Row& r) {
  app::ContactMatch m;
  m.school_id = r.Int(0);
  m.customer_id = r.Int(1);
  m.state = app::ParseMatchState(r.Text(2)).value_or(app::MatchState::kReview);
  m.by_user = r.Int(3) != 0;
  m.contact_id = r.Text(4);
  m.unambiguous = r.Int(5) != 0;
  m.updated_at = FromUnixMillis(r.Int(6));
  return m;
}

constexpr const char* kCandidateColumns =
    "customer_id, contact_id, score, strong, evidence, name, customer_number, address, emails";

app::MatchCandidate CandidateFromRow(const Row& r) {
  app::MatchCandidate c;
  c.contact_id = r.Text(1);
  c.score = static_cast<int>(r.Int(2));
  c.strong = r.Int(3) != 0;
  c.evidence = SplitBy(r.Text(4), ',');
  c.name = r.Text(5);
  c.customer_number = r.Text(6);
  c.address = r.Text(7);
  c.emails = SplitBy(r.Text(8), '\n');
  return c;
}

Status InsertCandidates(sql::Connection& c, const app::ContactMatch& m) {
  for (std::size_t rank = 0; rank < m.candidates.size(); ++rank) {
    const app::MatchCandidate& k = m.candidates[rank];
    auto n = c.Exec(std::string("INSERT INTO sevdesk_match_candidates (school_id, rank, ") +
                        kCandidateColumns + ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                    {m.school_id, static_cast<std::int64_t>(rank), m.customer_id, k.contact_id,
                     std::int64_t{k.score}, Flag(k.strong), JoinWith(k.evidence, ','), k.name,
                     k.customer_number, k.address, JoinWith(k.emails, '\n')});
    if (!n) return Propagate(n);
  }
  return {};
}

}  // namespace

Result<std::optional<app::ContactLink>> GetContactLink(sql::Connection& c, std::int64_t school_id,
                                                       std::int64_t customer_id) {
  auto row = sql::QueryOne(c,
                           std::string("SELECT ") + kLinkColumns +
                               " FROM sevdesk_contact_links WHERE school_id = $1 AND "
                               "customer_id = $2",
                           {school_id, customer_id});
  if (!row) return Propagate(row);
  if (!*row) return std::optional<app::ContactLink>{};
  return std::optional<app::ContactLink>{LinkFromRow(**row)};
}

Status SaveContactLink(sql::Connection& c, app::ContactLink& link) {
  return link.revision == 0 ? InsertLink(c, link) : UpdateLink(c, link);
}

Result<bool> DeleteContactLink(sql::Connection& c, std::int64_t school_id, std::int64_t customer_id,
                               std::int64_t revision) {
  auto n = c.Exec(
      "DELETE FROM sevdesk_contact_links WHERE school_id = $1 AND customer_id = $2 AND "
      "revision = $3",
      {school_id, customer_id, revision});
  if (!n) return Propagate(n);
  return *n > 0;
}

Result<std::vector<std::int64_t>> CustomersWithoutLink(sql::Connection& c, std::int64_t school_id) {
  auto rows = c.Query(
      "SELECT id FROM customers cu WHERE school_id = $1 AND NOT EXISTS (SELECT 1 FROM "
      "sevdesk_contact_links l WHERE l.school_id = cu.school_id AND l.customer_id = cu.id) "
      "ORDER BY id",
      {school_id});
  if (!rows) return Propagate(rows);
  std::vector<std::int64_t> out;
  for (const auto& r : *rows) out.push_back(r.Int(0));
  return out;
}

Result<std::vector<std::string>> LinkedContactIds(sql::Connection& c, std::int64_t school_id) {
  auto rows = c.Query(
      "SELECT contact_id FROM sevdesk_contact_links WHERE school_id = $1 AND contact_id <> ''",
      {school_id});
  if (!rows) return Propagate(rows);
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<std::vector<app::ContactLink>> MatchedLinks(sql::Connection& c, std::int64_t school_id) {
  auto rows = c.Query(std::string("SELECT ") + kLinkColumns +
                          " FROM sevdesk_contact_links WHERE school_id = $1 AND origin = "
                          "'matched' ORDER BY customer_id",
                      {school_id});
  if (!rows) return Propagate(rows);
  std::vector<app::ContactLink> out;
  for (const auto& r : *rows) out.push_back(LinkFromRow(r));
  return out;
}

Result<std::optional<app::ContactMatch>> GetMatch(sql::Connection& c, std::int64_t school_id,
                                                  std::int64_t customer_id) {
  auto row = sql::QueryOne(c,
                           std::string("SELECT ") + kMatchColumns +
                               " FROM sevdesk_contact_matches WHERE school_id = $1 AND "
                               "customer_id = $2",
                           {school_id, customer_id});
  if (!row) return Propagate(row);
  if (!*row) return std::optional<app::ContactMatch>{};
  app::ContactMatch m = MatchFromRow(**row);
  auto rows = c.Query(std::string("SELECT ") + kCandidateColumns +
                          " FROM sevdesk_match_candidates WHERE school_id = $1 AND "
                          "customer_id = $2 ORDER BY rank",
                      {school_id, customer_id});
  if (!rows) return Propagate(rows);
  for (const auto& r : *rows) m.candidates.push_back(CandidateFromRow(r));
  return std::optional<app::ContactMatch>{std::move(m)};
}

Result<std::vector<app::ContactMatch>> ListMatches(sql::Connection& c, std::int64_t school_id) {
  auto rows = c.Query(std::string("SELECT ") + kMatchColumns +
                          " FROM sevdesk_contact_matches WHERE school_id = $1 ORDER BY "
                          "customer_id",
                      {school_id});
  if (!rows) return Propagate(rows);
  std::vector<app::ContactMatch> out;
  std::map<std::int64_t, std::size_t> index;
  for (const auto& r : *rows) {
    index[r.Int(1)] = out.size();
    out.push_back(MatchFromRow(r));
  }
  auto candidates = c.Query(std::string("SELECT ") + kCandidateColumns +
                                " FROM sevdesk_match_candidates WHERE school_id = $1 ORDER BY "
                                "customer_id, rank",
                            {school_id});
  if (!candidates) return Propagate(candidates);
  for (const auto& r : *candidates) {
    if (auto it = index.find(r.Int(0)); it != index.end()) {
      out[it->second].candidates.push_back(CandidateFromRow(r));
    }
  }
  return out;
}

Status SaveMatch(sql::Connection& c, const app::ContactMatch& m) {
  auto n = c.Exec(std::string("INSERT INTO sevdesk_contact_matches (") + kMatchColumns +
                      ") VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (school_id, customer_id) DO "
                      "UPDATE SET state=$3, by_user=$4, contact_id=$5, unambiguous=$6, "
                      "updated_at=$7",
                  {m.school_id, m.customer_id, std::string(app::ToString(m.state)), Flag(m.by_user),
                   m.contact_id, Flag(m.unambiguous), ToUnixMillis(m.updated_at)});
  if (!n) return Propagate(n);
  auto cleared =
      c.Exec("DELETE FROM sevdesk_match_candidates WHERE school_id = $1 AND customer_id = $2",
             {m.school_id, m.customer_id});
  if (!cleared) return Propagate(cleared);
  return InsertCandidates(c, m);
}

Status SavePostedContact(sql::Connection& c, std::int64_t transfer_id,
                         const std::string& contact_id) {
  auto n = c.Exec(
      "INSERT INTO sevdesk_posted_contacts (transfer_id, contact_id) VALUES ($1, $2) ON CONFLICT "
      "(transfer_id) DO UPDATE SET contact_id = $2",
      {transfer_id, contact_id});
  if (!n) return Propagate(n);
  return {};
}

Result<std::optional<std::string>> GetPostedContact(sql::Connection& c, std::int64_t transfer_id) {
  auto row = sql::QueryOne(
      c, "SELECT contact_id FROM sevdesk_posted_contacts WHERE transfer_id = $1", {transfer_id});
  if (!row) return Propagate(row);
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{(*row)->Text(0)};
}

Result<std::optional<app::MatchRun>> GetMatchRun(sql::Connection& c, std::int64_t school_id) {
  auto row = sql::QueryOne(c,
                           "SELECT school_id, at, contacts, requests, customers, auto_linked, "
                           "review, create_new FROM sevdesk_match_runs WHERE school_id = $1",
                           {school_id});
  if (!row) return Propagate(row);
  if (!*row) return std::optional<app::MatchRun>{};
  const Row& r = **row;
  return std::optional<app::MatchRun>{app::MatchRun{r.Int(0), FromUnixMillis(r.Int(1)), r.Int(2),
                                                    r.Int(3), r.Int(4), r.Int(5), r.Int(6),
                                                    r.Int(7)}};
}

Status SaveMatchRun(sql::Connection& c, const app::MatchRun& run) {
  auto n = c.Exec(
      "INSERT INTO sevdesk_match_runs (school_id, at, contacts, requests, customers, "
      "auto_linked, review, create_new) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT "
      "(school_id) DO UPDATE SET at=$2, contacts=$3, requests=$4, customers=$5, "
      "auto_linked=$6, review=$7, create_new=$8",
      {run.school_id, ToUnixMillis(run.at), run.contacts, run.requests, run.customers,
       run.auto_linked, run.review, run.create_new});
  if (!n) return Propagate(n);
  return {};
}

Status WakeAwaitingMatch(sql::Connection& c, std::int64_t school_id, std::int64_t customer_id,
                         Instant now) {
  auto n = c.Exec(
      "UPDATE sevdesk_transfers SET next_attempt_at = $3 WHERE school_id = $1 AND customer_id = "
      "$2 AND state = 'queued' AND last_error_code = 'awaiting_match' AND next_attempt_at > $3",
      {school_id, customer_id, ToUnixMillis(now)});
  if (!n) return Propagate(n);
  return {};
}

Result<bool> HasTransferInFlight(sql::Connection& c, std::int64_t school_id,
                                 std::int64_t customer_id) {
  auto row =
      sql::QueryOne(c,
                    "SELECT id FROM sevdesk_transfers WHERE school_id = $1 AND customer_id = "
                    "$2 AND (state = 'running' OR (state IN ('queued', 'retry_wait') AND "
                    "phase = 'posting')) LIMIT 1",
                    {school_id, customer_id});
  if (!row) return Propagate(row);
  return row->has_value();
}

Result<std::map<std::int64_t, std::int64_t>> CountAwaitingMatch(sql::Connection& c,
                                                                std::int64_t school_id) {
  auto rows = c.Query(
      "SELECT customer_id, COUNT(*) FROM sevdesk_transfers WHERE school_id = $1 AND state = "
      "'queued' AND last_error_code = 'awaiting_match' GROUP BY customer_id",
      {school_id});
  if (!rows) return Propagate(rows);
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& r : *rows) out[r.Int(0)] = r.Int(1);
  return out;
}

}  // namespace hs::store
