// Kundenabgleich (issue 15, ADR 0015) end to end in one process: the real client reads the
// sandbox account's existing contacts, the service stores the decisions, the engine waits for the
// school and then uses the contact the school chose. What sevdesk holds is read back from the
// sandbox: no contact created for a linked customer, none twice, none changed without consent.
#include <gtest/gtest.h>

#include "app/contact_sync.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

Json Person(const std::string& first, const std::string& last, const std::string& street,
            const std::string& zip, const std::string& city, const std::string& email = {}) {
  Json c = {{"surename", first},
            {"familyname", last},
            {"addresses", {{{"street", street}, {"zip", zip}, {"city", city}}}}};
  if (!email.empty()) c["communicationWays"] = {{{"type", "EMAIL"}, {"value", email}}};
  return c;
}

class ContactMatchingTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    school_ = NewSchool("Pfote");
  }

  void Seed(const Json& contacts) {
    Admin("POST", std::string("/accounts/") + kTokenA + "/contacts", {{"contacts", contacts}});
  }

  // A customer as NewCustomer makes it (Erika <last name>, Hauptstraße 5, 20095 Hamburg).
  domain::Customer Customer(const std::string& last_name, const std::string& email) {
    return NewCustomer(school_.school_id, last_name, email);
  }

  ContactMatchingService& Matching() { return sevdesk_->Matching(); }

  MatchOverview Overview() {
    auto o = Matching().Overview(school_.school_id);
    EXPECT_TRUE(o) << o.error().message;
    return o.value_or(MatchOverview{});
  }

  const MatchItem* ItemOf(const MatchOverview& o, std::int64_t customer_id) {
    for (const auto& item : o.items) {
      if (item.customer.id == customer_id) return &item;
    }
    return nullptr;
  }

  // The sevdesk contact a voucher was saved for.
  std::string SupplierOf(const std::string& voucher_id) {
    for (const auto& v : Vouchers(kTokenA)) {
      const Json& w = v["voucher"];
      if (w.value("id", "") == voucher_id) return w["supplier"].value("id", "");
    }
    return {};
  }

  Principal school_;
};

// The school's namesakes: two "Erika Zwilling" in other towns. The customer waits, nothing is
// created; "Verknüpfen" wakes the transfer, which uses the chosen contact and changes nothing.
TEST_F(ContactMatchingTest, AnAmbiguousCustomerWaitsForTheSchoolThenUsesTheChosenContact) {
  Seed(Json::array({Person("Erika", "Zwilling", "Am Bach 1", "10115", "Berlin"),
                    Person("Erika", "Zwilling", "Bergstraße 9", "80331", "München")}));
  Connect(school_, kTokenA);
  const auto customer = Customer("Zwilling", "erika@zwilling.example");
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "awaiting_match");
  EXPECT_EQ(Contacts(kTokenA).size(), 2u) << "nothing created while the school decides";
  EXPECT_FALSE(LinkOf(school_.school_id, customer.id));

  MatchOverview o = Overview();
  const MatchItem* item = ItemOf(o, customer.id);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->match.state, MatchState::kReview);
  EXPECT_EQ(item->waiting_receipts, 1);
  ASSERT_EQ(item->match.candidates.size(), 2u);
  const std::string chosen = item->match.candidates[1].contact_id;
  const Json before = Account(kTokenA);

  auto decided = Matching().Decide(school_, customer.id, MatchAction::kLink, chosen);
  ASSERT_TRUE(decided) << decided.error().message;
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(SupplierOf(TransferOf(school_.school_id, receipt)->voucher_id), chosen);
  const Json after = Account(kTokenA);
  EXPECT_EQ(after["contacts"], before["contacts"]) << "the linked contact is not changed";
  EXPECT_EQ(after["contactAddresses"], before["contactAddresses"]);
  EXPECT_EQ(after["communicationWays"], before["communicationWays"]);
  const auto link = LinkOf(school_.school_id, customer.id);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->contact_id, chosen);
  EXPECT_EQ(link->origin, LinkOrigin::kMatched);
}

