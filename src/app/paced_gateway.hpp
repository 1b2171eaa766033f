#pragma once
// The sevdesk calls of one transfer, paced by its school's token bucket (ADR 0012). A create is
// paced first, then marked, then sent: a process that lost its lease while it waited for its
// turn stops at the fenced mark and creates nothing (ADR 0006).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "app/sevdesk_ports.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace hs::app {

// A per-school token bucket (calls per second with a burst).
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst) {}
  // How long to wait before a call may go out; reserves the token when the answer is zero.
  std::chrono::milliseconds Reserve(std::int64_t school_id, Instant now);

 private:
  struct Bucket {
    double tokens = 0;
    Instant refilled{};
    bool init = false;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::map<std::int64_t, Bucket> buckets_;
};

// How a paced call waits for its turn. The engine's wakes early when it stops; a test's moves a
// fake clock on, so pacing costs no wall time.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual bool Stopping() const = 0;
  // Waits up to `how_long` (less when stopping).
  virtual void Sleep(std::chrono::milliseconds how_long) = 0;
};

class PacedGateway {
 public:
  // The durable mark before a create; the create is not sent when it fails.
  using Mark = std::function<Status()>;

  PacedGateway(SevdeskGateway& inner, RateLimiter& limiter, const Clock& clock, Sleeper& sleeper,
               std::int64_t school_id, std::string token)
      : inner_(inner),
        limiter_(limiter),
        clock_(clock),
        sleeper_(sleeper),
        school_id_(school_id),
        token_(std::move(token)) {}

  // Waits for the school's next token; fails with kStoppingReason when the engine stops first.
  Status Pace();

  Result<std::optional<ContactRef>> FindContact(const std::string& customer_number);
  Result<std::string> CreateContact(const Mark& mark, const ContactData& c);
  Status UpdateContact(const std::string& contact_id, const ContactData& c);
  Result<std::vector<FoundAddress>> FindAddresses(const std::string& contact_id);
  Result<std::string> CreateAddress(const Mark& mark, const std::string& contact_id,
                                    const ContactData& c);
  Result<std::vector<FoundEmail>> FindEmails(const std::string& contact_id);
  Result<std::string> CreateEmail(const Mark& mark, const std::string& contact_id,
                                  const std::string& email);
  Result<ContactDirectory> ListContacts(int page_size);
  Result<std::string> UploadDocument(const std::string& file_name, const std::string& bytes);
  Result<SavedVoucher> SaveVoucher(const Mark& mark, const VoucherData& v);
  Result<std::vector<FoundVoucher>> FindVouchers(const std::string& description);

 private:
  template <class Request>
  auto Paced(Request&& request) -> decltype(request()) {
    if (auto st = Pace(); !st) return tl::unexpected(st.error());
    return request();
  }
  template <class Request>
  auto PacedCreate(const Mark& mark, Request&& request) -> decltype(request()) {
    if (auto st = Pace(); !st) return tl::unexpected(st.error());
    if (auto st = mark(); !st) return tl::unexpected(st.error());
    return request();
  }

  SevdeskGateway& inner_;
  RateLimiter& limiter_;
  const Clock& clock_;
  Sleeper& sleeper_;
  std::int64_t school_id_;
  std::string token_;
};

}  // namespace hs::app
