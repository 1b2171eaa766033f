#include "app/voucher_mapping.hpp"

namespace hs::app {

namespace {

std::string PositionComment(const domain::Invoice& invoice, int rate) {
  const std::string cancels =
      invoice.kind == domain::InvoiceKind::kCancellation
          ? "Storno zu " + invoice.cancels_invoice_number.value_or("") + ", "
          : std::string{};
  return cancels + "Umsatz " + std::to_string(rate) + " %";
}

}  // namespace

int TaxRuleOf(domain::TaxMode mode) {
  return mode == domain::TaxMode::kKleinunternehmer ? 11 : 1;
}

std::optional<std::int64_t> RevenueAccountFor(const std::vector<RevenueAccount>& accounts,
                                              std::optional<std::int64_t> preferred, int tax_rule,
                                              int rate) {
  if (preferred) {
    for (const auto& a : accounts) {
      if (a.id == *preferred && a.Allows(tax_rule, rate)) return a.id;
    }
  }
  for (const auto& a : accounts) {
    if (a.Allows(tax_rule, rate)) return a.id;
  }
  return std::nullopt;
}

Result<VoucherData> MapVoucher(const VoucherInput& in) {
  const domain::Invoice& invoice = in.invoice;
  VoucherData v;
  v.voucher_date = invoice.invoice_date;
  v.delivery_date = invoice.service_date.value_or(invoice.invoice_date);
  v.delivery_date_until = invoice.service_period_end;
  v.description = in.description;
  v.contact_id = in.contact_id;
  v.tax_rule = TaxRuleOf(in.tax_mode);
  v.filename = in.uploaded_filename;
  // One position per VAT rate, the invoice's own group sums, always gross (ADR 0010).
  for (const auto& g : invoice.totals.groups) {
    const auto account =
        RevenueAccountFor(in.revenue_accounts, in.preferred_account, v.tax_rule, g.rate);
    if (!account) {
      return Fail(ErrorCode::kInvalidArgument, "no_account",
                  "In sevdesk gibt es kein Erlöskonto für " + std::to_string(g.rate) +
                      " % USt. (Steuerregel " + std::to_string(v.tax_rule) + ").");
    }
    v.positions.push_back({*account, g.rate, g.gross_cents, PositionComment(invoice, g.rate)});
  }
  return v;
}

std::optional<FoundVoucher> OurVoucher(const std::vector<FoundVoucher>& found,
                                       const std::string& description,
                                       const std::string& contact_id) {
  for (const auto& v : found) {
    if (v.description == description && v.contact_id == contact_id &&
        (v.credit_debit.empty() || v.credit_debit == "D")) {
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace hs::app
