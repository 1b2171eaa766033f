#pragma once
// Repositories written once against the SQL seam, bound to one transaction.
#include <functional>
#include <memory>

#include "app/ports.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

class SqlUnitOfWork final : public app::UnitOfWork {
 public:
  // `finish(true)` commits, `finish(false)` rolls back; called exactly once.
  SqlUnitOfWork(sql::Connection& connection, std::function<Status(bool commit)> finish);
  ~SqlUnitOfWork() override;

  app::SchoolRepository& Schools() override;
  app::UserRepository& Users() override;
  app::SessionRepository& Sessions() override;
  app::CustomerRepository& Customers() override;
  app::InvoiceRepository& Invoices() override;
  app::ReceiptRepository& Receipts() override;
  app::SevdeskRepository& Sevdesk() override;
  app::PaymentRepository& Payments() override;
  Status Commit() override;

 private:
  struct Repos;
  std::unique_ptr<Repos> repos_;
  std::function<Status(bool)> finish_;
  bool finished_ = false;
};

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Applies the migrations newer than the recorded version, each in its own transaction.
Result<int> ApplyMigrations(sql::Connection& connection, const std::vector<Migration>& migrations);

// Writes the search tokens of the rows that existed before the search index (migration
// search_tokens queued them in search_backfill), in transactions of a few hundred rows, and
// returns how many it indexed. Runs after the migrations; nothing to do once the queue is empty,
// and an interrupted run continues where it stopped.
Result<std::int64_t> BackfillSearchTokens(sql::Connection& connection);

}  // namespace hs::store
