#include "store/sql_search.hpp"

#include <algorithm>

#include "domain/search_text.hpp"

namespace hs::store {

namespace {

// Rows per INSERT: a row's tokens go in chunks of these sizes (its count in binary), so that
// each connection prepares at most this many INSERT statements, whatever the token counts.
constexpr std::size_t kChunkSizes[] = {64, 32, 16, 8, 4, 2, 1};

std::string InsertSql(std::size_t rows) {
  std::string sql =
      "INSERT INTO search_tokens (school_id, kind, entity_id, sort_key, token) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    sql += (i == 0 ? "($1,$2,$3,$4,$" : ",($1,$2,$3,$4,$") + std::to_string(i + 5) + ")";
  }
  // Two writers of one row's tokens at once (a customer's rename re-indexing a draft being
  // saved): the later one's identical token is no error.
  return sql + " ON CONFLICT DO NOTHING";
}

}  // namespace

Status WriteSearchTokens(sql::Connection& c, std::int64_t school_id, std::string_view kind,
                         std::int64_t entity_id, const std::vector<std::string>& tokens,
                         std::int64_t sort_key) {
  auto del = c.ExecWithNext("DELETE FROM search_tokens WHERE kind = $1 AND entity_id = $2",
                            {std::string(kind), entity_id});
  if (!del) return del;
  std::size_t next = 0;
  for (std::size_t chunk : kChunkSizes) {
    while (tokens.size() - next >= chunk) {
      std::vector<sql::Value> params{school_id, std::string(kind), entity_id, sort_key};
      for (std::size_t i = 0; i < chunk; ++i) params.emplace_back(tokens[next + i]);
      if (auto st = c.ExecWithNext(InsertSql(chunk), params); !st) return st;
      next += chunk;
    }
  }
  return {};
}

std::int64_t ReceiptSortKey(Date date) {
  return std::int64_t{static_cast<int>(date.year())} * 10000 +
         static_cast<unsigned>(date.month()) * 100 + static_cast<unsigned>(date.day());
}

namespace {

// "$n" of a new parameter.
std::string Param(sql::Value v, std::vector<sql::Value>& params) {
  params.push_back(std::move(v));
  return "$" + std::to_string(params.size());
}

// The ids of the school's rows of `kind` that match every word (non-empty), possibly repeated.
// The longest word (the likeliest to be rare) is a range of the key; each other word is
// checked on the row's own tokens, through the entity index: a short or common word ("re",
// "2026") then costs a probe per match instead of a set of 70,000 ids.
std::string MatchesSql(std::string_view kind, std::string_view school_param,
                       std::vector<std::string> words, std::vector<sql::Value>& params,
                       std::string_view columns = "a.entity_id") {
  std::stable_sort(words.begin(), words.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  const std::string k = "'" + std::string(kind) + "'";
  std::string sql = "SELECT " + std::string(columns) +
                    " FROM search_tokens a WHERE a.school_id = " + std::string(school_param) +
                    " AND a.kind = " + k + " AND a.token >= " + Param(words[0], params) +
                    " AND a.token < " + Param(domain::SearchPrefixEnd(words[0]), params);
  for (std::size_t i = 1; i < words.size(); ++i) {
    // No "b.school_id = a.school_id" (an entity's tokens are its school's anyway): with it,
    // PostgreSQL may read the word's range from the key instead of probing the row's own tokens,
    // and without statistics (a table that grew since its last ANALYZE) it did so once per match:
    // 14 s for two words on 10,000 receipts. Now the worst plan is one probe per match.
    sql +=
        " AND EXISTS (SELECT 1 FROM search_tokens b WHERE b.entity_id = a.entity_id AND "
        "b.kind = " +
        k + " AND b.token >= " + Param(words[i], params) + " AND b.token < " +
        Param(domain::SearchPrefixEnd(words[i]), params) + ")";
  }
  return sql;
}

}  // namespace

Result<std::int64_t> CountSearchMatches(sql::Connection& c, std::int64_t school_id,
                                        std::string_view kind, std::string_view query) {
  const auto words = domain::SearchQueryWords(query);
  if (words.empty()) return std::int64_t{0};
  std::vector<sql::Value> params{school_id};
  // DISTINCT: a row's "mueller" and "muller" both start with "mu".
  auto row = sql::QueryOne(c,
                           "SELECT COUNT(*) FROM (SELECT DISTINCT m.entity_id FROM (" +
                               MatchesSql(kind, "$1", words, params) + ") m) d",
                           params);
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->Int(0) : 0;
}

std::string RankedMatchesSql(std::string_view kind, std::string_view school_param,
                             std::string_view query, const RankedPage& page,
                             std::vector<sql::Value>& params) {
  const auto words = domain::SearchQueryWords(query);
  if (words.empty()) return "SELECT 0 AS entity_id WHERE 1 = 0";
  // DISTINCT: a row's "mueller" and "muller" both start with "mu" (a row has one sort key).
  std::string sql = "SELECT DISTINCT m.entity_id, m.sort_key FROM (" +
                    MatchesSql(kind, school_param, words, params, "a.entity_id, a.sort_key") +
                    ") m";
  const char* cmp = page.descending ? " < " : " > ";
  if (page.after) {
    const std::string key = Param(page.after->first, params);
    const std::string id = Param(page.after->second, params);
    sql = "SELECT d.entity_id, d.sort_key FROM (" + sql + ") d WHERE d.sort_key" + cmp + key +
          " OR (d.sort_key = " + key + " AND d.entity_id" + cmp + id + ")";
  }
  const char* dir = page.descending ? " DESC" : "";
  return "SELECT k.entity_id FROM (" + sql + ") k ORDER BY k.sort_key" + dir + ", k.entity_id" +
         dir + " LIMIT " + Param(page.limit, params) + " OFFSET " + Param(page.offset, params);
}

std::string SchoolCondition(std::string_view column, bool by_id) {
  return (by_id ? "+" : "") + std::string(column) + " = $1";
}

std::string SearchFilterSql(std::string_view id_column, std::string_view kind,
                            std::string_view school_param, std::string_view query,
                            std::vector<sql::Value>& params, const sql::Dialect* by_id) {
  if (query.empty()) return "";
  const auto words = domain::SearchQueryWords(query);
  if (words.empty()) return " AND 1 = 0";
  const std::string matches = MatchesSql(kind, school_param, words, params);
  if (by_id && by_id->value_arrays) {
    return " AND " + std::string(id_column) + " = ANY(ARRAY(" + matches + "))";
  }
  return " AND " + std::string(id_column) + " IN (" + matches + ")";
}

}  // namespace hs::store
