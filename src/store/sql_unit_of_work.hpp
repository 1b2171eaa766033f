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

}  // namespace hs::store
