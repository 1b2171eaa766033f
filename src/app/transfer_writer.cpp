#include "app/transfer_writer.hpp"

#include "app/transaction.hpp"
#include "core/log.hpp"

namespace hs::app {

namespace {

tl::unexpected<Error> LeaseLostError() {
  return Fail(ErrorCode::kConflict, std::string(kLeaseLostReason),
              "Die Übertragung läuft in einem anderen Prozess.");
}

}  // namespace

TransferWriter::TransferWriter(Database& db, const Clock& clock, const SevdeskSettings& settings,
                               Transfer& t)
    : db_(db), clock_(clock), settings_(settings), t_(t), claimed_by_(t.lease_owner) {}

Status TransferWriter::Save(TxKind kind, const More& more) {
  if (lease_lost_) return LeaseLostError();
  const Instant now = clock_.Now();
  t_.updated_at = now;
  if (t_.state == TransferState::kRunning) t_.lease_until = now + settings_.lease;
  auto st = RunTransaction(db_, kind, [&](UnitOfWork& uow) -> Status {
    auto applied = uow.Sevdesk().UpdateClaimedTransfer(t_, claimed_by_);
    if (!applied) return tl::unexpected(applied.error());
    if (!*applied) return LeaseLostError();
    for (const auto& e : deferred_) {
      if (auto added = uow.Sevdesk().AddEvent(e); !added) return added;
    }
    if (more) return more(uow);
    return {};
  });
  const bool lost = !st && st.error().reason == kLeaseLostReason;
  if (st || lost) deferred_.clear();
  if (lost) {
    lease_lost_ = true;
    Log(LogLevel::kWarn, "sevdesk",
        "transfer " + std::to_string(t_.id) + ": lease lost (claim " +
            std::to_string(t_.lease_claim) +
            " was taken over after it expired); abandoning this attempt without writing");
  }
  return st;
}

Status TransferWriter::AddEvent(UnitOfWork& uow, const std::string& kind,
                                const std::string& message) {
  return uow.Sevdesk().AddEvent({0, t_.id, clock_.Now(), kind, message});
}

Status TransferWriter::Progress(const std::string& event_kind, const std::string& message,
                                const More& more) {
  return Save(TxKind::kRelaxedWrite, [&](UnitOfWork& uow) -> Status {
    if (auto st = AddEvent(uow, event_kind, message); !st) return st;
    if (more) return more(uow);
    return {};
  });
}

Status TransferWriter::SaveLink(ContactLink& link, const std::string& event_kind,
                                const std::string& message) {
  return WriteLink(TxKind::kRelaxedWrite, link, [&](UnitOfWork& uow) -> Status {
    if (event_kind.empty()) return {};
    return AddEvent(uow, event_kind, message);
  });
}

Status TransferWriter::MarkPosting(const std::string& contact_id) {
  return Save(TxKind::kDurableWrite,
              [&](UnitOfWork& uow) { return uow.Sevdesk().SavePostedContact(t_.id, contact_id); });
}

Status TransferWriter::MarkLink(ContactLink& link) {
  return WriteLink(TxKind::kDurableWrite, link, {});
}

// The unit may run again after a conflict between transactions: each run writes a copy, and
// the revision it reached is taken only when one committed.
Status TransferWriter::WriteLink(TxKind kind, ContactLink& link, const More& more) {
  ContactLink saved;
  auto st = Save(kind, [&](UnitOfWork& uow) -> Status {
    saved = link;
    if (auto written = uow.Sevdesk().SaveLink(saved); !written) return written;
    if (more) return more(uow);
    return {};
  });
  if (st) link.revision = saved.revision;
  return st;
}

void TransferWriter::Defer(std::string kind, std::string message) {
  deferred_.push_back({0, t_.id, clock_.Now(), std::move(kind), std::move(message)});
}

Status TransferWriter::Store(const Decision& d) {
  if (d.write == Write::kNothing || lease_lost_) return {};
  t_ = d.transfer;
  if (d.write == Write::kComplete) return Complete(d.events);
  return Save(TxKind::kRelaxedWrite, [&](UnitOfWork& uow) -> Status {
    for (const auto& e : d.events) {
      if (auto st = AddEvent(uow, e.kind, e.message); !st) return st;
    }
    return ChangeConnection(uow, d.connection);
  });
}

// One fenced statement with its events, sent without waiting (ADR 0008): whether it applied is
// not known, and after a lost lease the new owner carries on.
Status TransferWriter::Complete(const std::vector<HistoryEntry>& events) {
  const Instant now = clock_.Now();
  t_.updated_at = now;
  std::vector<TransferEvent> all = std::move(deferred_);
  deferred_.clear();
  for (const auto& e : events) all.push_back({0, t_.id, now, e.kind, e.message});
  return RunTransaction(db_, TxKind::kRelaxedWrite, [&](UnitOfWork& uow) {
    return uow.Sevdesk().CompleteClaimedTransfer(t_, claimed_by_, all);
  });
}

// The connection row is read in the same transaction, so that the change applies to its
// newest state (another worker's rejection, a user's test).
Status TransferWriter::ChangeConnection(UnitOfWork& uow, const ConnectionEffect& effect) {
  if (effect.change == ConnectionChange::kNone) return {};
  auto c = uow.Sevdesk().GetConnection(t_.school_id);
  if (!c) return tl::unexpected(c.error());
  if (!*c) return {};
  SevdeskConnection connection = **c;
  const Instant now = clock_.Now();
  const auto open = [now](const SevdeskConnection& x) {
    return x.breaker_until.has_value() && *x.breaker_until > now;
  };
  const bool was_open = open(connection);
  ApplyConnectionEffect(effect, connection, now, settings_);
  breaker_opened_ = !was_open && open(connection);
  return uow.Sevdesk().SaveConnection(connection);
}

}  // namespace hs::app
