#pragma once
// The customer's contact in sevdesk, brought up to date before the voucher (ADR 0003, 0010,
// 0012): the contact itself, then its billing address and its e-mail. Every create follows a
// durable mark (`creating`, `pending:<value>`); an attempt that finds such a mark looks the object
// up first, adopts only an exact match, and concludes "absent" only after the settle time.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/paced_gateway.hpp"
#include "app/transfer_policy.hpp"
#include "app/transfer_writer.hpp"
#include "domain/customer.hpp"

namespace hs::app {

// ---------------------------------------------------------------- pure parts

ContactData ContactDataOf(const domain::Customer& customer, const std::string& customer_number);
// The link of a customer that has none yet: the stable key "HS-<customer number>".
ContactLink NewContactLink(std::int64_t school_id, const domain::Customer& customer);
// "street|zip|city|country": what the link remembers as synced.
std::string AddressFingerprint(const domain::Address& a);
// The id of the found address that is the customer's (street, postcode and city: the country is
// mapped to sevdesk's ids lossily); an older address of the contact is not the one we created.
std::optional<std::string> MatchingAddress(const std::vector<FoundAddress>& found,
                                           const domain::Address& wanted);
std::optional<std::string> MatchingEmail(const std::vector<FoundEmail>& found,
                                         const std::string& wanted);

// ---------------------------------------------------------------- the sync

class ContactSync {
 public:
  ContactSync(PacedGateway& gateway, TransferWriter& writer, const Clock& clock,
              std::chrono::milliseconds settle, const domain::Customer& customer, ContactLink link,
              bool may_change_existing = false);

  // nullopt: the contact is in sync (see link()); otherwise how the attempt ends.
  std::optional<Outcome> Sync();
  const ContactLink& link() const { return link_; }
  // How a refused request that named the contact ends the attempt. When sevdesk no longer knows
  // the contact (deleted there, or the token now belongs to another account), the link is
  // forgotten, so that "Erneut versuchen" creates the contact again.
  Outcome Refused(const Error& e);

 private:
  // A detail that sevdesk keeps as an object of the contact (billing address, e-mail): created
  // once per value, "pending:<value>" while a create may be in flight.
  struct Detail {
    std::string wanted;                // the value's fingerprint; empty: nothing to sync
    std::string ContactLink::*synced;  // the fingerprint last synced, or "pending:..."
    std::string ContactLink::*id;      // sevdesk's id of the object
    std::function<Result<std::optional<std::string>>()> find_exact;
    std::function<Result<std::string>(const PacedGateway::Mark&)> create;
    const char* event_kind;
    const char* event_message;
  };

  std::optional<Outcome> SyncContact();
  std::optional<Outcome> AdoptContact();
  std::optional<Outcome> CreateContact();
  std::optional<Outcome> UpdateContact();
  std::optional<Outcome> SyncDetail(const Detail& d);
  Detail Address();
  Detail Email();
  // A create failed: when sevdesk certainly did not apply it, the next look-up that finds nothing
  // is conclusive at once (no settle time).
  Outcome FailedCreate(const Error& e);
  std::optional<Outcome> SaveLink(const std::string& event_kind, const std::string& message);
  bool Settled() const;
  Status MarkLink();

  PacedGateway& gateway_;
  TransferWriter& writer_;
  const Clock& clock_;
  std::chrono::milliseconds settle_;
  // A contact the Kundenabgleich linked was there before us: changed only with the school's
  // consent ("Kontaktdaten in sevdesk aktualisieren").
  bool may_change_existing_;
  const domain::Customer& customer_;
  ContactData contact_;
  ContactLink link_;
};

}  // namespace hs::app
