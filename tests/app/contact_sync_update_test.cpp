// ContactSync with a fake sevdesk (issue 15): a changed address or e-mail is changed in place in
// the object the link remembers; only when sevdesk no longer has it is a new one created, behind
// its durable "pending:" mark. The link and the events go to the world's real SQLite database
// through the TransferWriter of a claimed transfer.
#include <functional>
#include <map>

#include "app/contact_sync.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using namespace std::chrono_literals;

Error DetailGone() {
  return Error{ErrorCode::kInvalidArgument,
               std::string(sevdesk_reason::kDetailGone),
               "No Model_ContactAddress with the id 1 was found",
               {},
               std::nullopt};
}

Error Uncertain() {
  return Error{ErrorCode::kUnavailable,
               std::string(sevdesk_reason::kUncertain),
               "sevdesk hat nicht rechtzeitig geantwortet.",
               {},
               std::nullopt};
}

// The contact's addresses and e-mails in memory; every call is logged ("UpdateAddress a1").
class FakeSevdesk final : public SevdeskGateway {
 public:
  Result<std::string> BookkeepingVersion(const std::string&) override { return "2.0"; }
  Result<SevdeskAccountInfo> Inspect(const std::string&) override { return SevdeskAccountInfo{}; }
  Result<std::optional<ContactRef>> FindContact(const std::string&, const std::string&) override {
    return std::nullopt;
  }
  Result<std::string> CreateContact(const std::string&, const ContactData&) override {
    return "c1";
  }
  Status UpdateContact(const std::string&, const std::string&, const ContactData&) override {
    return {};
  }
  Result<std::vector<FoundAddress>> FindAddresses(const std::string&, const std::string&) override {
    calls.push_back("FindAddresses");
    std::vector<FoundAddress> out;
    for (const auto& [id, a] : addresses) out.push_back({id, a});
    return out;
  }
  Result<std::string> CreateAddress(const std::string&, const std::string&,
                                    const ContactData& c) override {
    calls.push_back("CreateAddress");
    if (on_create) on_create();
    const std::string id = "a" + std::to_string(++next_id);
    addresses[id] = c.address;
    return id;
  }
  Status UpdateAddress(const std::string&, const std::string& id, const ContactData& c) override {
    calls.push_back("UpdateAddress " + id);
    if (update_error) return tl::unexpected(*update_error);
    if (!addresses.contains(id)) return tl::unexpected(DetailGone());
    addresses[id] = c.address;
    return {};
  }
  Result<std::vector<FoundEmail>> FindEmails(const std::string&, const std::string&) override {
    calls.push_back("FindEmails");
    std::vector<FoundEmail> out;
    for (const auto& [id, e] : emails) out.push_back({id, e});
    return out;
  }
  Result<std::string> CreateEmail(const std::string&, const std::string&,
                                  const std::string& email) override {
    calls.push_back("CreateEmail");
    if (on_create) on_create();
    const std::string id = "e" + std::to_string(++next_id);
    emails[id] = email;
    return id;
  }
  Status UpdateEmail(const std::string&, const std::string& id, const std::string& email) override {
    calls.push_back("UpdateEmail " + id);
    if (update_error) return tl::unexpected(*update_error);
    if (!emails.contains(id)) return tl::unexpected(DetailGone());
    emails[id] = email;
    return {};
  }
  Result<std::string> UploadDocument(const std::string&, const std::string&,
                                     const std::string&) override {
    return "f.pdf";
  }
  Result<SavedVoucher> SaveVoucher(const std::string&, const VoucherData&) override {
    return SavedVoucher{"v1", {}, {}, {}};
  }
  Result<std::vector<FoundVoucher>> FindVouchers(const std::string&, const std::string&) override {
    return std::vector<FoundVoucher>{};
  }

  std::map<std::string, domain::Address> addresses;
  std::map<std::string, std::string> emails;
  std::vector<std::string> calls;
  std::optional<Error> update_error;
  std::function<void()> on_create;  // runs as a create is sent
  int next_id = 1;
};

