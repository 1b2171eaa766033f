// Automatic transfer, customer matching, what is transferred, bulk transfers and the status of
// every receipt (issue 4, sections 2-6), against the sandbox over real HTTP.
#include <set>

#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using sevdesk::sandbox::FaultKind;
using sevdesk::sandbox::FaultScope;

class SevdeskTransferTest : public SevdeskWorld {
 protected:
  void Connected(domain::TaxMode mode = domain::TaxMode::kRegular) {
    school_ = NewSchool("Hundeschule Pfote", mode);
    token_ = mode == domain::TaxMode::kKleinunternehmer ? kTokenKlein : kTokenA;
    Connect(school_, token_);
  }
  Json VoucherById(const std::string& id) {
    for (const auto& v : Vouchers(token_)) {
      if (v["voucher"]["id"] == id) return v;
    }
    ADD_FAILURE() << "no voucher " << id;
    return nullptr;
  }
  Principal school_;
  std::string token_;
};

// Positions by rate: rate -> {net, tax, gross}.
std::map<int, std::array<Cents, 3>> PositionsByRate(const Json& voucher) {
  std::map<int, std::array<Cents, 3>> out;
  for (const auto& p : voucher["voucherPos"]) {
    const int rate = static_cast<int>(ParseCents(p["taxRate"]) / 100);
    auto& sums = out[rate];
    sums[0] += ParseCents(p["sumNet"]);
    sums[1] += ParseCents(p["sumTax"]);
    sums[2] += ParseCents(p["sumGross"]);
  }
  return out;
}

