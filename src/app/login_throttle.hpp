#pragma once
// Throttling of failed logins per e-mail, per client address and per pair of both (docs/
// architecture.md, "Login throttling"). Waits grow with the failures instead of a fixed lock-out,
// a client without failures is never held back by the failures of others, and the state is
// bounded in size and forgets quiet keys.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/date.hpp"

namespace hs::app {

struct ThrottleSettings {
  int free_per_email = 5;     // failures of one e-mail (from one client) before waits begin
  int free_per_address = 20;  // failures of one client address over all e-mails
  std::chrono::seconds first_wait{15};     // after the free failures; doubles with each more
  std::chrono::seconds max_wait{15 * 60};  // the longest wait
  std::chrono::minutes forget_after{60};   // a key without a failure for this long is dropped
  std::size_t max_keys = 10000;            // beyond this the longest quiet keys are dropped
};

// The failures of one key: an e-mail, a client address, or an e-mail from a client address.
struct FailureRecord {
  int failures = 0;
  Instant last_failure{};
};

// The wait a record imposes at `now`: none up to `free` failures, then `first_wait` doubled with
// each further failure (at most `max_wait`), counted from the last failure.
std::chrono::milliseconds WaitOf(const FailureRecord& record, int free,
                                 const ThrottleSettings& settings, Instant now);

struct AttemptRecords {
  FailureRecord email;    // this e-mail, from every client
  FailureRecord address;  // this client, for every e-mail
  FailureRecord pair;     // this e-mail from this client
};

// How long an attempt must wait before it may be checked (zero: now). The pair waits after
// `free_per_email` failures, the client after `free_per_address`. The e-mail's own record holds
// back only clients that failed for this e-mail themselves: a client without failures may always
// try, so the owner logs in from her device while someone else guesses her password.
std::chrono::milliseconds WaitBeforeAttempt(const AttemptRecords& records,
                                            const ThrottleSettings& settings, Instant now);

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottleSettings settings = {});

  // Admits an attempt and counts it as failed at once, so that parallel attempts see each other
  // (zero returned); or returns the wait and counts nothing.
  std::chrono::milliseconds Admit(const std::string& email, const std::string& address,
                                  Instant now);
  // An admitted attempt succeeded: the failures of this client for this e-mail (this attempt
  // included) are taken back from all three records; other clients' failures stay.
  void Succeeded(const std::string& email, const std::string& address);
  // An admitted attempt could not be checked (e.g. the database was unavailable): it does not
  // count.
  void Withdraw(const std::string& email, const std::string& address);
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    FailureRecord record;
  };
  using Entries = std::list<Entry>;  // most recently failed first

  FailureRecord Find(const std::string& key) const;
  void CountFailure(const std::string& key, Instant now);
  void Uncount(const std::string& key, int failures);
  void Erase(const std::string& key);
  void DropOld(Instant now);

  ThrottleSettings settings_;
  mutable std::mutex mutex_;
  Entries entries_;
  std::unordered_map<std::string, Entries::iterator> index_;
};

// Bounds how many password checks run at once (argon2id holds its memory for the whole check).
class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(int slots);

  // A slot, held until destruction; empty when none became free within the wait.
  class Slot {
   public:
    Slot(ConcurrencyLimit& limit, std::chrono::milliseconds wait);
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    explicit operator bool() const { return held_; }

   private:
    ConcurrencyLimit& limit_;
    bool held_ = false;
  };

  int in_use() const;
  int peak() const;  // the most slots ever held at once

 private:
  bool Acquire(std::chrono::milliseconds wait);
  void Release();

  const int slots_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int in_use_ = 0;
  int peak_ = 0;
};

}  // namespace hs::app
