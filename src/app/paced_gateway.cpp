#include "app/paced_gateway.hpp"

#include <algorithm>

#include "app/transfer_policy.hpp"

namespace hs::app {

std::chrono::milliseconds RateLimiter::Reserve(std::int64_t school_id, Instant now) {
  std::lock_guard lock(mutex_);
  Bucket& b = buckets_[school_id];
  if (!b.init) {
    b.tokens = burst_;
    b.refilled = now;
    b.init = true;
  }
  const double elapsed_s = std::chrono::duration<double>(now - b.refilled).count();
  if (elapsed_s > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed_s * rate_);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  const double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(wait_s * 1000.0) + 1);
}

Status PacedGateway::Pace() {
  for (;;) {
    if (sleeper_.Stopping()) {
      return Fail(ErrorCode::kUnavailable, std::string(kStoppingReason),
                  "Der Dienst wird beendet.");
    }
    const auto wait = limiter_.Reserve(school_id_, clock_.Now());
    if (wait.count() == 0) return {};
    sleeper_.Sleep(wait);
  }
}

Result<std::optional<ContactRef>> PacedGateway::FindContact(const std::string& customer_number) {
  return Paced([&] { return inner_.FindContact(token_, customer_number); });
}

Result<std::string> PacedGateway::CreateContact(const Mark& mark, const ContactData& c) {
  return PacedCreate(mark, [&] { return inner_.CreateContact(token_, c); });
}

Status PacedGateway::UpdateContact(const std::string& contact_id, const ContactData& c) {
  return Paced([&] { return inner_.UpdateContact(token_, contact_id, c); });
}

Result<std::vector<FoundAddress>> PacedGateway::FindAddresses(const std::string& contact_id) {
  return Paced([&] { return inner_.FindAddresses(token_, contact_id); });
}

Result<std::string> PacedGateway::CreateAddress(const Mark& mark, const std::string& contact_id,
                                                const ContactData& c) {
  return PacedCreate(mark, [&] { return inner_.CreateAddress(token_, contact_id, c); });
}

Result<std::vector<FoundEmail>> PacedGateway::FindEmails(const std::string& contact_id) {
  return Paced([&] { return inner_.FindEmails(token_, contact_id); });
}

Result<std::string> PacedGateway::CreateEmail(const Mark& mark, const std::string& contact_id,
                                              const std::string& email) {
  return PacedCreate(mark, [&] { return inner_.CreateEmail(token_, contact_id, email); });
}

// One turn for the whole directory: its pages follow each other closely, but it is read once per
// run of the Kundenabgleich, not per transfer.
Result<ContactDirectory> PacedGateway::ListContacts(int page_size) {
  return Paced([&] { return inner_.ListContacts(token_, page_size); });
}

Result<std::string> PacedGateway::UploadDocument(const std::string& file_name,
                                                 const std::string& bytes) {
  return Paced([&] { return inner_.UploadDocument(token_, file_name, bytes); });
}

Result<SavedVoucher> PacedGateway::SaveVoucher(const Mark& mark, const VoucherData& v) {
  return PacedCreate(mark, [&] { return inner_.SaveVoucher(token_, v); });
}

Result<std::vector<FoundVoucher>> PacedGateway::FindVouchers(const std::string& description) {
  return Paced([&] { return inner_.FindVouchers(token_, description); });
}

}  // namespace hs::app