TEST_F(SevdeskTransferTest, FinalizeEnqueuesInTheSameTransactionAndTransfersEverything) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Mustermann", "erika@example.org");
  // Two VAT rates, a fractional quantity: sums must still match to the cent.
  const auto inv = Finalize(
      school_.school_id, customer.id,
      {{"Einzelstunde", 5500, 19, 1500}, {"Social Walk", 1833, 19, 3000}, {"Fachbuch", 1869, 7}});
  const auto receipt = ReceiptOf(school_.school_id, inv);
  // The outbox row exists as soon as Finalize returned; nothing was sent yet.
  auto t = TransferOf(school_.school_id, receipt);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TransferState::kQueued);
  EXPECT_EQ(t->priority, TransferPriority::kLive);
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "queued");
  EXPECT_TRUE(Vouchers(token_).empty());

  EXPECT_EQ(Drain(), 1);
  const auto h = History(school_.school_id, receipt);
  ASSERT_EQ(h.status.status, "transferred");
  ASSERT_TRUE(h.status.transfer);
  const std::string voucher_id = h.status.transfer->voucher_id;
  EXPECT_FALSE(voucher_id.empty());
  EXPECT_EQ(h.status.voucher_link, "https://my.sevdesk.de/#/ex/detail/id/" + voucher_id);
  EXPECT_TRUE(h.status.transfer->transferred_at);
  std::set<std::string> kinds;
  for (const auto& e : h.events) kinds.insert(e.kind);
  for (const char* k : {"queued", "started", "contact_created", "uploaded", "transferred"}) {
    EXPECT_TRUE(kinds.contains(k)) << k;
  }

  // What sevdesk holds.
  const auto vouchers = Vouchers(token_);
  ASSERT_EQ(vouchers.size(), 1u);
  const Json v = vouchers.front();
  const Json& w = v["voucher"];
  EXPECT_EQ(w["id"], voucher_id);
  EXPECT_EQ(w["creditDebit"], "D");
  EXPECT_EQ(w["voucherType"], "VOU");
  EXPECT_EQ(w["description"], *inv.number);
  EXPECT_EQ(w["voucherDate"].get<std::string>().substr(0, 10), FormatIsoDate(inv.invoice_date));
  EXPECT_EQ(w["deliveryDate"].get<std::string>().substr(0, 10), FormatIsoDate(*inv.service_date));
  EXPECT_EQ(w["taxRule"]["id"], "1");
  EXPECT_EQ(w["status"], "100");
  const auto link = LinkOf(school_.school_id, customer.id);
  ASSERT_TRUE(link);
  EXPECT_EQ(w["supplier"]["id"], link->contact_id);
  EXPECT_EQ(ParseCents(w["sumGross"]), inv.totals.gross_cents);
  EXPECT_EQ(ParseCents(w["sumNet"]), inv.totals.net_cents);
  EXPECT_EQ(ParseCents(w["sumTax"]), inv.totals.tax_cents);
  // One position per VAT rate, each equal to the invoice's group to the cent.
  const auto by_rate = PositionsByRate(v);
  ASSERT_EQ(by_rate.size(), inv.totals.groups.size());
  ASSERT_EQ(v["voucherPos"].size(), inv.totals.groups.size());
  for (const auto& g : inv.totals.groups) {
    ASSERT_TRUE(by_rate.contains(g.rate)) << g.rate;
    EXPECT_EQ(by_rate.at(g.rate)[0], g.net_cents) << g.rate;
    EXPECT_EQ(by_rate.at(g.rate)[1], g.tax_cents) << g.rate;
    EXPECT_EQ(by_rate.at(g.rate)[2], g.gross_cents) << g.rate;
  }
  // Revenue accounts from the guidance, allowed for the rule and the rate.
  const auto accounts = sevdesk_->RevenueAccounts(ConnectionOf(school_.school_id));
  for (const auto& p : v["voucherPos"]) {
    const auto id = std::stoll(p["accountDatev"]["id"].get<std::string>());
    const int rate = static_cast<int>(ParseCents(p["taxRate"]) / 100);
    EXPECT_TRUE(
        std::any_of(accounts.begin(), accounts.end(),
                    [&](const RevenueAccount& a) { return a.id == id && a.Allows(1, rate); }))
        << id << " " << rate;
  }
  // The PDF, byte-identical.
  auto pdf = invoices_->GetPdf(school_.school_id, inv.id);
  ASSERT_TRUE(pdf);
  EXPECT_EQ(VoucherDocument(token_, voucher_id), *pdf);
  EXPECT_EQ(v["document"]["sha256"], crypto_->Sha256Hex(*pdf));

  // The contact: a person, category customer, stable customer number, address and e-mail.
  const auto contacts = Contacts(token_);
  ASSERT_EQ(contacts.size(), 1u);
  const Json& c = contacts.front();
  EXPECT_EQ(c["id"], link->contact_id);
  EXPECT_EQ(c["customerNumber"], "HS-" + std::to_string(customer.customer_number));
  EXPECT_EQ(c["surename"], "Erika");
  EXPECT_EQ(c["familyname"], "Mustermann");
  EXPECT_EQ(c["category"]["id"], "3");
  const Json account = Account(token_);
  ASSERT_EQ(account["contactAddresses"].size(), 1u);
  EXPECT_EQ(account["contactAddresses"][0]["street"], "Hauptstraße 5");
  EXPECT_EQ(account["contactAddresses"][0]["zip"], "20095");
  EXPECT_EQ(account["contactAddresses"][0]["city"], "Hamburg");
  ASSERT_EQ(account["communicationWays"].size(), 1u);
  EXPECT_EQ(account["communicationWays"][0]["value"], "erika@example.org");
  EXPECT_EQ(account["communicationWays"][0]["type"], "EMAIL");
}

TEST_F(SevdeskTransferTest, ServicePeriodGrossPricesAndACompany) {
  Connected();
  const auto company = NewCustomer(school_.school_id, "Tierarztpraxis Koch", "praxis@example.org",
                                   domain::CustomerKind::kCompany);
  auto draft = NewDraft(school_.school_id, company.id, {{"Welpenkurs", 19000, 19}});
  ASSERT_TRUE(invoices_->UpdateDraft(school_.school_id, draft.id, [&](domain::Invoice& i) {
    i.price_entry = domain::PriceEntry::kGross;
    i.service_date = AddDays(i.invoice_date, -30);
    i.service_period_end = AddDays(i.invoice_date, -3);
    return Status{};
  }));
  auto inv = invoices_->Finalize(school_.school_id, draft.id);
  ASSERT_TRUE(inv) << inv.error().message;
  Drain();
  const auto receipt = ReceiptOf(school_.school_id, *inv);
  ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  const auto vouchers = Vouchers(token_);
  ASSERT_EQ(vouchers.size(), 1u);
  const Json& w = vouchers[0]["voucher"];
  EXPECT_EQ(w["deliveryDate"].get<std::string>().substr(0, 10), FormatIsoDate(*inv->service_date));
  EXPECT_EQ(w["deliveryDateUntil"].get<std::string>().substr(0, 10),
            FormatIsoDate(*inv->service_period_end));
  EXPECT_EQ(ParseCents(w["sumGross"]), 19000);
  EXPECT_EQ(ParseCents(w["sumGross"]), inv->totals.gross_cents);
  EXPECT_EQ(ParseCents(w["sumNet"]), inv->totals.net_cents);
  EXPECT_EQ(vouchers[0]["voucherPos"][0]["net"], "0");
  const auto contacts = Contacts(token_);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["name"], "Tierarztpraxis Koch");
}

