#include "app/contact_sync.hpp"

namespace hs::app {

namespace {

constexpr std::string_view kPending = "pending:";

bool IsPending(const std::string& synced) {
  return synced.rfind(kPending, 0) == 0;
}

}  // namespace

ContactData ContactDataOf(const domain::Customer& customer, const std::string& customer_number) {
  ContactData c;
  c.kind = customer.kind;
  c.name = customer.company_name;
  c.first_name = customer.first_name;
  c.last_name = customer.last_name;
  c.customer_number = customer_number;
  c.address = customer.address;
  c.email = customer.email;
  return c;
}

ContactLink NewContactLink(std::int64_t school_id, const domain::Customer& customer) {
  ContactLink link;
  link.school_id = school_id;
  link.customer_id = customer.id;
  link.customer_number = "HS-" + std::to_string(customer.customer_number);
  return link;
}

std::string AddressFingerprint(const domain::Address& a) {
  return a.street + "|" + a.zip + "|" + a.city + "|" + a.country;
}

std::optional<std::string> MatchingAddress(const std::vector<FoundAddress>& found,
                                           const domain::Address& wanted) {
  for (const auto& a : found) {
    if (a.address.street == wanted.street && a.address.zip == wanted.zip &&
        a.address.city == wanted.city) {
      return a.id;
    }
  }
  return std::nullopt;
}

std::optional<std::string> MatchingEmail(const std::vector<FoundEmail>& found,
                                         const std::string& wanted) {
  for (const auto& e : found) {
    if (e.value == wanted) return e.id;
  }
  return std::nullopt;
}

ContactSync::ContactSync(PacedGateway& gateway, TransferWriter& writer, const Clock& clock,
                         std::chrono::milliseconds settle, const domain::Customer& customer,
                         ContactLink link, bool may_change_existing)
    : gateway_(gateway),
      writer_(writer),
      clock_(clock),
      settle_(settle),
      may_change_existing_(may_change_existing),
      customer_(customer),
      contact_(ContactDataOf(customer, link.customer_number)),
      link_(std::move(link)) {}

std::optional<Outcome> ContactSync::Sync() {
  if (auto end = SyncContact()) return end;
  if (link_.origin == LinkOrigin::kMatched && !may_change_existing_) return std::nullopt;
  // Changed since the last sync (also an adopted contact created from an older version).
  if (auto end = UpdateContact()) return end;
  if (auto end = SyncDetail(Address())) return end;
  return SyncDetail(Email());
}

std::optional<Outcome> ContactSync::SyncContact() {
  if (!link_.contact_id.empty()) return std::nullopt;
  if (link_.creating) {
    if (auto end = AdoptContact()) return end;
    if (!link_.contact_id.empty()) return std::nullopt;
  }
  return CreateContact();
}

// A create may have happened: look it up by the stable customer number first.
std::optional<Outcome> ContactSync::AdoptContact() {
  auto found = gateway_.FindContact(link_.customer_number);
  if (!found) return OutcomeOf(found.error());
  if (!*found) {
    if (!Settled()) return Settling(*link_.create_sent_at + settle_);
    return std::nullopt;
  }
  link_.contact_id = (*found)->id;
  link_.creating = false;
  link_.create_sent_at.reset();  // the uncertain create is resolved
  // Its address and e-mail are unknown: look them up before creating them.
  link_.synced_address = std::string(kPending);
  link_.synced_email = std::string(kPending);
  return SaveLink("contact_adopted",
                  "Vorhandenen sevdesk-Kontakt " + link_.contact_id + " übernommen.");
}

std::optional<Outcome> ContactSync::CreateContact() {
  link_.creating = true;
  // The version whose data this create sends: an adopted contact carries it.
  link_.synced_version = customer_.version;
  link_.create_sent_at = clock_.Now();
  auto created = gateway_.CreateContact([this] { return MarkLink(); }, contact_);
  if (!created) return FailedCreate(created.error());
  link_.contact_id = *created;
  link_.creating = false;
  link_.create_sent_at.reset();
  link_.synced_version = customer_.version;
  return SaveLink("contact_created", "sevdesk-Kontakt " + link_.contact_id + " angelegt.");
}

std::optional<Outcome> ContactSync::UpdateContact() {
  if (link_.synced_version >= customer_.version) return std::nullopt;
  auto updated = gateway_.UpdateContact(link_.contact_id, contact_);
  if (!updated) return Refused(updated.error());
  link_.synced_version = customer_.version;
  return SaveLink("contact_updated", "sevdesk-Kontakt aktualisiert.");
}

// The one routine for the address and the e-mail.
std::optional<Outcome> ContactSync::SyncDetail(const Detail& d) {
  if (d.wanted.empty() || link_.*d.synced == d.wanted) return std::nullopt;
  bool adopted = false;
  if (IsPending(link_.*d.synced)) {
    auto found = d.find_exact();
    if (!found) return OutcomeOf(found.error());
    if (*found) {
      link_.*d.id = **found;
      link_.create_sent_at.reset();
      adopted = true;
    } else if (!Settled()) {
      return Settling(*link_.create_sent_at + settle_);
    }
  }
  if (!adopted) {
    link_.*d.synced = std::string(kPending) + d.wanted;
    link_.create_sent_at = clock_.Now();
    auto id = d.create([this] { return MarkLink(); });
    if (!id) return FailedCreate(id.error());
    link_.*d.id = *id;
    link_.create_sent_at.reset();
  }
  link_.*d.synced = d.wanted;
  return SaveLink(d.event_kind, d.event_message);
}

ContactSync::Detail ContactSync::Address() {
  const domain::Address& a = customer_.address;
  const bool has_address = !a.street.empty() || !a.city.empty();
  return Detail{
      has_address ? AddressFingerprint(a) : std::string{},
      &ContactLink::synced_address,
      &ContactLink::address_id,
      [this]() -> Result<std::optional<std::string>> {
        auto found = gateway_.FindAddresses(link_.contact_id);
        if (!found) return tl::unexpected(found.error());
        return MatchingAddress(*found, customer_.address);
      },
      [this](const PacedGateway::Mark& mark) {
        return gateway_.CreateAddress(mark, link_.contact_id, contact_);
      },
      "address_synced",
      "Rechnungsanschrift in sevdesk eingetragen.",
  };
}

ContactSync::Detail ContactSync::Email() {
  return Detail{
      customer_.email,
      &ContactLink::synced_email,
      &ContactLink::email_id,
      [this]() -> Result<std::optional<std::string>> {
        auto found = gateway_.FindEmails(link_.contact_id);
        if (!found) return tl::unexpected(found.error());
        return MatchingEmail(*found, customer_.email);
      },
      [this](const PacedGateway::Mark& mark) {
        return gateway_.CreateEmail(mark, link_.contact_id, customer_.email);
      },
      "email_synced",
      "E-Mail-Adresse in sevdesk eingetragen.",
  };
}

Outcome ContactSync::FailedCreate(const Error& e) {
  if (CertainlyNotApplied(e) && link_.create_sent_at) {
    link_.create_sent_at.reset();
    (void)writer_.SaveLink(link_);
  }
  return OutcomeOf(e);
}

Outcome ContactSync::Refused(const Error& e) {
  Outcome o = OutcomeOf(e);
  if (!IsRejection(e, sevdesk_reason::kContactGone)) return o;
  const std::string stale = link_.contact_id;
  ContactLink fresh = NewContactLink(link_.school_id, customer_);
  if (link_.origin == LinkOrigin::kCreated) fresh.customer_number = link_.customer_number;
  fresh.revision = link_.revision;
  link_ = fresh;
  (void)writer_.SaveLink(link_, "contact_forgotten",
                         "Der sevdesk-Kontakt " + stale + " ist in sevdesk nicht mehr vorhanden.");
  o.hint =
      "Der Kunde ist in sevdesk nicht (mehr) vorhanden. „Erneut versuchen“ legt ihn in sevdesk "
      "neu an.";
  return o;
}

std::optional<Outcome> ContactSync::SaveLink(const std::string& event_kind,
                                             const std::string& message) {
  if (auto st = writer_.SaveLink(link_, event_kind, message); !st) return OutcomeOf(st.error());
  return std::nullopt;
}

// After an uncertain create, a look-up that finds nothing is conclusive only once sevdesk's
// search has had the settle time to show what the create made (ADR 0010).
bool ContactSync::Settled() const {
  return !link_.create_sent_at || clock_.Now() >= *link_.create_sent_at + settle_;
}

Status ContactSync::MarkLink() {
  return writer_.MarkLink(link_);
}

}  // namespace hs::app
