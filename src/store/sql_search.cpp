#include "store/sql_search.hpp"

#include <algorithm>

#include "domain/search_text.hpp"

namespace hs::store {

namespace {

// Rows per INSERT: a row's tokens go in chunks of these sizes (its count in binary), so that
// each connection prepares at most this many INSERT statements, whatever the token counts.
constexpr std::size_t kChunkSizes[] = {64, 32, 16, 8, 4, 2, 1};

std::string InsertSql(std::size_t rows) {
  std::string sql = "INSERT INTO search_tokens (school_id, kind, entity_id, token) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    sql += (i == 0 ? "($1,$2,$3,$" : ",($1,$2,$3,$") + std::to_string(i + 4) + ")";
  }
  // Two writers of one row's tokens at once (a customer's rename re-indexing a draft being
  // saved): the later one's identical token is no error.
  return sql + " ON CONFLICT DO NOTHING";
}

}  // namespace

Status WriteSearchTokens(sql::Connection& c, std::int64_t school_id, std::string_view kind,
                         std::int64_t entity_id, const std::vector<std::string>& tokens) {
  auto del = c.ExecWithNext("DELETE FROM search_tokens WHERE kind = $1 AND entity_id = $2",
                            {std::string(kind), entity_id});
  if (!del) return del;
  std::size_t next = 0;
  for (std::size_t chunk : kChunkSizes) {
    while (tokens.size() - next >= chunk) {
      std::vector<sql::Value> params{school_id, std::string(kind), entity_id};
      for (std::size_t i = 0; i < chunk; ++i) params.emplace_back(tokens[next + i]);
      if (auto st = c.ExecWithNext(InsertSql(chunk), params); !st) return st;
      next += chunk;
    }
  }
  return {};
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
                       std::vector<std::string> words, std::vector<sql::Value>& params) {
  std::stable_sort(words.begin(), words.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  const std::string k = "'" + std::string(kind) + "'";
  std::string sql =
      "SELECT a.entity_id FROM search_tokens a WHERE a.school_id = " + std::string(school_param) +
      " AND a.kind = " + k + " AND a.token >= " + Param(words[0], params) + " AND a.token < " +
      Param(domain::SearchPrefixEnd(words[0]), params);
  for (std::size_t i = 1; i < words.size(); ++i) {
    // b.school_id lets PostgreSQL read the word's range from the key and hash it instead.
    sql +=
        " AND EXISTS (SELECT 1 FROM search_tokens b WHERE b.entity_id = a.entity_id AND "
        "b.school_id = a.school_id AND b.kind = " +
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

std::string SchoolCondition(std::string_view column, bool by_id) {
  return (by_id ? "+" : "") + std::string(column) + " = $1";
}

std::string SearchFilterSql(std::string_view id_column, std::string_view kind,
                            std::string_view school_param, std::string_view query,
                            std::vector<sql::Value>& params) {
  if (query.empty()) return "";
  const auto words = domain::SearchQueryWords(query);
  if (words.empty()) return " AND 1 = 0";
  return " AND " + std::string(id_column) + " IN (" +
         MatchesSql(kind, school_param, words, params) + ")";
}

}  // namespace hs::store