TEST_F(SevdeskTransferTest, KleinunternehmerUsesTaxRule11WithoutVat) {
  Connected(domain::TaxMode::kKleinunternehmer);
  const auto customer = NewCustomer(school_.school_id, "Klein");
  const auto inv = Finalize(school_.school_id, customer.id,
                            {{"Einzelstunde", 4500, 0}, {"Social Walk", 1850, 0, 2000}});
  Drain();
  ASSERT_EQ(StatusOf(school_.school_id, ReceiptOf(school_.school_id, inv)), "transferred");
  const auto vouchers = Vouchers(token_);
  ASSERT_EQ(vouchers.size(), 1u);
  EXPECT_EQ(vouchers[0]["voucher"]["taxRule"]["id"], "11");
  EXPECT_EQ(ParseCents(vouchers[0]["voucher"]["sumTax"]), 0);
  EXPECT_EQ(ParseCents(vouchers[0]["voucher"]["sumGross"]), inv.totals.gross_cents);
  EXPECT_EQ(inv.totals.gross_cents, 4500 + 3700);
  ASSERT_EQ(vouchers[0]["voucherPos"].size(), 1u);
  EXPECT_EQ(ParseCents(vouchers[0]["voucherPos"][0]["taxRate"]), 0);
  auto pdf = invoices_->GetPdf(school_.school_id, inv.id);
  EXPECT_EQ(VoucherDocument(token_, vouchers[0]["voucher"]["id"]), *pdf);
}

TEST_F(SevdeskTransferTest, CancellationIsTransferredAndNetsToZero) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Storno");
  const auto inv = Finalize(school_.school_id, customer.id,
                            {{"Einzelstunde", 5500, 19, 1500}, {"Fachbuch", 1869, 7, 2000}});
  Drain();
  auto cancellation = invoices_->Cancel(school_.school_id, inv.id);
  ASSERT_TRUE(cancellation) << cancellation.error().message;
  const auto receipt = ReceiptOf(school_.school_id, *cancellation);
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "queued");
  Drain();
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  const auto vouchers = Vouchers(token_);
  ASSERT_EQ(vouchers.size(), 2u);
  std::map<int, std::array<Cents, 3>> total;
  std::map<std::string, Json> by_description;
  for (const auto& v : vouchers) {
    EXPECT_EQ(v["voucher"]["creditDebit"], "D");
    by_description[v["voucher"]["description"]] = v;
    for (const auto& [rate, sums] : PositionsByRate(v)) {
      for (int i = 0; i < 3; ++i) total[rate][i] += sums[i];
    }
  }
  ASSERT_TRUE(by_description.contains(*cancellation->number));
  const Json& storno = by_description[*cancellation->number];
  EXPECT_EQ(ParseCents(storno["voucher"]["sumGross"]), -inv.totals.gross_cents);
  EXPECT_NE(storno["voucherPos"][0]["comment"].get<std::string>().find("Storno zu " + *inv.number),
            std::string::npos);
  for (const auto& [rate, sums] : total) {
    EXPECT_EQ(sums[0], 0) << rate;
    EXPECT_EQ(sums[1], 0) << rate;
    EXPECT_EQ(sums[2], 0) << rate;
  }
  // Same contact, and the cancellation's own PDF.
  EXPECT_EQ(Contacts(token_).size(), 1u);
  auto pdf = invoices_->GetPdf(school_.school_id, cancellation->id);
  EXPECT_EQ(VoucherDocument(token_, storno["voucher"]["id"]), *pdf);
}

