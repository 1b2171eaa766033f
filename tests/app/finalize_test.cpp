// A finalization renders its documents outside the write lock (ADR 0005, amendment) and checks
// under the lock that nothing they show changed meanwhile; when something did, it renders again
// under the lock. Each test changes one thing while the first rendering runs.
#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

class FinalizeTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    if (HasFatalFailure()) return;
    school_ = NewSchool("Hundeschule Pfote");
    customer_ = NewCustomer(school_.school_id, "Mustermann").id;
  }
  // Runs `change` once, during the first rendering; records what every rendering saw.
  void DuringFirstRender(std::function<void()> change) {
    renderer_->during_render = [this, change = std::move(change)](const domain::School& s,
                                                                  const domain::Invoice& i) {
      seen_.push_back({s.name, i.number.value_or(""), i.customer_snapshot.name,
                       i.lines.empty() ? "" : i.lines[0].text});
      if (seen_.size() == 1) change();
    };
  }
  // Another process finalizing in the same database (its own InvoiceService, so its own
  // numbering stripes).
  domain::Invoice FinalizeElsewhere(std::int64_t draft_id) {
    InvoiceService elsewhere(*db_, *clock_, *crypto_, *renderer_);
    auto fin = elsewhere.Finalize(school_.school_id, draft_id);
    EXPECT_TRUE(fin) << fin.error().message;
    return fin.value_or(domain::Invoice{});
  }
  domain::Invoice MustFinalize(std::int64_t draft_id) {
    auto fin = invoices_->Finalize(school_.school_id, draft_id);
    EXPECT_TRUE(fin) << fin.error().message;
    return fin.value_or(domain::Invoice{});
  }
  std::string StoredPdfSha(std::int64_t invoice_id) {
    auto pdf = invoices_->GetPdf(school_.school_id, invoice_id);
    EXPECT_TRUE(pdf) << pdf.error().message;
    return crypto_->Sha256Hex(pdf.value_or(""));
  }

  struct Seen {
    std::string school, number, customer, first_line;
  };
  Principal school_;
  std::int64_t customer_ = 0;
  std::vector<Seen> seen_;
};

TEST_F(FinalizeTest, NothingChangedMeansOneRendering) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  DuringFirstRender([] {});
  const auto fin = MustFinalize(draft.id);
  EXPECT_EQ(fin.number, "RE-2026-0001");
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].number, "RE-2026-0001");
  EXPECT_EQ(StoredPdfSha(fin.id), fin.pdf_sha256);
}

TEST_F(FinalizeTest, TheWriteLockIsFreeWhileThePdfIsRendered) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  bool wrote = false;
  DuringFirstRender([&] {
    // Under the lock this write would wait until the rendering is over: it must finish first.
    auto write = std::async(std::launch::async, [&] {
      domain::Customer c;
      c.first_name = "Max";
      c.last_name = "Neu";
      return customers_->Create(school_.school_id, c).has_value();
    });
    wrote = write.wait_for(std::chrono::seconds(5)) == std::future_status::ready && write.get();
  });
  const auto fin = MustFinalize(draft.id);
  EXPECT_TRUE(wrote) << "a write waited for the rendering";
  EXPECT_EQ(fin.number, "RE-2026-0001");
  EXPECT_EQ(seen_.size(), 1u) << "a customer of another invoice does not change this one";
}

TEST_F(FinalizeTest, ANumberTakenWhileRenderingMovesToTheNextOne) {
  const auto first = NewDraft(school_.school_id, customer_, {{"Erste", 5500, 19}});
  const auto second = NewDraft(school_.school_id, customer_, {{"Zweite", 4000, 19}});
  domain::Invoice other;
  DuringFirstRender([&] { other = FinalizeElsewhere(second.id); });
  const auto fin = MustFinalize(first.id);
  EXPECT_EQ(other.number, "RE-2026-0001");
  EXPECT_EQ(fin.number, "RE-2026-0002");
  // first (as 0001), second (0001, stored), first again under the lock (0002).
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[0].number, "RE-2026-0001");
  EXPECT_EQ(seen_[2].first_line, "Erste");
  EXPECT_EQ(seen_[2].number, "RE-2026-0002");
  EXPECT_EQ(StoredPdfSha(fin.id), fin.pdf_sha256);
  EXPECT_EQ(StoredPdfSha(other.id), other.pdf_sha256);
}

