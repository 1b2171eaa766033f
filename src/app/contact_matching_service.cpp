#include "app/contact_matching_service.hpp"

#include <algorithm>
#include <set>

#include "app/match_plan.hpp"
#include "app/transaction.hpp"

namespace hs::app {

namespace {

tl::unexpected<Error> OwnerOnly() {
  return Fail(ErrorCode::kForbidden, "owner_only",
              "Nur die Inhaberin oder der Inhaber darf den Kundenabgleich ändern.");
}

tl::unexpected<Error> AlreadyLinked() {
  return Fail(ErrorCode::kConflict, "already_linked",
              "Der Kunde ist inzwischen mit einem sevdesk-Kontakt verknüpft (zum Beispiel durch "
              "eine Übertragung). Bitte die Seite neu laden.");
}

bool IsLinkConflict(const Error& e) {
  return e.code == ErrorCode::kConflict && e.reason == kLinkChangedReason;
}

// The school's words for a failed directory read.
tl::unexpected<Error> ReadFailed(const Error& e) {
  if (e.code == ErrorCode::kUnauthenticated || e.code == ErrorCode::kForbidden) {
    return Fail(ErrorCode::kConflict, "sevdesk_token_refused",
                "sevdesk lehnt den API-Token ab. Bitte unter Einstellungen › Erweiterungen › "
                "Sevdesk den Token prüfen und „Verbindung testen“.");
  }
  if (e.code == ErrorCode::kRateLimited) {
    return Fail(ErrorCode::kUnavailable, "sevdesk_rate_limited",
                "sevdesk bremst gerade zu viele Anfragen. Bitte in einer Minute erneut "
                "„Kundenabgleich starten“.");
  }
  return Fail(ErrorCode::kUnavailable, "sevdesk_unavailable",
              "sevdesk ist gerade nicht erreichbar. Bitte später erneut „Kundenabgleich "
              "starten“.");
}

int Rank(MatchState s) {
  switch (s) {
    case MatchState::kReview:
      return 0;
    case MatchState::kLater:
      return 1;
    default:
      return 2;
  }
}

void SortItems(std::vector<MatchItem>& items) {
  std::stable_sort(items.begin(), items.end(), [](const MatchItem& a, const MatchItem& b) {
    if (Rank(a.match.state) != Rank(b.match.state)) {
      return Rank(a.match.state) < Rank(b.match.state);
    }
    return a.customer.customer_number < b.customer.customer_number;
  });
}

const MatchCandidate* CandidateNamed(const ContactMatch& m, const std::string& contact_id) {
  for (const auto& c : m.candidates) {
    if (c.contact_id == contact_id) return &c;
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- reading

Result<MatchOverview> ContactMatchingService::Overview(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  SevdeskRepository& repo = (*uow)->Sevdesk();
  MatchOverview o;
  HS_TRY(conn, repo.GetConnection(school_id));
  if (*conn) {
    o.auto_link = (*conn)->match_auto_link;
    o.create_without_asking = (*conn)->create_without_asking;
    o.update_contacts = (*conn)->update_linked_contacts;
  }
  HS_TRY(run, repo.GetMatchRun(school_id));
  o.last_run = *run;
  HS_TRY(unlinked_ids, repo.CustomersWithoutLink(school_id));
  const std::set<std::int64_t> unlinked(unlinked_ids->begin(), unlinked_ids->end());
  HS_TRY(matched, repo.MatchedLinks(school_id));
  std::set<std::int64_t> linked;
  for (const auto& l : *matched) linked.insert(l.customer_id);
  HS_TRY(waiting, repo.CountAwaitingMatch(school_id));
  HS_TRY(matches, repo.ListMatches(school_id));
  for (auto& m : *matches) {
    const bool open = (m.state == MatchState::kReview || m.state == MatchState::kLater) &&
                      unlinked.contains(m.customer_id);
    const bool shown_linked = m.state == MatchState::kLinked && linked.contains(m.customer_id);
    if (!open && !shown_linked) continue;
    HS_TRY(customer, (*uow)->Customers().Get(school_id, m.customer_id));
    const auto w = waiting->find(m.customer_id);
    o.review += m.state == MatchState::kReview ? 1 : 0;
    o.later += m.state == MatchState::kLater ? 1 : 0;
    o.linked += shown_linked ? 1 : 0;
    o.unambiguous += m.state == MatchState::kReview && m.unambiguous ? 1 : 0;
    o.items.push_back({*customer, std::move(m), w == waiting->end() ? 0 : w->second});
  }
  SortItems(o.items);
  return o;
}

Result<bool> ContactMatchingService::HasMatch(std::int64_t school_id, std::int64_t customer_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(match, (*uow)->Sevdesk().GetMatch(school_id, customer_id));
  return match->has_value();
}

// ---------------------------------------------------------------- settings

Result<MatchOverview> ContactMatchingService::UpdateSettings(const Principal& who,
                                                             const MatchSettingsUpdate& u) {
  if (who.role != Role::kOwner) return OwnerOnly();
  auto saved = RunTransaction(db_, TxKind::kWrite, [&](UnitOfWork& uow) -> Status {
    HS_TRY(conn, uow.Sevdesk().GetConnection(who.school_id));
    SevdeskConnection c = conn->value_or(SevdeskConnection{});
    c.school_id = who.school_id;
    if (u.auto_link) c.match_auto_link = *u.auto_link;
    if (u.create_without_asking) c.create_without_asking = *u.create_without_asking;
    if (u.update_contacts) c.update_linked_contacts = *u.update_contacts;
    c.updated_at = clock_.Now();
    HS_CHECK(uow.Sevdesk().SaveConnection(c));
    // Without asking, nothing waits any more: the waiting transfers create their contacts.
    if (!c.create_without_asking) return {};
    HS_TRY(waiting, uow.Sevdesk().CountAwaitingMatch(who.school_id));
    for (const auto& [customer_id, n] : *waiting) {
      HS_CHECK(uow.Sevdesk().WakeAwaitingMatch(who.school_id, customer_id, clock_.Now()));
    }
    return {};
  });
  if (!saved) return tl::unexpected(saved.error());
  return Overview(who.school_id);
}

// ---------------------------------------------------------------- the run

Result<std::string> ContactMatchingService::OpenToken(std::int64_t school_id) {
  std::optional<SevdeskConnection> conn;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(c, (*uow)->Sevdesk().GetConnection(school_id));
    conn = *c;
  }
  if (!conn || conn->token_sealed.empty() || !conn->last_test_ok) {
    return Fail(ErrorCode::kConflict, "sevdesk_not_connected",
                "Bitte zuerst den sevdesk-API-Token eintragen und „Verbindung testen“.");
  }
  auto token = sealer_.Open(conn->token_sealed, "school:" + std::to_string(school_id));
  if (!token) {
    return Fail(ErrorCode::kConflict, "sevdesk_not_connected",
                "Der gespeicherte Token kann nicht gelesen werden. Bitte den Token neu "
                "eintragen.");
  }
  return *token;
}

Result<MatchOverview> ContactMatchingService::Run(const Principal& who) {
  if (who.role != Role::kOwner) return OwnerOnly();
  HS_CHECK(RunForSchool(who.school_id));
  return Overview(who.school_id);
}

Result<MatchRun> ContactMatchingService::RunForSchool(std::int64_t school_id) {
  HS_TRY(token, OpenToken(school_id));
  auto directory = gateway_.ListContacts(*token, kContactPageSize);
  if (!directory) return ReadFailed(directory.error());
  return StoreRun(school_id, *directory);
}

Result<MatchRun> ContactMatchingService::StoreRun(std::int64_t school_id,
                                                  const ContactDirectory& directory, TxKind kind) {
  MatchRun run;
  HS_CHECK(RunTransaction(
      db_, kind, [&](UnitOfWork& uow) { return StorePlanned(uow, school_id, directory, run); }));
  return run;
}

Status ContactMatchingService::StorePlanned(UnitOfWork& uow, std::int64_t school_id,
                                            const ContactDirectory& directory, MatchRun& run) {
  SevdeskRepository& repo = uow.Sevdesk();
  MatchInputs in;
  in.school_id = school_id;
  in.directory = &directory;
  in.now = clock_.Now();
  HS_TRY(conn, repo.GetConnection(school_id));
  in.auto_link = !*conn || (*conn)->match_auto_link;
  HS_TRY(ids, repo.CustomersWithoutLink(school_id));
  for (const std::int64_t id : *ids) {
    HS_TRY(customer, uow.Customers().Get(school_id, id));
    in.customers.push_back(*customer);
    HS_TRY(stored, repo.GetMatch(school_id, id));
    if (*stored) in.stored.push_back(**stored);
  }
  HS_TRY(linked, repo.LinkedContactIds(school_id));
  in.linked_contacts.insert(linked->begin(), linked->end());
  MatchPlan plan = PlanMatches(in);
  std::set<std::int64_t> taken;  // customers linked meanwhile (by a transfer or a decision)
  for (ContactLink& link : plan.links) {
    auto saved = repo.SaveLink(link);
    if (!saved && !IsLinkConflict(saved.error())) return saved;
    if (!saved) taken.insert(link.customer_id);
  }
  for (const ContactMatch& m : plan.matches) {
    if (taken.contains(m.customer_id)) continue;
    HS_CHECK(repo.SaveMatch(m));
    if (m.state == MatchState::kLinked || m.state == MatchState::kCreateNew) {
      HS_CHECK(repo.WakeAwaitingMatch(school_id, m.customer_id, in.now));
    }
  }
  run = plan.run;
  run.auto_linked -= static_cast<std::int64_t>(taken.size());
  return repo.SaveMatchRun(run);
}

// ---------------------------------------------------------------- decisions

Result<MatchOverview> ContactMatchingService::Decide(const Principal& who, std::int64_t customer_id,
                                                     MatchAction action,
                                                     const std::string& contact_id) {
  if (who.role != Role::kOwner) return OwnerOnly();
  auto done = RunTransaction(db_, TxKind::kWrite, [&](UnitOfWork& uow) -> Status {
    HS_TRY(stored, uow.Sevdesk().GetMatch(who.school_id, customer_id));
    if (!*stored) return NotFound("Für diesen Kunden gibt es keinen Eintrag im Kundenabgleich.");
    ContactMatch m = **stored;
    if (action == MatchAction::kUnlink) return Unlink(uow, m);
    HS_TRY(link, uow.Sevdesk().GetLink(who.school_id, customer_id));
    if (*link) return AlreadyLinked();
    if (action == MatchAction::kLink) return Link(uow, who, m, contact_id);
    m.state = action == MatchAction::kLater ? MatchState::kLater : MatchState::kCreateNew;
    m.by_user = true;
    m.contact_id.clear();
    m.updated_at = clock_.Now();
    HS_CHECK(uow.Sevdesk().SaveMatch(m));
    if (m.state != MatchState::kCreateNew) return {};
    return uow.Sevdesk().WakeAwaitingMatch(who.school_id, customer_id, clock_.Now());
  });
  if (!done && IsLinkConflict(done.error())) return AlreadyLinked();
  if (!done) return tl::unexpected(done.error());
  return Overview(who.school_id);
}

Status ContactMatchingService::Link(UnitOfWork& uow, const Principal& who, ContactMatch& m,
                                    const std::string& contact_id) {
  const MatchCandidate* candidate = CandidateNamed(m, contact_id);
  if (!candidate) {
    return Invalid({{"contact_id", "Dieser sevdesk-Kontakt ist kein Vorschlag für den Kunden."}});
  }
  HS_TRY(linked, uow.Sevdesk().LinkedContactIds(who.school_id));
  if (std::find(linked->begin(), linked->end(), contact_id) != linked->end()) {
    return Fail(ErrorCode::kConflict, "contact_taken",
                "Dieser sevdesk-Kontakt ist schon mit einem anderen Kunden verknüpft.");
  }
  HS_TRY(customer, uow.Customers().Get(who.school_id, m.customer_id));
  ContactLink link =
      LinkToExisting(who.school_id, *customer, contact_id, candidate->customer_number);
  HS_CHECK(uow.Sevdesk().SaveLink(link));
  m.state = MatchState::kLinked;
  m.by_user = true;
  m.contact_id = contact_id;
  m.updated_at = clock_.Now();
  HS_CHECK(uow.Sevdesk().SaveMatch(m));
  return uow.Sevdesk().WakeAwaitingMatch(who.school_id, m.customer_id, clock_.Now());
}

// Only a link the Kundenabgleich made: a contact we created is the customer's own.
Status ContactMatchingService::Unlink(UnitOfWork& uow, ContactMatch& m) {
  HS_TRY(link, uow.Sevdesk().GetLink(m.school_id, m.customer_id));
  if (!*link || (*link)->origin != LinkOrigin::kMatched) {
    return Fail(ErrorCode::kConflict, "not_linked",
                "Nur eine Verknüpfung mit einem vorhandenen sevdesk-Kontakt kann gelöst werden.");
  }
  // A voucher sent with this contact whose outcome is not known yet is looked up by it: undone
  // now, the next attempt would look for it at the new contact and save it a second time.
  HS_TRY(in_flight, uow.Sevdesk().HasTransferInFlight(m.school_id, m.customer_id));
  if (*in_flight) {
    return Fail(ErrorCode::kConflict, "transfer_in_flight",
                "Gerade wird ein Beleg dieses Kunden mit dieser Verknüpfung übertragen. Bitte in "
                "einer Minute erneut „Verknüpfung lösen“.");
  }
  HS_TRY(removed, uow.Sevdesk().DeleteLink(m.school_id, m.customer_id, (*link)->revision));
  if (!*removed) {
    return Fail(ErrorCode::kConflict, std::string(kLinkChangedReason),
                "Die Verknüpfung wurde gerade geändert.");
  }
  m.state = MatchState::kReview;
  m.by_user = true;
  m.contact_id.clear();
  m.updated_at = clock_.Now();
  return uow.Sevdesk().SaveMatch(m);
}

Result<MatchOverview> ContactMatchingService::AcceptUnambiguous(const Principal& who) {
  if (who.role != Role::kOwner) return OwnerOnly();
  std::int64_t accepted = 0;
  auto linked_all = RunTransaction(db_, TxKind::kWrite, [&](UnitOfWork& uow) -> Status {
    accepted = 0;
    HS_TRY(ids, uow.Sevdesk().CustomersWithoutLink(who.school_id));
    const std::set<std::int64_t> unlinked(ids->begin(), ids->end());
    HS_TRY(matches, uow.Sevdesk().ListMatches(who.school_id));
    for (ContactMatch& m : *matches) {
      if (m.state != MatchState::kReview || !m.unambiguous || m.candidates.empty() ||
          !unlinked.contains(m.customer_id)) {
        continue;
      }
      auto linked = Link(uow, who, m, m.candidates.front().contact_id);
      if (!linked && linked.error().code != ErrorCode::kConflict) return linked;
      accepted += linked ? 1 : 0;
    }
    return {};
  });
  if (!linked_all) return tl::unexpected(linked_all.error());
  HS_TRY(o, Overview(who.school_id));
  o->accepted = accepted;
  return *o;
}

}  // namespace hs::app
