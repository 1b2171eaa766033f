#pragma once
// The voucher's steps of a transfer, after the contact (ADR 0003, 0010, 0012): after a save that
// may have been applied, look the voucher up and adopt it (or wait for the settle time); upload
// the PDF unless an earlier attempt did; save the voucher behind the durable mark "phase =
// posting"; compare sevdesk's sums with the invoice.
#include <optional>
#include <string>

#include "app/contact_sync.hpp"
#include "app/paced_gateway.hpp"
#include "app/sevdesk_settings.hpp"
#include "app/transfer_policy.hpp"
#include "app/transfer_writer.hpp"
#include "app/voucher_mapping.hpp"
#include "domain/receipt.hpp"

namespace hs::app {

class VoucherTransfer {
 public:
  // `voucher` carries the invoice and the accounts; the contact and the file are filled in here.
  VoucherTransfer(PacedGateway& gateway, TransferWriter& writer, ContactSync& contacts,
                  const Clock& clock, const SevdeskSettings& settings,
                  const domain::Receipt& receipt, const std::string& pdf, VoucherInput voucher)
      : gateway_(gateway),
        writer_(writer),
        contacts_(contacts),
        clock_(clock),
        settings_(settings),
        receipt_(receipt),
        pdf_(pdf),
        voucher_(std::move(voucher)) {}

  // The contact the last save was sent with, when it may have been applied (empty: unknown).
  void SetPostedContact(std::string contact_id) { posted_contact_ = std::move(contact_id); }
  Outcome Run();

 private:
  std::optional<Outcome> AdoptAfterUncertainSave();
  std::optional<Outcome> Upload();
  Outcome Save(const VoucherData& v);
  Outcome SaveFailed(const Error& e);
  Transfer& transfer() { return writer_.transfer(); }

  PacedGateway& gateway_;
  TransferWriter& writer_;
  ContactSync& contacts_;
  const Clock& clock_;
  const SevdeskSettings& settings_;
  const domain::Receipt& receipt_;
  const std::string& pdf_;
  VoucherInput voucher_;
  std::string posted_contact_;
};

}  // namespace hs::app
