#include "store/sql_search.hpp"

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

// One range per word: the rows of the school and kind with a token starting with it.
std::string WordRangeSql(std::string_view select, std::string_view kind,
                         std::string_view school_param, const std::string& word,
                         std::vector<sql::Value>& params) {
  params.emplace_back(word);
  const std::string from = "$" + std::to_string(params.size());
  params.emplace_back(domain::SearchPrefixEnd(word));
  const std::string to = "$" + std::to_string(params.size());
  return std::string(select) +
         " FROM search_tokens WHERE school_id = " + std::string(school_param) + " AND kind = '" +
         std::string(kind) + "' AND token >= " + from + " AND token < " + to;
}

}  // namespace

Result<std::int64_t> CountSearchMatches(sql::Connection& c, std::int64_t school_id,
                                        std::string_view kind, std::string_view query) {
  const auto words = domain::SearchQueryWords(query);
  if (words.empty()) return std::int64_t{0};
  std::vector<sql::Value> params{school_id};
  std::string sets;
  for (const auto& word : words) {
    // INTERSECT keeps each row once; one word alone needs DISTINCT (a row's "mueller" and
    // "muller" both start with "mu").
    sets += sets.empty() ? "" : " INTERSECT ";
    sets += WordRangeSql(words.size() == 1 ? "SELECT DISTINCT entity_id" : "SELECT entity_id", kind,
                         "$1", word, params);
  }
  auto row = sql::QueryOne(c, "SELECT COUNT(*) FROM (" + sets + ") m", params);
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
  std::string sql;
  for (const auto& word : words) {
    sql += " AND " + std::string(id_column) + " IN (" +
           WordRangeSql("SELECT entity_id", kind, school_param, word, params) + ")";
  }
  return sql;
}

}  // namespace hs::store