// One contact with the same name, street, postal code and e-mail: linked without asking, and
// without the school's consent its data in sevdesk stays as it was.
TEST_F(ContactMatchingTest, AUniqueMatchIsLinkedOnActivationAndLeftAsItWas) {
  Seed(Json::array(
      {Person("Erika", "Eindeutig", "Hauptstraße 5", "20095", "Hamburg", "e@eindeutig.example"),
       Person("Karl", "Anders", "Weg 1", "50667", "Köln")}));
  const auto customer = Customer("Eindeutig", "e@eindeutig.example");
  Connect(school_, kTokenA);  // activating runs the Kundenabgleich
  const auto link = LinkOf(school_.school_id, customer.id);
  ASSERT_TRUE(link) << "linked on activation";
  EXPECT_EQ(link->origin, LinkOrigin::kMatched);
  const Json before = Account(kTokenA);
  // The customer moves: without consent nothing of this is written to the existing contact.
  ASSERT_TRUE(customers_->Update(school_.school_id, customer.id, [](domain::Customer& c) {
    c.address.street = "Neuer Weg 7";
    return Status{};
  }));
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(SupplierOf(TransferOf(school_.school_id, receipt)->voucher_id), link->contact_id);
  const Json after = Account(kTokenA);
  EXPECT_EQ(after["contacts"], before["contacts"]);
  EXPECT_EQ(after["contactAddresses"], before["contactAddresses"]);
  EXPECT_EQ(after["communicationWays"], before["communicationWays"]);
}

// With "Kontaktdaten in sevdesk aktualisieren: ja" the linked contact gets our address; the
// e-mail it already had is adopted, not added twice.
TEST_F(ContactMatchingTest, WithConsentTheLinkedContactGetsOurDataWithoutDuplicates) {
  Seed(Json::array({Person("Erika", "Zustimmung", "Alte Straße 1", "20095", "Hamburg",
                           "z@zustimmung.example")}));
  const auto customer = Customer("Zustimmung", "z@zustimmung.example");
  Connect(school_, kTokenA);
  auto settings = Matching().UpdateSettings(
      school_, {.auto_link = {}, .create_without_asking = {}, .update_contacts = true});
  ASSERT_TRUE(settings) << settings.error().message;
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  const Json account = Account(kTokenA);
  ASSERT_EQ(account["contacts"].size(), 1u);
  ASSERT_EQ(account["communicationWays"].size(), 1u) << "the e-mail it had is adopted";
  bool ours = false;
  for (const auto& a : account["contactAddresses"]) ours = ours || a["street"] == "Hauptstraße 5";
  EXPECT_TRUE(ours) << account["contactAddresses"].dump();
}

// No candidate at all: a new contact without asking, as before the Kundenabgleich.
TEST_F(ContactMatchingTest, ACustomerWithoutCandidatesGetsANewContactWithoutWaiting) {
  Seed(Json::array({Person("Karl", "Anders", "Weg 1", "50667", "Köln")}));
  Connect(school_, kTokenA);
  const auto customer = Customer("Neukunde", "neu@kunde.example");
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(Contacts(kTokenA).size(), 2u);
  EXPECT_EQ(LinkOf(school_.school_id, customer.id)->origin, LinkOrigin::kCreated);
}

// "Neue Kontakte ohne Rückfrage anlegen": nothing waits, the namesakes notwithstanding; switching
// it on wakes what waited.
TEST_F(ContactMatchingTest, CreatingWithoutAskingWakesWhatWaited) {
  Seed(Json::array({Person("Erika", "Zwilling", "Am Bach 1", "10115", "Berlin"),
                    Person("Erika", "Zwilling", "Bergstraße 9", "80331", "München")}));
  Connect(school_, kTokenA);
  const auto customer = Customer("Zwilling", "erika@zwilling.example");
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "awaiting_match");
  ASSERT_TRUE(Matching().UpdateSettings(
      school_, {.auto_link = {}, .create_without_asking = true, .update_contacts = {}}));
  Settle();
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(Contacts(kTokenA).size(), 3u);
}

