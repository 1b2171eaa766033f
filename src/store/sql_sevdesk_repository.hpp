#pragma once
#include <memory>

#include "app/sevdesk_ports.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

// Maps the transfer columns starting at `offset` (shared with the receipts list join).
app::Transfer TransferFromRow(const sql::Row& row, std::size_t offset = 0);

std::unique_ptr<app::SevdeskRepository> MakeSqlSevdeskRepository(sql::Connection& connection);

}  // namespace hs::store
