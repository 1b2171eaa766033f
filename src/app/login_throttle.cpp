#include "app/login_throttle.hpp"

#include <algorithm>

namespace hs::app {

namespace {
std::string EmailKey(const std::string& email) {
  return "e " + email;
}
std::string AddressKey(const std::string& address) {
  return "a " + address;
}
std::string PairKey(const std::string& email, const std::string& address) {
  return "p " + address + " " + email;
}
}  // namespace

std::chrono::milliseconds WaitOf(const FailureRecord& record, int free,
                                 const ThrottleSettings& settings, Instant now) {
  if (record.failures < free) return std::chrono::milliseconds{0};
  const int doublings = std::min(record.failures - free, 30);
  const auto wait = std::min<std::chrono::milliseconds>(settings.first_wait * (1LL << doublings),
                                                        settings.max_wait);
  const auto left = record.last_failure + wait - now;
  return std::max(std::chrono::milliseconds{0}, left);
}

std::chrono::milliseconds WaitBeforeAttempt(const AttemptRecords& records,
                                            const ThrottleSettings& settings, Instant now) {
  auto wait = std::max(WaitOf(records.pair, settings.free_per_email, settings, now),
                       WaitOf(records.address, settings.free_per_address, settings, now));
  if (records.pair.failures > 0) {
    wait = std::max(wait, WaitOf(records.email, settings.free_per_email, settings, now));
  }
  return wait;
}

LoginThrottle::LoginThrottle(ThrottleSettings settings) : settings_(settings) {}

std::chrono::milliseconds LoginThrottle::Admit(const std::string& email, const std::string& address,
                                               Instant now) {
  std::lock_guard lock(mutex_);
  DropOld(now);
  const AttemptRecords records{Find(EmailKey(email)), Find(AddressKey(address)),
                               Find(PairKey(email, address))};
  const auto wait = WaitBeforeAttempt(records, settings_, now);
  if (wait.count() > 0) return wait;
  CountFailure(EmailKey(email), now);
  CountFailure(AddressKey(address), now);
  CountFailure(PairKey(email, address), now);
  DropOld(now);
  return wait;
}

void LoginThrottle::Succeeded(const std::string& email, const std::string& address) {
  std::lock_guard lock(mutex_);
  const int own = Find(PairKey(email, address)).failures;
  Uncount(EmailKey(email), own);
  Uncount(AddressKey(address), own);
  Erase(PairKey(email, address));
}

void LoginThrottle::Withdraw(const std::string& email, const std::string& address) {
  std::lock_guard lock(mutex_);
  Uncount(EmailKey(email), 1);
  Uncount(AddressKey(address), 1);
  Uncount(PairKey(email, address), 1);
}

std::size_t LoginThrottle::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

FailureRecord LoginThrottle::Find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? FailureRecord{} : it->second->record;
}

void LoginThrottle::CountFailure(const std::string& key, Instant now) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    entries_.push_front(Entry{key, {}});
    it = index_.emplace(key, entries_.begin()).first;
  } else {
    entries_.splice(entries_.begin(), entries_, it->second);
  }
  ++it->second->record.failures;
  it->second->record.last_failure = now;
}

void LoginThrottle::Uncount(const std::string& key, int failures) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  it->second->record.failures -= failures;
  if (it->second->record.failures <= 0) Erase(key);
}

void LoginThrottle::Erase(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  entries_.erase(it->second);
  index_.erase(it);
}

// The list is ordered by the last failure, so the quiet keys are at its end.
void LoginThrottle::DropOld(Instant now) {
  while (!entries_.empty() &&
         (entries_.size() > settings_.max_keys ||
          now - entries_.back().record.last_failure > settings_.forget_after)) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
}

ConcurrencyLimit::ConcurrencyLimit(int slots) : slots_(std::max(1, slots)) {}

ConcurrencyLimit::Slot::Slot(ConcurrencyLimit& limit, std::chrono::milliseconds wait)
    : limit_(limit), held_(limit.Acquire(wait)) {}

ConcurrencyLimit::Slot::~Slot() {
  if (held_) limit_.Release();
}

bool ConcurrencyLimit::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait, [this] { return in_use_ < slots_; })) return false;
  ++in_use_;
  peak_ = std::max(peak_, in_use_);
  return true;
}

void ConcurrencyLimit::Release() {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
  }
  freed_.notify_one();
}

int ConcurrencyLimit::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

int ConcurrencyLimit::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace hs::app