// Issue 14.5: "today" is the German civil date. At 00:30 on New Year's Day in Germany it is still
// 31 December in UTC; the cancellation must carry the new year's date, number and voucher date.
TEST_F(SevdeskTransferTest, ACancellationJustAfterGermanMidnightOnNewYearIsDatedTheNewYear) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Silvester");
  const auto inv = Finalize(school_.school_id, customer.id, {{"Einzelstunde", 5500, 19}},
                            *ParseIsoDate("2026-11-20"));
  Drain();
  const Instant german_new_year = *ParseIsoInstant("2026-12-31T23:30:00.000Z");  // 00:30 CET
  AdvanceClock(std::chrono::duration_cast<std::chrono::milliseconds>(german_new_year - Now()));
  auto cancellation = invoices_->Cancel(school_.school_id, inv.id);
  ASSERT_TRUE(cancellation) << cancellation.error().message;
  EXPECT_EQ(FormatIsoDate(cancellation->invoice_date), "2027-01-01");
  ASSERT_TRUE(cancellation->number);
  EXPECT_NE(cancellation->number->find("2027"), std::string::npos) << *cancellation->number;
  Drain();
  bool found = false;
  for (const auto& v : Vouchers(token_)) {
    if (v["voucher"]["description"] != *cancellation->number) continue;
    found = true;
    EXPECT_EQ(v["voucher"]["voucherDate"].get<std::string>().substr(0, 10), "2027-01-01");
  }
  EXPECT_TRUE(found);
}

TEST_F(SevdeskTransferTest, ContactCreatedOnceAndAKnownCustomerCostsTwoCalls) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Wiederkehr");
  Finalize(school_.school_id, customer.id);
  Drain();
  const long before = TotalCalls(token_);
  const auto calls_before = Calls(token_);
  const auto second = Finalize(school_.school_id, customer.id, {{"Social Walk", 1800, 19}});
  Drain();
  EXPECT_EQ(StatusOf(school_.school_id, ReceiptOf(school_.school_id, second)), "transferred");
  EXPECT_EQ(TotalCalls(token_) - before, 2);
  auto calls = Calls(token_);
  EXPECT_EQ(calls["POST /Voucher/Factory/uploadTempFile"] -
                calls_before.at("POST /Voucher/Factory/uploadTempFile"),
            1);
  EXPECT_EQ(calls["POST /Voucher/Factory/saveVoucher"] -
                calls_before.at("POST /Voucher/Factory/saveVoucher"),
            1);
  EXPECT_EQ(Contacts(token_).size(), 1u);
  EXPECT_EQ(Vouchers(token_).size(), 2u);
  // A second customer gets a contact of its own.
  const auto other = NewCustomer(school_.school_id, "Neu");
  Finalize(school_.school_id, other.id);
  Drain();
  EXPECT_EQ(Contacts(token_).size(), 2u);
}

TEST_F(SevdeskTransferTest, ChangedCustomerIsUpdatedNeverDuplicated) {
  Connected();
  auto customer = NewCustomer(school_.school_id, "Alt", "alt@example.org");
  Finalize(school_.school_id, customer.id);
  Drain();
  const auto link = LinkOf(school_.school_id, customer.id);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->synced_version, customer.version);

  auto changed = customers_->Update(school_.school_id, customer.id, [](domain::Customer& c) {
    c.last_name = "Neu";
    c.email = "neu@example.org";
    c.address.street = "Neuer Weg 1";
    return Status{};
  });
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_GT(changed->version, customer.version);
  const auto calls_before = Calls(token_);
  Finalize(school_.school_id, customer.id);
  Drain();
  auto calls = Calls(token_);
  EXPECT_EQ(calls["PUT /Contact/{contactId}"] - (calls_before.contains("PUT /Contact/{contactId}")
                                                     ? calls_before.at("PUT /Contact/{contactId}")
                                                     : 0),
            1);
  EXPECT_EQ(calls["POST /Contact"], calls_before.at("POST /Contact"));
  const auto contacts = Contacts(token_);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["familyname"], "Neu");
  EXPECT_EQ(contacts[0]["id"], link->contact_id);
  const Json account = Account(token_);
  // The address and the e-mail we created are changed in place (issue 15).
  ASSERT_EQ(account["contactAddresses"].size(), 1u);
  EXPECT_EQ(account["contactAddresses"][0]["street"], "Neuer Weg 1");
  ASSERT_EQ(account["communicationWays"].size(), 1u);
  EXPECT_EQ(account["communicationWays"][0]["value"], "neu@example.org");
  EXPECT_EQ(LinkOf(school_.school_id, customer.id)->synced_version, changed->version);
  // Unchanged since: the next receipt costs the minimum again.
  const long before = TotalCalls(token_);
  Finalize(school_.school_id, customer.id);
  Drain();
  EXPECT_EQ(TotalCalls(token_) - before, 2);
}

