#pragma once
// The contact links and the Kundenabgleich's tables (ADR 0015), for SqlSevdeskRepository: one SQL
// text for SQLite and PostgreSQL, as the rest of the repository.
#include <map>

#include "app/sevdesk_ports.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

Result<std::optional<app::ContactLink>> GetContactLink(sql::Connection& c, std::int64_t school_id,
                                                       std::int64_t customer_id);
Status SaveContactLink(sql::Connection& c, app::ContactLink& link);
Result<bool> DeleteContactLink(sql::Connection& c, std::int64_t school_id, std::int64_t customer_id,
                               std::int64_t revision);
Result<std::vector<std::int64_t>> CustomersWithoutLink(sql::Connection& c, std::int64_t school_id);
Result<std::vector<std::string>> LinkedContactIds(sql::Connection& c, std::int64_t school_id);
Result<std::vector<app::ContactLink>> MatchedLinks(sql::Connection& c, std::int64_t school_id);

Result<std::optional<app::ContactMatch>> GetMatch(sql::Connection& c, std::int64_t school_id,
                                                  std::int64_t customer_id);
Result<std::vector<app::ContactMatch>> ListMatches(sql::Connection& c, std::int64_t school_id);
Status SaveMatch(sql::Connection& c, const app::ContactMatch& match);
Status SavePostedContact(sql::Connection& c, std::int64_t transfer_id,
                         const std::string& contact_id);
Result<std::optional<std::string>> GetPostedContact(sql::Connection& c, std::int64_t transfer_id);
Result<std::optional<app::MatchRun>> GetMatchRun(sql::Connection& c, std::int64_t school_id);
Status SaveMatchRun(sql::Connection& c, const app::MatchRun& run);
Status WakeAwaitingMatch(sql::Connection& c, std::int64_t school_id, std::int64_t customer_id,
                         Instant now);
Result<bool> HasTransferInFlight(sql::Connection& c, std::int64_t school_id,
                                 std::int64_t customer_id);
Result<std::map<std::int64_t, std::int64_t>> CountAwaitingMatch(sql::Connection& c,
                                                                std::int64_t school_id);

}  // namespace hs::store