// The decisions: "Später" keeps waiting, "Neu in sevdesk anlegen" creates; a link can be undone,
// a contact we created cannot; a decision never replaces a contact the engine created meanwhile.
TEST_F(ContactMatchingTest, DecisionsRespectWhatHappenedMeanwhile) {
  Seed(Json::array({Person("Erika", "Zwilling", "Am Bach 1", "10115", "Berlin"),
                    Person("Erika", "Zwilling", "Bergstraße 9", "80331", "München")}));
  Connect(school_, kTokenA);
  const auto customer = Customer("Zwilling", "erika@zwilling.example");
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  const std::string first = ItemOf(Overview(), customer.id)->match.candidates[0].contact_id;
  ASSERT_TRUE(Matching().Decide(school_, customer.id, MatchAction::kLater));
  Settle();
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "awaiting_match");
  EXPECT_EQ(ItemOf(Overview(), customer.id)->match.state, MatchState::kLater);

  ASSERT_TRUE(Matching().Decide(school_, customer.id, MatchAction::kLink, first));
  ASSERT_TRUE(Matching().Decide(school_, customer.id, MatchAction::kUnlink));
  EXPECT_FALSE(LinkOf(school_.school_id, customer.id));
  EXPECT_EQ(ItemOf(Overview(), customer.id)->match.state, MatchState::kReview);

  ASSERT_TRUE(Matching().Decide(school_, customer.id, MatchAction::kCreateNew));
  Settle();
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(Contacts(kTokenA).size(), 3u);
  // The customer has its own contact now: no link replaces it, and it cannot be unlinked.
  auto relink = Matching().Decide(school_, customer.id, MatchAction::kLink, first);
  ASSERT_FALSE(relink);
  EXPECT_EQ(relink.error().reason, "already_linked");
  auto unlink = Matching().Decide(school_, customer.id, MatchAction::kUnlink);
  ASSERT_FALSE(unlink);
  EXPECT_EQ(unlink.error().reason, "not_linked");
  // A contact that is not one of the candidates is refused; staff may not decide.
  const auto other = Customer("Zwilling", "zwei@zwilling.example");
  ASSERT_TRUE(Matching().Run(school_));
  auto unknown = Matching().Decide(school_, other.id, MatchAction::kLink, "999999");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  Principal staff = school_;
  staff.role = Role::kStaff;
  auto refused = Matching().Decide(staff, other.id, MatchAction::kCreateNew);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "owner_only");
}

// A link is written only over the revision it was read with: a stale writer (the engine after
// a decision, a decision after the engine) fails instead of overwriting.
TEST_F(ContactMatchingTest, AStaleLinkWriteConflictsInsteadOfOverwriting) {
  Connect(school_, kTokenA);
  const auto customer = Customer("Revision", "r@revision.example");
  auto uow = db_->Begin(TxKind::kWrite);
  ASSERT_TRUE(uow);
  ContactLink engine_view = NewContactLink(school_.school_id, customer);
  ContactLink school_view = engine_view;
  ASSERT_TRUE((*uow)->Sevdesk().SaveLink(school_view));
  EXPECT_EQ(school_view.revision, 1);
  auto stale_insert = (*uow)->Sevdesk().SaveLink(engine_view);
  ASSERT_FALSE(stale_insert);
  EXPECT_EQ(stale_insert.error().reason, kLinkChangedReason);
  school_view.contact_id = "77";
  ASSERT_TRUE((*uow)->Sevdesk().SaveLink(school_view));
  engine_view.revision = 1;  // read before the school's write
  auto stale_update = (*uow)->Sevdesk().SaveLink(engine_view);
  ASSERT_FALSE(stale_update);
  EXPECT_EQ(stale_update.error().reason, kLinkChangedReason);
  auto stale_delete = (*uow)->Sevdesk().DeleteLink(school_.school_id, customer.id, 1);
  ASSERT_TRUE(stale_delete);
  EXPECT_FALSE(*stale_delete);
  ASSERT_TRUE((*uow)->Commit());
  EXPECT_EQ(LinkOf(school_.school_id, customer.id)->contact_id, "77");
}

}  // namespace
}  // namespace hs::app::testing