class NoWait final : public Sleeper {
 public:
  bool Stopping() const override { return false; }
  void Sleep(std::chrono::milliseconds) override {}
};

const domain::Address kOld{"Hauptstraße 5", "20095", "Hamburg", "DE"};
const domain::Address kNew{"Birkenweg 2", "80331", "München", "DE"};

class ContactSyncUpdateTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    school_ = NewSchool("Pfote");
    Connect(school_, kTokenA);
    customer_ = NewCustomer(school_.school_id, "Umzug", "alt@example.org");
    fake_.addresses["a1"] = kOld;
    fake_.emails["e1"] = "alt@example.org";
    // The customer was transferred before with address a1 and e-mail e1.
    link_ = NewContactLink(school_.school_id, customer_);
    link_.contact_id = "c1";
    link_.address_id = "a1";
    link_.email_id = "e1";
    link_.synced_address = AddressFingerprint(kOld);
    link_.synced_email = "alt@example.org";
    link_.synced_version = customer_.version;
  }

  // The customer moved and changed the e-mail address.
  void Move() {
    customer_.address = kNew;
    customer_.email = "neu@example.org";
  }

  // One sync as an attempt runs it: on a claimed transfer, the link saved by its writer.
  std::optional<Outcome> Sync() {
    if (!transfer_) {
      Finalize(school_.school_id, customer_.id);
      transfer_ = ClaimAs("contact-sync-test");
      EXPECT_TRUE(transfer_);
    }
    TransferWriter writer(*db_, *clock_, options_.settings, *transfer_);
    RateLimiter limiter(1000, 1000);
    NoWait sleeper;
    PacedGateway gateway(fake_, limiter, *clock_, sleeper, school_.school_id, kTokenA);
    ContactSync sync(gateway, writer, *clock_, 60s, customer_, link_);
    auto end = sync.Sync();
    link_ = sync.link();
    return end;
  }

  std::vector<std::string> EventKinds() {
    auto uow = db_->Begin(TxKind::kRead);
    EXPECT_TRUE(uow);
    auto events = (*uow)->Sevdesk().Events(transfer_->id);
    EXPECT_TRUE(events);
    std::vector<std::string> kinds;
    for (const auto& e : events.value_or(std::vector<TransferEvent>{})) {
      if (e.kind != "queued" && e.kind != "started") kinds.push_back(e.kind);
    }
    return kinds;
  }

  Principal school_;
  domain::Customer customer_;
  ContactLink link_;
  FakeSevdesk fake_;
  std::optional<Transfer> transfer_;
};

TEST_F(ContactSyncUpdateTest, AMoveChangesTheObjectsWeCreatedInPlace) {
  Move();
  ASSERT_EQ(Sync(), std::nullopt);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"UpdateAddress a1", "UpdateEmail e1"}));
  ASSERT_EQ(fake_.addresses.size(), 1u);
  EXPECT_EQ(fake_.addresses["a1"].street, "Birkenweg 2");
  ASSERT_EQ(fake_.emails.size(), 1u);
  EXPECT_EQ(fake_.emails["e1"], "neu@example.org");
  const auto stored = LinkOf(school_.school_id, customer_.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->address_id, "a1");
  EXPECT_EQ(stored->email_id, "e1");
  EXPECT_EQ(stored->synced_address, AddressFingerprint(kNew));
  EXPECT_EQ(stored->synced_email, "neu@example.org");
  // No create, so no create mark and nothing to settle.
  EXPECT_FALSE(stored->create_sent_at);
  EXPECT_EQ(EventKinds(), (std::vector<std::string>{"address_updated", "email_updated"}));
  // In sync now: the next attempt sends nothing.
  fake_.calls.clear();
  ASSERT_EQ(Sync(), std::nullopt);
  EXPECT_TRUE(fake_.calls.empty());
}