// Issue 15: a customer who moves and changes the e-mail address keeps exactly one address and one
// e-mail in sevdesk, the newest, after any number of moves; the objects we created are changed in
// place (PUT), never added beside the old ones, so sevdesk cannot write to the old address.
TEST_F(SevdeskTransferTest, AMoveChangesTheAddressAndEmailInPlace) {
  Connected();
  auto customer = NewCustomer(school_.school_id, "Umzug", "x@example.org");
  Finalize(school_.school_id, customer.id);
  Settle();
  const auto first = LinkOf(school_.school_id, customer.id);
  ASSERT_TRUE(first);
  ASSERT_FALSE(first->address_id.empty());
  ASSERT_FALSE(first->email_id.empty());
  struct Move {
    const char* street;
    const char* zip;
    const char* city;
    const char* email;
  };
  for (const Move& move : {Move{"Birkenweg 2", "80331", "München", "y@example.org"},
                           Move{"Clemensstraße 3", "50667", "Köln", "z@example.org"}}) {
    SCOPED_TRACE(move.street);
    ASSERT_TRUE(customers_->Update(school_.school_id, customer.id, [&](domain::Customer& c) {
      c.address.street = move.street;
      c.address.zip = move.zip;
      c.address.city = move.city;
      c.email = move.email;
      return Status{};
    }));
    const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
    Settle();
    ASSERT_EQ(StatusOf(school_.school_id, receipt), "transferred");
    const Json account = Account(token_);
    ASSERT_EQ(account["contacts"].size(), 1u);
    ASSERT_EQ(account["contactAddresses"].size(), 1u);
    const Json& address = account["contactAddresses"][0];
    EXPECT_EQ(address["id"], first->address_id);
    EXPECT_EQ(address["street"], move.street);
    EXPECT_EQ(address["zip"], move.zip);
    EXPECT_EQ(address["city"], move.city);
    ASSERT_EQ(account["communicationWays"].size(), 1u);
    EXPECT_EQ(account["communicationWays"][0]["id"], first->email_id);
    EXPECT_EQ(account["communicationWays"][0]["value"], move.email);
    // What the client reads back agrees, and the events say what happened.
    auto found = gateway_->FindAddresses(token_, first->contact_id);
    ASSERT_TRUE(found);
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ(found->at(0).address.street, move.street);
    std::set<std::string> kinds;
    for (const auto& e : History(school_.school_id, receipt).events) kinds.insert(e.kind);
    EXPECT_TRUE(kinds.contains("address_updated"));
    EXPECT_TRUE(kinds.contains("email_updated"));
  }
  auto calls = Calls(token_);
  EXPECT_EQ(calls["POST /ContactAddress"], 1);
  EXPECT_EQ(calls["POST /CommunicationWay"], 1);
  EXPECT_EQ(calls["PUT /ContactAddress/{contactAddressId}"], 2);
  EXPECT_EQ(calls["PUT /CommunicationWay/{communicationWayId}"], 2);
}

TEST_F(SevdeskTransferTest, NotEnabledMeansNoOutboxAndStatusNotTransferred) {
  school_ = NewSchool("Pfote");
  token_ = kTokenA;
  const auto customer = NewCustomer(school_.school_id, "Früh");
  const auto inv = Finalize(school_.school_id, customer.id);
  const auto receipt = ReceiptOf(school_.school_id, inv);
  EXPECT_FALSE(TransferOf(school_.school_id, receipt));
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "not_transferred");
  Connect(school_, kTokenA);
  Drain();
  // Older receipts are only sent when asked for (bulk transfer).
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "not_transferred");
  EXPECT_TRUE(Vouchers(token_).empty());
}

TEST_F(SevdeskTransferTest, TransferStartDateLeavesOlderInvoicesAlone) {
  Connected();
  ConnectionUpdate u;
  u.transfer_start_date = std::optional<Date>{AddDays(BerlinDateOf(Now()), -5)};
  ASSERT_TRUE(sevdesk_->UpdateConnection(school_, u));
  const auto customer = NewCustomer(school_.school_id, "Datum");
  const auto old_inv = Finalize(school_.school_id, customer.id, {{"Alt", 1000, 19}},
                                AddDays(BerlinDateOf(Now()), -10));
  const auto new_inv = Finalize(school_.school_id, customer.id, {{"Neu", 1000, 19}});
  EXPECT_FALSE(TransferOf(school_.school_id, ReceiptOf(school_.school_id, old_inv)));
  EXPECT_TRUE(TransferOf(school_.school_id, ReceiptOf(school_.school_id, new_inv)));
}

