#include "app/voucher_transfer.hpp"

#include "app/voucher_sums.hpp"

namespace hs::app {

namespace {

std::string WarningOf(const SumMismatch& mismatch) {
  return mismatch.Any() ? SumMismatchMessage(mismatch) : std::string{};
}

}  // namespace

Outcome VoucherTransfer::Run() {
  voucher_.contact_id = contacts_.link().contact_id;
  if (transfer().phase == TransferPhase::kPosting) {
    if (auto end = AdoptAfterUncertainSave()) return *end;
  }
  if (auto end = Upload()) return *end;
  voucher_.uploaded_filename = transfer().uploaded_filename;
  auto voucher = MapVoucher(voucher_);
  if (!voucher) return OutcomeOf(voucher.error());
  return Save(*voucher);
}

// The last save may have been applied: adopt an exact match, create only when absent.
std::optional<Outcome> VoucherTransfer::AdoptAfterUncertainSave() {
  auto found = gateway_.FindVouchers(voucher_.description);
  if (!found) return OutcomeOf(found.error());
  // At the contact the save was sent with: the school may have linked the customer to another
  // contact since (ADR 0015).
  const std::string& contact = posted_contact_.empty() ? voucher_.contact_id : posted_contact_;
  if (auto v = OurVoucher(*found, voucher_.description, contact)) {
    const SumMismatch mismatch =
        CompareVoucherSums(voucher_.invoice.totals, SavedVoucher{v->id, {}, {}, v->gross_cents});
    return Transferred(v->id, "In sevdesk vorhandenen Beleg " + v->id + " übernommen.",
                       WarningOf(mismatch));
  }
  const Transfer& t = transfer();
  if (t.create_sent_at && clock_.Now() < *t.create_sent_at + settings_.settle) {
    return Settling(*t.create_sent_at + settings_.settle);
  }
  return std::nullopt;
}

std::optional<Outcome> VoucherTransfer::Upload() {
  if (!transfer().uploaded_filename.empty()) return std::nullopt;
  auto name = gateway_.UploadDocument(receipt_.file_name, pdf_);
  if (!name) return OutcomeOf(name.error());
  transfer().uploaded_filename = *name;
  // Stored with the next write, the voucher's mark: a lost upload only means uploading again.
  writer_.Defer("uploaded", "PDF hochgeladen.");
  return std::nullopt;
}

Outcome VoucherTransfer::Save(const VoucherData& v) {
  transfer().phase = TransferPhase::kPosting;
  transfer().create_sent_at = clock_.Now();
  auto saved = gateway_.SaveVoucher([this, &v] { return writer_.MarkPosting(v.contact_id); }, v);
  if (!saved) return SaveFailed(saved.error());
  return Transferred(saved->id, "In sevdesk als Beleg " + saved->id + " gespeichert.",
                     WarningOf(CompareVoucherSums(voucher_.invoice.totals, *saved)));
}

Outcome VoucherTransfer::SaveFailed(const Error& e) {
  Transfer& t = transfer();
  if (IsRejection(e, sevdesk_reason::kFileGone) && t.attempts < settings_.max_attempts) {
    // The uploaded temporary file expired: upload again on the next attempt.
    t.uploaded_filename.clear();
    t.phase = TransferPhase::kNone;
    return OutcomeOf(Error{ErrorCode::kUnavailable,
                           std::string(sevdesk_reason::kUnreachable),
                           "Das hochgeladene Dokument war in sevdesk nicht mehr vorhanden.",
                           {},
                           {}});
  }
  t = AfterFailedSave(t, e);
  return contacts_.Refused(e);
}

}  // namespace hs::app
