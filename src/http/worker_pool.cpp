#include "http/worker_pool.hpp"

#include <algorithm>

namespace hs::http {

namespace {
constexpr const char* kInternalErrorBody =
    R"({"code":"internal","message":"Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.","details":[]})";
}  // namespace

void WorkerPool::Start(std::size_t threads) {
  std::lock_guard lock(mu_);
  stopping_ = false;
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

void WorkerPool::Submit(std::uint64_t connection, Request request) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{connection, std::move(request)});
  }
  cv_.notify_one();
}

void WorkerPool::StopAndJoin() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::Run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    finished_(job.connection, job.request, Call(job.request));
  }
}

// The handler must not throw; if it does, the client gets a JSON 500 rather than a dead worker.
Response WorkerPool::Call(const Request& request) const {
  try {
    return handler_(request);
  } catch (...) {
    return Response::Json(500, kInternalErrorBody);
  }
}

}  // namespace hs::http
