#pragma once
// Every write of one claimed transfer (ADR 0006, 0007, 0008, 0012):
// - fenced by the claim: once another process has taken the transfer over (our lease expired
//   while we were paused or slow), nothing is written any more and the attempt is abandoned;
//   sevdesk stays consistent because the new owner looks up before it creates (ADR 0003);
// - the mark right before a create is durable (a duplicate in sevdesk depends on it); progress,
//   results and failures are relaxed (lost in a crash of the database server, they are redone);
// - the usual end is one fenced statement with its events, not waited for (ADR 0008);
// - a conflict with a concurrent transaction (PostgreSQL deadlock) re-runs the whole unit.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "app/sevdesk_settings.hpp"
#include "app/transfer_policy.hpp"
#include "core/clock.hpp"

namespace hs::app {

class TransferWriter {
 public:
  using More = std::function<Status(UnitOfWork&)>;

  // `t` is the claimed transfer (its lease_owner and lease_claim as the claim answered them).
  TransferWriter(Database& db, const Clock& clock, const SevdeskSettings& settings, Transfer& t);

  Transfer& transfer() { return t_; }
  // A fenced write matched nothing: the new owner carries on, this attempt writes nothing more.
  bool LeaseLost() const { return lease_lost_; }
  // The last Store opened the school's breaker (for the metrics; valid when it succeeded).
  bool BreakerOpened() const { return breaker_opened_; }

  // Progress and results (relaxed): the transfer, an event and `more`.
  Status Progress(const std::string& event_kind, const std::string& message, const More& more = {});
  // The contact link with the transfer, and an event unless `event_kind` is empty (relaxed).
  // Written over the link's revision, which counts on (a link changed meanwhile by the
  // Kundenabgleich fails the write: the attempt ends, the next one reads the new link).
  Status SaveLink(ContactLink& link, const std::string& event_kind = {},
                  const std::string& message = {});
  // The marks "this create may be done" right before a create (durable). Being a commit in the
  // same log, a mark also makes every earlier relaxed commit durable.
  //
  // The voucher's mark, with the contact the save is sent with (see GetPostedContact).
  Status MarkPosting(const std::string& contact_id);
  Status MarkLink(ContactLink& link);
  // An event stored with the next write (the upload's: a lost upload only means uploading again).
  void Defer(std::string kind, std::string message);
  // Stores what the policy decided.
  Status Store(const Decision& d);

 private:
  Status Save(TxKind kind, const More& more);
  Status WriteLink(TxKind kind, ContactLink& link, const More& more);
  Status Complete(const std::vector<HistoryEntry>& events);
  Status ChangeConnection(UnitOfWork& uow, const ConnectionEffect& effect);
  Status AddEvent(UnitOfWork& uow, const std::string& kind, const std::string& message);

  Database& db_;
  const Clock& clock_;
  const SevdeskSettings& settings_;
  Transfer& t_;
  const std::string claimed_by_;  // the claim's owner, as ClaimNext answered it
  bool lease_lost_ = false;
  bool breaker_opened_ = false;
  std::vector<TransferEvent> deferred_;
};

}  // namespace hs::app
