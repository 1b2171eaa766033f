#pragma once
#include <memory>

#include "app/payment_ports.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

std::unique_ptr<app::PaymentRepository> MakeSqlPaymentRepository(sql::Connection& connection);

}  // namespace hs::store
