#include "store/sql/connection.hpp"

#include "app/ports.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace hs::store::sql {

namespace {
std::string_view GermanMessageFor(ErrorCode code, std::string_view reason) {
  if (reason == "constraint") return app::kConstraintMessage;
  if (reason == "database_busy" || reason == "transaction_conflict") return app::kBusyMessage;
  if (code == ErrorCode::kUnavailable) return app::kUnavailableMessage;
  return app::kDatabaseErrorMessage;
}
}  // namespace

Error DriverError(ErrorCode code, std::string reason, std::string_view detail) {
  Log(LogLevel::kWarn, "store", reason + ": " + std::string(detail));
  Error e;
  e.code = code;
  e.message = std::string(GermanMessageFor(code, reason));
  e.reason = std::move(reason);
  return e;
}

std::int64_t Row::Int(std::size_t i) const {
  if (const auto* v = std::get_if<std::int64_t>(&values_[i])) return *v;
  if (const auto* d = std::get_if<double>(&values_[i])) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&values_[i])) return std::stoll(*s);
  return 0;
}

std::optional<std::int64_t> Row::OptInt(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::string Row::Text(std::size_t i) const {
  if (const auto* s = std::get_if<std::string>(&values_[i])) return *s;
  if (const auto* b = std::get_if<Blob>(&values_[i])) return b->bytes;
  if (const auto* v = std::get_if<std::int64_t>(&values_[i])) return std::to_string(*v);
  return {};
}

std::optional<std::string> Row::OptText(std::size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

double Row::Real(std::size_t i) const {
  if (const auto* d = std::get_if<double>(&values_[i])) return *d;
  if (const auto* v = std::get_if<std::int64_t>(&values_[i])) return static_cast<double>(*v);
  return 0;
}

Result<std::optional<Row>> QueryOne(Connection& c, std::string_view sql,
                                    const std::vector<Value>& params) {
  auto rows = c.Query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Row>{};
  return std::optional<Row>{std::move(rows->front())};
}

std::string LikeContains(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

}  // namespace hs::store::sql
