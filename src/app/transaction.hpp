#pragma once
// Runs one unit of work and re-runs it whole after a conflict between concurrent transactions
// (PostgreSQL: serialization failure 40001, deadlock 40P01). The database has rolled the unit
// back, so running the caller's closure again from the start is safe as long as the closure
// only reads and writes through the unit of work (no sevdesk calls, no other side effects).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "app/ports.hpp"

namespace hs::app {

// The reason the drivers give a transaction the server aborted because of a concurrent one.
inline constexpr const char* kTransactionConflict = "transaction_conflict";

inline bool IsTransactionConflict(const Error& e) {
  return e.code == ErrorCode::kUnavailable && e.reason == kTransactionConflict;
}

struct TxRetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds base{5};
  std::chrono::milliseconds cap{200};
};

namespace detail {
// Full jitter: uniform in [1, min(cap, base * 2^(attempt-1))] ms, so that the two transactions
// of a deadlock do not meet again at the same moment.
inline std::chrono::milliseconds TxRetryDelay(int attempt, const TxRetryPolicy& policy) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::int64_t ceiling = std::max<std::int64_t>(1, policy.base.count());
  for (int i = 1; i < attempt && ceiling < policy.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, std::max<std::int64_t>(1, policy.cap.count()));
  std::uniform_int_distribution<std::int64_t> pick(1, ceiling);
  return std::chrono::milliseconds(pick(rng));
}
}  // namespace detail

// `body(UnitOfWork&)` answers Status or Result<T>; the unit is committed when it succeeds.
// Other errors (and a conflict after the last attempt) are answered as they are.
template <class Body>
auto RunTransaction(Database& db, TxKind kind, Body&& body, TxRetryPolicy policy = {})
    -> std::invoke_result_t<Body&, UnitOfWork&> {
  using R = std::invoke_result_t<Body&, UnitOfWork&>;
  for (int attempt = 1;; ++attempt) {
    R result = [&]() -> R {
      auto uow = db.Begin(kind);
      if (!uow) return tl::unexpected(uow.error());
      R r = body(**uow);
      if (!r) return r;
      if (auto st = (*uow)->Commit(); !st) return tl::unexpected(st.error());
      return r;
    }();
    if (result || !IsTransactionConflict(result.error()) || attempt >= policy.max_attempts) {
      return result;
    }
    std::this_thread::sleep_for(detail::TxRetryDelay(attempt, policy));
  }
}

}  // namespace hs::app