TEST_F(SevdeskTransferTest, BulkTransferByIdsSkipsAndReports) {
  school_ = NewSchool("Pfote");
  token_ = kTokenA;
  const auto customer = NewCustomer(school_.school_id, "Alt");
  std::vector<std::int64_t> receipts;
  for (int i = 0; i < 3; ++i) {
    receipts.push_back(ReceiptOf(
        school_.school_id, Finalize(school_.school_id, customer.id, {{"Kurs", 1000 + i, 19}})));
  }
  const auto expense = AddExpense(school_.school_id);
  // Not connected yet: a clear refusal.
  BatchRequest req;
  req.receipt_ids = {receipts[0]};
  auto refused = sevdesk_->CreateBatch(school_, req);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "sevdesk_not_connected");
  Connect(school_, kTokenA);

  req.receipt_ids = {receipts[0], receipts[1], receipts[0], expense, 987654};
  auto batch = sevdesk_->CreateBatch(school_, req);
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->queued, 2);
  std::map<std::string, std::int64_t> reasons;
  for (const auto& s : batch->skipped) {
    reasons[s.reason] = s.receipt_id;
    EXPECT_FALSE(s.message.empty());
  }
  EXPECT_EQ(reasons["expense"], expense);
  EXPECT_EQ(reasons["not_found"], 987654);
  for (const auto& s : batch->skipped) {
    if (s.reason == "expense") {
      EXPECT_NE(s.message.find("Ausgaben"), std::string::npos);
    }
  }
  auto t = TransferOf(school_.school_id, receipts[0]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->priority, TransferPriority::kBackfill);
  EXPECT_EQ(t->batch_id, batch->batch_id);

  auto status = sevdesk_->GetBatch(school_.school_id, batch->batch_id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->total, 4);  // distinct ids requested
  EXPECT_EQ(status->done, 0);
  EXPECT_EQ(status->remaining, 2);
  EXPECT_EQ(status->progress.batch.skipped_expense + status->progress.batch.skipped_other, 2);

  Drain();
  status = sevdesk_->GetBatch(school_.school_id, batch->batch_id);
  EXPECT_EQ(status->done, 2);
  EXPECT_EQ(status->remaining, 0);
  EXPECT_EQ(status->eta_seconds, 0);

  // Again, with one already transferred and one newly queued: never sent twice.
  BatchRequest again;
  again.receipt_ids = {receipts[0], receipts[2]};
  auto second = sevdesk_->CreateBatch(school_, again);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->queued, 1);
  ASSERT_EQ(second->skipped.size(), 1u);
  EXPECT_EQ(second->skipped[0].reason, "already_transferred");
  again.receipt_ids = {receipts[2]};
  auto third = sevdesk_->CreateBatch(school_, again);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->queued, 0);
  ASSERT_EQ(third->skipped.size(), 1u);
  EXPECT_EQ(third->skipped[0].reason, "already_queued");
  Drain();
  EXPECT_EQ(Vouchers(token_).size(), 3u);
  // Someone else's batch is not found.
  const auto other = NewSchool("Andere");
  EXPECT_EQ(sevdesk_->GetBatch(other.school_id, batch->batch_id).error().code,
            ErrorCode::kNotFound);
  // Another school's receipt id cannot be queued.
  Connect(other, kTokenB);
  BatchRequest foreign;
  foreign.receipt_ids = {receipts[1]};
  auto f = sevdesk_->CreateBatch(other, foreign);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->queued, 0);
  EXPECT_EQ(f->skipped[0].reason, "not_found");
}

