#pragma once
// The threads that run the handler for the event-driven server: handlers block (password hashing
// takes about a second, database calls wait on locks), the event loop must not.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "http/http_types.hpp"

namespace hs::http {

class WorkerPool {
 public:
  // `finished` is called on a worker thread with the connection id, the request and the
  // handler's answer.
  using Finished = std::function<void(std::uint64_t, const Request&, Response)>;
  WorkerPool(Handler handler, Finished finished)
      : handler_(std::move(handler)), finished_(std::move(finished)) {}
  ~WorkerPool() { StopAndJoin(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start(std::size_t threads);
  void Submit(std::uint64_t connection, Request request);
  // Drops requests not yet started; waits for the ones running.
  void StopAndJoin();

 private:
  struct Job {
    std::uint64_t connection = 0;
    Request request;
  };
  void Run();
  Response Call(const Request& request) const;

  Handler handler_;
  Finished finished_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hs::http
