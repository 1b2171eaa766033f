#pragma once
// The search index (issue 18, ADR 0021): the table search_tokens(school_id, kind, entity_id,
// token) kept by the repositories in the transaction of the row, and the list filter that reads
// it. The same SQL on SQLite and PostgreSQL; the folding is domain/search_text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/date.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

inline constexpr std::string_view kSearchCustomer = "customer";
inline constexpr std::string_view kSearchInvoice = "invoice";
inline constexpr std::string_view kSearchReceipt = "receipt";

// Replaces the tokens of one row (all of them deleted, `tokens` inserted), in the caller's
// transaction, each with the row's `sort_key` (see RankedMatchesSql). On PostgreSQL the
// statements travel with the next one (no round trip of their own).
Status WriteSearchTokens(sql::Connection& c, std::int64_t school_id, std::string_view kind,
                         std::int64_t entity_id, const std::vector<std::string>& tokens,
                         std::int64_t sort_key = 0);

// A receipt's sort key: its date as YYYYMMDD, so that (sort_key, id) is the list's order.
std::int64_t ReceiptSortKey(Date date);

// A deleted row's tokens are removed by a trigger (migration search_tokens), whoever deletes it.

// The condition " AND <id_column> IN (...)" for each word of `query` (every word must start a
// token of the row, of `kind`, of the school in parameter `school_param`), its parameters
// appended to `params`. "" for an empty query; a query without any word finds nothing.
//
// With `by_id` the matches are meant to be looked up by id (SchoolCondition(column, true)): on
// PostgreSQL the condition is then "= ANY(ARRAY(...))", which probes the primary key with them
// (a semi-join scanned all of the school's customers and hashed the matches: twice the time).
std::string SearchFilterSql(std::string_view id_column, std::string_view kind,
                            std::string_view school_param, std::string_view query,
                            std::vector<sql::Value>& params, const sql::Dialect* by_id = nullptr);

// One page of a search without other filters, ranked in the index (migration search_sort_key):
// "SELECT entity_id FROM ..." the matches of `query` (which has a word) in the order
// (sort_key, entity_id), descending or not, after the row `after` = (sort_key, id) if given,
// `limit` of them from `offset` on. It reads the index alone, in time proportional to the
// matches: as much as counting them, which the list does anyway.
struct RankedPage {
  bool descending = true;
  std::optional<std::pair<std::int64_t, std::int64_t>> after;
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};
std::string RankedMatchesSql(std::string_view kind, std::string_view school_param,
                             std::string_view query, const RankedPage& page,
                             std::vector<sql::Value>& params);

// Up to this many matches a search without other filters takes its page from the index
// (RankedMatchesSql); above, the matches are a large share of the school's rows and walking the
// list's own index finds a page sooner.
inline constexpr std::int64_t kSearchRankLimit = 10000;

// The number of the school's rows of `kind` that match every word of `query`, from the index
// alone (0 for a query without any word). A list without other filters takes it as its total.
Result<std::int64_t> CountSearchMatches(sql::Connection& c, std::int64_t school_id,
                                        std::string_view kind, std::string_view query);

// Up to this many matches a list looks its rows up by id (the school's condition written
// "+school_id = $1", which SQLite cannot serve from an index, so it takes the id list instead);
// above, it walks its index in the list's order and checks each row against the matches, which
// finds a page of a common word sooner than sorting thousands of rows. Either way a rare word
// costs nothing and the school's 100,000 receipts are never walked for a few matches.
inline constexpr std::int64_t kSearchByIdLimit = 1000;

// The school condition of a list: "<column> = $1", or "+<column> = $1" to look rows up by id.
std::string SchoolCondition(std::string_view column, bool by_id);

}  // namespace hs::store