TEST_F(SevdeskTransferTest, BulkTransferByFilterAndProgress) {
  school_ = NewSchool("Pfote");
  token_ = kTokenA;
  const auto customer = NewCustomer(school_.school_id, "Filter");
  const Date today = BerlinDateOf(Now());
  const auto old_inv =
      Finalize(school_.school_id, customer.id, {{"Alt", 1000, 19}}, AddDays(today, -60));
  std::vector<std::int64_t> in_range;
  for (int i = 0; i < 3; ++i) {
    in_range.push_back(
        ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id,
                                              {{"Kurs", 2000 + i, 19}}, AddDays(today, -20 + i))));
  }
  AddExpense(school_.school_id);
  Connect(school_, kTokenA);
  BatchRequest req;
  req.use_filter = true;
  req.from = AddDays(today, -30);
  req.to = today;
  auto batch = sevdesk_->CreateBatch(school_, req);
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->queued, 3);
  EXPECT_TRUE(batch->skipped.empty());
  for (auto r : in_range) EXPECT_EQ(StatusOf(school_.school_id, r), "queued");
  EXPECT_FALSE(TransferOf(school_.school_id, ReceiptOf(school_.school_id, old_inv)));

  // One fails for a while: progress shows it, with an estimate once something is done.
  Inject(FaultKind::kError500, 1, "saveVoucher");
  AdvanceClock(std::chrono::seconds(10));
  Drain();
  auto status = sevdesk_->GetBatch(school_.school_id, batch->batch_id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->total, 3);
  EXPECT_EQ(status->done, 2);
  EXPECT_EQ(status->remaining, 1);
  EXPECT_EQ(status->progress.retry_wait, 1);
  EXPECT_EQ(status->progress.batch.skipped_already, 0);
  ASSERT_TRUE(status->eta_seconds);
  EXPECT_GT(*status->eta_seconds, 0);
  Settle();
  status = sevdesk_->GetBatch(school_.school_id, batch->batch_id);
  EXPECT_EQ(status->done, 3);
  EXPECT_EQ(status->progress.failed, 0);
  EXPECT_EQ(status->remaining, 0);
  EXPECT_EQ(Vouchers(token_).size(), 3u);
}

TEST_F(SevdeskTransferTest, LiveTransfersGoBeforeBackfill) {
  school_ = NewSchool("Pfote");
  token_ = kTokenA;
  const auto a = NewCustomer(school_.school_id, "A");
  const auto b = NewCustomer(school_.school_id, "B");
  const auto old1 = ReceiptOf(school_.school_id, Finalize(school_.school_id, a.id));
  Connect(school_, kTokenA);
  BatchRequest req;
  req.receipt_ids = {old1};
  ASSERT_TRUE(sevdesk_->CreateBatch(school_, req));
  AdvanceClock(std::chrono::seconds(1));
  const auto live = ReceiptOf(school_.school_id, Finalize(school_.school_id, b.id));
  auto first = ClaimAs("probe");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->receipt_id, live);
  EXPECT_EQ(StatusOf(school_.school_id, live), "in_progress");
}