TEST_F(FinalizeTest, ASchoolEditedWhileRenderingIsRenderedAgain) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  DuringFirstRender([&] {
    auto updated = schools_->Update(school_, [](domain::School& s) {
      s.name = "Hundeschule Pfote & Co";
      return Status{};
    });
    ASSERT_TRUE(updated) << updated.error().message;
  });
  const auto fin = MustFinalize(draft.id);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].school, "Hundeschule Pfote");
  EXPECT_EQ(seen_[1].school, "Hundeschule Pfote & Co");
  EXPECT_EQ(fin.number, "RE-2026-0001");
  EXPECT_EQ(StoredPdfSha(fin.id), fin.pdf_sha256);
}

TEST_F(FinalizeTest, ADraftEditedWhileRenderingIsFinalizedAsEdited) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  DuringFirstRender([&] {
    auto updated = invoices_->UpdateDraft(school_.school_id, draft.id, [](domain::Invoice& i) {
      i.lines[0].text = "Gruppenstunde";
      i.lines[0].unit_price_cents = 2500;
      return Status{};
    });
    ASSERT_TRUE(updated) << updated.error().message;
  });
  const auto fin = MustFinalize(draft.id);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].first_line, "Gruppenstunde");
  ASSERT_EQ(fin.lines.size(), 1u);
  EXPECT_EQ(fin.lines[0].text, "Gruppenstunde");
  EXPECT_EQ(fin.totals.net_cents, 2500);
  EXPECT_EQ(fin.totals.gross_cents, 2975);
}

TEST_F(FinalizeTest, ACustomerEditedWhileRenderingIsSnapshottedAnew) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  DuringFirstRender([&] {
    auto updated = customers_->Update(school_.school_id, customer_, [](domain::Customer& c) {
      c.last_name = "Müller";
      return Status{};
    });
    ASSERT_TRUE(updated) << updated.error().message;
  });
  const auto fin = MustFinalize(draft.id);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].customer, "Erika Mustermann");
  EXPECT_EQ(seen_[1].customer, "Erika Müller");
  EXPECT_EQ(fin.customer_snapshot.name, "Erika Müller");
}

TEST_F(FinalizeTest, ADraftFinalizedWhileRenderingIsRefusedOnce) {
  const auto draft = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  domain::Invoice other;
  DuringFirstRender([&] { other = FinalizeElsewhere(draft.id); });
  auto fin = invoices_->Finalize(school_.school_id, draft.id);
  ASSERT_FALSE(fin);
  EXPECT_EQ(fin.error().code, ErrorCode::kConflict);
  EXPECT_EQ(other.number, "RE-2026-0001");
  auto next = NewDraft(school_.school_id, customer_, {{"Einzelstunde", 5500, 19}});
  EXPECT_EQ(MustFinalize(next.id).number, "RE-2026-0002") << "no number was lost";
}

TEST_F(FinalizeTest, OneSchoolsParallelFinalizationsRenderEachDocumentOnce) {
  constexpr int kPerThread = 8;
  std::vector<std::int64_t> drafts;
  for (int i = 0; i < 2 * kPerThread; ++i) {
    drafts.push_back(NewDraft(school_.school_id, customer_, {{"Kurs", 1000 + i, 19}}).id);
  }
  std::atomic<int> renders{0};
  renderer_->during_render = [&](const domain::School&, const domain::Invoice&) { ++renders; };
  std::vector<std::string> numbers(drafts.size());
  auto run = [&](std::size_t from) {
    for (std::size_t i = from; i < drafts.size(); i += 2)
      numbers[i] = *MustFinalize(drafts[i]).number;
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  EXPECT_EQ(renders.load(), 2 * kPerThread) << "a same-school finalization found its number taken";
  std::sort(numbers.begin(), numbers.end());
  for (int i = 0; i < 2 * kPerThread; ++i) {
    EXPECT_EQ(numbers[static_cast<std::size_t>(i)],
              "RE-2026-" + std::string(i + 1 < 10 ? "000" : "00") + std::to_string(i + 1));
  }
}

}  // namespace
}  // namespace hs::app::testing
