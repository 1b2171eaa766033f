#pragma once
// Kundenabgleich (issue 15, ADR 0015): reads the school's sevdesk contacts, matches every
// customer without a link (domain/contact_matching.hpp), stores the decisions and the automatic
// links (match_plan.hpp), and carries out the school's decisions from the review list. A
// decision wakes the customer's transfers that wait for it.
//
// Links are written only over the revision they were read with (ContactLink::revision): a
// decision and the transfer engine cannot overwrite each other, so no contact is created for a
// customer the school just linked, and no link replaces a contact the engine just created.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "app/services.hpp"
#include "app/sevdesk_ports.hpp"
#include "core/clock.hpp"

namespace hs::app {

struct MatchItem {
  domain::Customer customer;
  ContactMatch match;
  std::int64_t waiting_receipts = 0;  // transfers that wait for this decision
};

struct MatchOverview {
  bool auto_link = true;
  bool create_without_asking = false;
  bool update_contacts = false;
  std::optional<MatchRun> last_run;
  // Review first, then "Später", then the links to existing contacts (which can be undone).
  std::vector<MatchItem> items;
  std::int64_t review = 0;
  std::int64_t later = 0;
  std::int64_t linked = 0;
  std::int64_t unambiguous = 0;  // review items "Alle eindeutigen übernehmen" links
  std::int64_t accepted = 0;     // AcceptUnambiguous: how many it linked
};

struct MatchSettingsUpdate {
  std::optional<bool> auto_link;
  std::optional<bool> create_without_asking;
  std::optional<bool> update_contacts;
};

enum class MatchAction { kLink, kCreateNew, kLater, kUnlink };

class ContactMatchingService {
 public:
  ContactMatchingService(Database& db, const Clock& clock, const SecretSealer& sealer,
                         SevdeskGateway& gateway)
      : db_(db), clock_(clock), sealer_(sealer), gateway_(gateway) {}

  Result<MatchOverview> Overview(std::int64_t school_id);
  Result<MatchOverview> UpdateSettings(const Principal& who, const MatchSettingsUpdate& update);
  // "Kundenabgleich starten": reads the contacts with the school's token and matches.
  Result<MatchOverview> Run(const Principal& who);
  // The same for the school (on activation; the engine passes the directory it read).
  Result<MatchRun> RunForSchool(std::int64_t school_id);
  // The engine's run is a relaxed write (ADR 0007): lost in a crash of the database server, it
  // is only run again, with the same result.
  Result<MatchRun> StoreRun(std::int64_t school_id, const ContactDirectory& directory,
                            TxKind kind = TxKind::kWrite);
  Result<MatchOverview> Decide(const Principal& who, std::int64_t customer_id, MatchAction action,
                               const std::string& contact_id = {});
  // "Alle eindeutigen übernehmen": links every unambiguous review item to its candidate.
  Result<MatchOverview> AcceptUnambiguous(const Principal& who);

 private:
  Status StorePlanned(UnitOfWork& uow, std::int64_t school_id, const ContactDirectory& directory,
                      MatchRun& run);
  Status Link(UnitOfWork& uow, const Principal& who, ContactMatch& match,
              const std::string& contact_id);
  Status Unlink(UnitOfWork& uow, ContactMatch& match);
  Result<std::string> OpenToken(std::int64_t school_id);

  Database& db_;
  const Clock& clock_;
  const SecretSealer& sealer_;
  SevdeskGateway& gateway_;
};

}  // namespace hs::app