TEST_F(SevdeskTransferTest, EveryStatusWithReasonHintAttemptsAndTheListFilter) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Status");
  const auto bogus = NewCustomer(school_.school_id, "Gelöscht");
  // A contact that no longer exists in sevdesk: saveVoucher answers 422.
  const auto not_sent = ReceiptOf(school_.school_id, [&] {
    ConnectionUpdate off;
    off.enabled = false;
    EXPECT_TRUE(sevdesk_->UpdateConnection(school_, off));
    auto inv = Finalize(school_.school_id, customer.id);
    off.enabled = true;
    EXPECT_TRUE(sevdesk_->UpdateConnection(school_, off));
    return inv;
  }());
  SaveLink({school_.school_id,
            bogus.id,
            "HS-" + std::to_string(bogus.customer_number),
            "999",
            "",
            "",
            bogus.email,
            "Hauptstraße 5|20095|Hamburg|DE",
            bogus.version,
            false,
            {}});
  const auto rejected = ReceiptOf(school_.school_id, Finalize(school_.school_id, bogus.id));
  const auto retried = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  const auto done = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  const auto queued =
      ReceiptOf(school_.school_id, [&] { return Finalize(school_.school_id, customer.id); }());
  EXPECT_EQ(StatusOf(school_.school_id, queued), "queued");

  // rejected (422): failed at once; retried (500 on its save): failed with a next retry.
  auto t = ClaimAs("w");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->receipt_id, rejected);
  engine_->Process(*t);
  Inject(FaultKind::kError500, 1, "saveVoucher");
  t = ClaimAs("w");
  ASSERT_EQ(t->receipt_id, retried);
  engine_->Process(*t);
  t = ClaimAs("w");
  ASSERT_EQ(t->receipt_id, done);
  engine_->Process(*t);
  t = ClaimAs("w");
  ASSERT_EQ(t->receipt_id, queued);
  EXPECT_EQ(StatusOf(school_.school_id, queued), "in_progress");

  EXPECT_EQ(StatusOf(school_.school_id, not_sent), "not_transferred");
  EXPECT_EQ(StatusOf(school_.school_id, done), "transferred");

  auto h = History(school_.school_id, rejected);
  EXPECT_EQ(h.status.status, "failed");
  ASSERT_TRUE(h.status.transfer);
  EXPECT_EQ(h.status.transfer->state, TransferState::kFailed);
  EXPECT_EQ(h.status.transfer->attempts, 1);
  EXPECT_NE(h.status.transfer->last_error_message.find("abgelehnt"), std::string::npos)
      << h.status.transfer->last_error_message;
  EXPECT_NE(h.status.transfer->last_error_message.find("Contact"), std::string::npos);
  EXPECT_FALSE(h.status.transfer->last_error_hint.empty());
  EXPECT_EQ(h.events.back().kind, "failed");

  h = History(school_.school_id, retried);
  EXPECT_EQ(h.status.status, "failed");
  EXPECT_EQ(h.status.transfer->state, TransferState::kRetryWait);
  EXPECT_EQ(h.status.transfer->attempts, 1);
  EXPECT_GT(h.status.transfer->next_attempt_at, Now());
  EXPECT_NE(h.status.transfer->last_error_message.find("Serverfehler"), std::string::npos)
      << h.status.transfer->last_error_message;
  EXPECT_NE(h.status.transfer->last_error_hint.find("automatisch"), std::string::npos);

  // The list filter agrees with every status.
  auto count = [&](const std::string& status) {
    ReceiptQuery q;
    q.sevdesk_status = status;
    auto paused = sevdesk_->IsPaused(school_.school_id);
    q.sevdesk_paused = paused && *paused;
    auto page = receipts_->List(school_.school_id, q);
    EXPECT_TRUE(page);
    return page ? page->total : -1;
  };
  EXPECT_EQ(count("not_transferred"), 1);
  EXPECT_EQ(count("transferred"), 1);
  EXPECT_EQ(count("failed"), 2);
  EXPECT_EQ(count("in_progress"), 1);
  EXPECT_EQ(count("queued"), 0);
  EXPECT_EQ(count("waiting"), 0);

  // waiting: the connection is switched off (or paused).
  ConnectionUpdate off;
  off.enabled = false;
  ASSERT_TRUE(sevdesk_->UpdateConnection(school_, off));
  EXPECT_EQ(StatusOf(school_.school_id, queued), "waiting");
  EXPECT_EQ(StatusOf(school_.school_id, retried), "waiting");
  EXPECT_EQ(StatusOf(school_.school_id, rejected), "failed");
  EXPECT_EQ(count("waiting"), 2);
}

TEST_F(SevdeskTransferTest, RetryOfAFailedTransferAfterItsCauseIsFixed) {
  Connected();
  const auto customer = NewCustomer(school_.school_id, "Retry");
  // sevdesk fails every write until fixed: bounded attempts, then failed and visible.
  sevdesk::sandbox::FaultSettings down;
  down.error_500 = 1.0;
  down.scope = FaultScope::kWrites;
  SetAccountFaults(token_, down);
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();
  auto h = History(school_.school_id, receipt);
  ASSERT_EQ(h.status.status, "failed");
  EXPECT_EQ(h.status.transfer->state, TransferState::kFailed);
  EXPECT_EQ(h.status.transfer->attempts, options_.settings.max_attempts);
  EXPECT_NE(h.status.transfer->last_error_message.find("Versuchen"), std::string::npos)
      << h.status.transfer->last_error_message;
  EXPECT_NE(h.status.transfer->last_error_hint.find("Erneut versuchen"), std::string::npos);
  // Not retried automatically any more.
  AdvanceClock(std::chrono::hours(2));
  EXPECT_EQ(Drain(), 0);

  // The transferred cannot be "retried"; the failed one can, once sevdesk is back.
  SetAccountFaults(token_, std::nullopt);
  auto r = sevdesk_->Retry(school_.school_id, receipt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status.status, "queued");
  EXPECT_EQ(r->status.transfer->attempts, 0);
  Drain();
  h = History(school_.school_id, receipt);
  EXPECT_EQ(h.status.status, "transferred");
  EXPECT_EQ(Vouchers(token_).size(), 1u);
  EXPECT_EQ(Contacts(token_).size(), 1u);
  auto again = sevdesk_->Retry(school_.school_id, receipt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().reason, "not_failed");
}

}  // namespace
}  // namespace hs::app::testing
