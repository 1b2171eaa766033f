#pragma once
// The search index (issue 18, ADR 0021): the table search_tokens(school_id, kind, entity_id,
// token) kept by the repositories in the transaction of the row, and the list filter that reads
// it. The same SQL on SQLite and PostgreSQL; the folding is domain/search_text.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql/connection.hpp"

namespace hs::store {

inline constexpr std::string_view kSearchCustomer = "customer";
inline constexpr std::string_view kSearchInvoice = "invoice";
inline constexpr std::string_view kSearchReceipt = "receipt";

// Replaces the tokens of one row (all of them deleted, `tokens` inserted), in the caller's
// transaction. On PostgreSQL the statements travel with the next one (no round trip of their
// own).
Status WriteSearchTokens(sql::Connection& c, std::int64_t school_id, std::string_view kind,
                         std::int64_t entity_id, const std::vector<std::string>& tokens);

// Removes the tokens of a deleted row.
Status DeleteSearchTokens(sql::Connection& c, std::string_view kind, std::int64_t entity_id);

// The condition " AND <id_column> IN (...)" for each word of `query` (every word must start a
// token of the row, of `kind`, of the school in parameter `school_param`), its parameters
// appended to `params`. "" for an empty query; a query without any word finds nothing.
std::string SearchFilterSql(std::string_view id_column, std::string_view kind,
                            std::string_view school_param, std::string_view query,
                            std::vector<sql::Value>& params);

}  // namespace hs::store