// The school deleted the address and the e-mail in sevdesk: new ones are created, each behind
// its durable "pending:" mark, as for a first transfer.
TEST_F(ContactSyncUpdateTest, AnObjectDeletedInSevdeskIsCreatedAgainBehindItsMark) {
  fake_.addresses.clear();
  fake_.emails.clear();
  Move();
  std::vector<ContactLink> at_create;
  fake_.on_create = [&] { at_create.push_back(*LinkOf(school_.school_id, customer_.id)); };
  ASSERT_EQ(Sync(), std::nullopt);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"UpdateAddress a1", "CreateAddress",
                                                   "UpdateEmail e1", "CreateEmail"}));
  ASSERT_EQ(at_create.size(), 2u);
  EXPECT_EQ(at_create[0].synced_address, "pending:" + AddressFingerprint(kNew));
  EXPECT_EQ(at_create[0].address_id, "");
  EXPECT_TRUE(at_create[0].create_sent_at);
  EXPECT_EQ(at_create[1].synced_email, "pending:neu@example.org");
  EXPECT_EQ(at_create[1].email_id, "");
  const auto stored = LinkOf(school_.school_id, customer_.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->address_id, "a2");
  EXPECT_EQ(stored->email_id, "e3");
  EXPECT_EQ(stored->synced_address, AddressFingerprint(kNew));
  EXPECT_EQ(stored->synced_email, "neu@example.org");
  EXPECT_EQ(EventKinds(), (std::vector<std::string>{"address_synced", "email_synced"}));
}

// An update that may or may not have been applied leaves the link at the old value (no mark):
// the next attempt sends the same update again, which changes nothing more.
TEST_F(ContactSyncUpdateTest, AnUncertainUpdateIsSentAgainNeverCreated) {
  Move();
  fake_.update_error = Uncertain();
  const auto end = Sync();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->ending, Ending::kTransient);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"UpdateAddress a1"}));
  EXPECT_EQ(link_.synced_address, AddressFingerprint(kOld));
  EXPECT_EQ(link_.address_id, "a1");
  fake_.update_error.reset();
  fake_.calls.clear();
  ASSERT_EQ(Sync(), std::nullopt);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"UpdateAddress a1", "UpdateEmail e1"}));
  EXPECT_EQ(fake_.addresses.size(), 1u);
  EXPECT_EQ(fake_.emails.size(), 1u);
}

// Without a known object holding a known value, nothing is changed in place: after a "pending:"
// mark the create may not have happened (look it up), without an id there is nothing to change.
TEST_F(ContactSyncUpdateTest, OnlyAKnownObjectWithAKnownValueIsChangedInPlace) {
  struct Row {
    const char* name;
    std::string synced;
    std::string id;
    std::vector<std::string> calls;
  };
  const std::vector<Row> rows = {
      {"pending create of the new value",
       "pending:" + AddressFingerprint(kNew),
       "a1",
       {"FindAddresses"}},
      {"adopted contact, address unknown", "pending:", "", {"FindAddresses", "CreateAddress"}},
      {"no id", AddressFingerprint(kOld), "", {"CreateAddress"}},
      {"nothing synced yet", "", "a1", {"CreateAddress"}},
  };
  Move();
  customer_.email = "alt@example.org";  // only the address differs
  const ContactLink before = link_;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    fake_.calls.clear();
    fake_.addresses = {{"a1", kOld}};
    if (row.name == rows[0].name) fake_.addresses["a9"] = kNew;  // the pending create happened
    link_ = before;
    // Each row starts from the stored link (its writes count the revision on).
    if (auto stored = LinkOf(school_.school_id, customer_.id)) link_.revision = stored->revision;
    link_.synced_address = row.synced;
    link_.address_id = row.id;
    ASSERT_EQ(Sync(), std::nullopt);
    EXPECT_EQ(fake_.calls, row.calls);
    EXPECT_EQ(link_.synced_address, AddressFingerprint(kNew));
    EXPECT_FALSE(link_.address_id.empty());
  }
}

}  // namespace
}  // namespace hs::app::testing
