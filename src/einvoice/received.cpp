#include "einvoice/received.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include "core/text.hpp"

namespace hs::einvoice {

namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

struct Decimal {
  bool negative = false;
  std::string_view whole;
  std::string_view fraction;
};

// [+-]digits[.digits] or [+-].digits, nothing else (no blanks, no exponent, no comma).
std::optional<Decimal> SplitDecimal(std::string_view text) {
  Decimal d;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    d.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  d.whole = text.substr(0, dot);
  if (dot != std::string_view::npos) d.fraction = text.substr(dot + 1);
  if (d.whole.empty() && d.fraction.empty()) return std::nullopt;
  if (dot != std::string_view::npos && d.fraction.empty()) return std::nullopt;
  if (!std::ranges::all_of(d.whole, IsDigit) || !std::ranges::all_of(d.fraction, IsDigit)) {
    return std::nullopt;
  }
  return d;
}

// The decimal scaled by 10^places, exactly; nullopt when a non-zero digit would be cut or the
// value exceeds `limit`.
std::optional<std::int64_t> Scaled(std::string_view text, std::size_t places, std::int64_t limit) {
  const auto d = SplitDecimal(text);
  if (!d) return std::nullopt;
  std::string_view whole = d->whole;
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole.size() > 15) return std::nullopt;
  const std::string_view kept = d->fraction.substr(0, std::min(places, d->fraction.size()));
  const std::string_view cut = d->fraction.substr(kept.size());
  if (!std::ranges::all_of(cut, [](char c) { return c == '0'; })) return std::nullopt;
  std::int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (std::size_t i = 0; i < places; ++i) {
    value = value * 10 + (i < kept.size() ? kept[i] - '0' : 0);
    if (value > limit) return std::nullopt;
  }
  if (value > limit) return std::nullopt;
  return d->negative ? -value : value;
}

std::string Amount(Cents cents) {
  return FormatEuroDe(cents);
}

void Warn(ReceivedEInvoice& invoice, std::string text) {
  invoice.warnings.push_back(std::move(text));
}

void CheckRequiredFields(ReceivedEInvoice& e) {
  if (Trim(e.number).empty()) Warn(e, "Die Rechnungsnummer fehlt.");
  if (!e.issue_date) Warn(e, "Das Rechnungsdatum fehlt oder ist kein gültiges Datum.");
  if (Trim(e.supplier_name).empty()) Warn(e, "Der Name des Lieferanten fehlt.");
  if (e.currency != "EUR") {
    Warn(e, e.currency.empty() ? std::string("Die Währung fehlt.")
                               : "Die Rechnung ist nicht in Euro ausgestellt (" + e.currency +
                                     "); die Beträge sind in dieser Währung angegeben.");
  }
  if (e.lines.empty()) Warn(e, "Die Rechnung enthält keine Positionen.");
}

// BR-S-08 and its siblings: without document-level allowances or charges, the line nets of each
// category and rate are that group's taxable amount.
void CheckGroups(ReceivedEInvoice& e) {
  std::map<std::pair<std::string, std::int64_t>, Cents> line_sums;
  for (const auto& line : e.lines)
    line_sums[{line.vat_category, line.vat_rate_bp}] += line.net_cents;
  const bool adjusted = e.allowance_total_cents != 0 || e.charge_total_cents != 0;
  Cents basis = 0;
  Cents tax = 0;
  for (const auto& g : e.tax_groups) {
    basis += g.basis_cents;
    tax += g.tax_cents;
    const std::string label = "USt " + FormatRateDe(g.rate_bp);
    if (!adjusted) {
      const auto it = line_sums.find({g.category, g.rate_bp});
      const Cents lines = it == line_sums.end() ? 0 : it->second;
      if (lines != g.basis_cents) {
        Warn(e, "Die Positionen mit " + label + " ergeben netto " + Amount(lines) +
                    ", die Rechnung nennt als Bemessungsgrundlage " + Amount(g.basis_cents) + ".");
      }
      if (it != line_sums.end()) line_sums.erase(it);
    }
    // BR-CO-17: tax = basis x rate, rounded to cents; one cent either way is accepted.
    const Cents expected = RoundDiv(g.basis_cents * g.rate_bp, 10000);
    if (std::llabs(expected - g.tax_cents) > 1) {
      Warn(e, "Die Steuer für " + label + " (" + Amount(g.tax_cents) + ") passt nicht zur " +
                  "Bemessungsgrundlage " + Amount(g.basis_cents) + " (erwartet " +
                  Amount(expected) + ").");
    }
  }
  if (!adjusted) {
    for (const auto& [key, sum] : line_sums) {
      Warn(e, "Für Positionen mit USt " + FormatRateDe(key.second) + " (" + Amount(sum) +
                  " netto) fehlt die Aufschlüsselung der Umsatzsteuer.");
    }
  }
  if (basis != e.tax_basis_cents) {
    Warn(e, "Die Bemessungsgrundlagen je Steuersatz ergeben " + Amount(basis) +
                ", die Rechnung nennt netto " + Amount(e.tax_basis_cents) + ".");
  }
  if (tax != e.tax_total_cents) {
    Warn(e, "Die Steuerbeträge je Steuersatz ergeben " + Amount(tax) +
                ", die Rechnung nennt als Umsatzsteuer " + Amount(e.tax_total_cents) + ".");
  }
}

void CheckTotals(ReceivedEInvoice& e) {
  Cents lines = 0;
  for (const auto& line : e.lines) lines += line.net_cents;
  if (lines != e.line_total_cents) {
    Warn(e, "Die Positionen ergeben netto " + Amount(lines) + ", die Rechnung nennt als Summe " +
                "der Positionen " + Amount(e.line_total_cents) + ".");
  }
  const Cents basis = e.line_total_cents - e.allowance_total_cents + e.charge_total_cents;
  if (basis != e.tax_basis_cents) {
    Warn(e, "Die Nettosumme " + Amount(e.tax_basis_cents) + " passt nicht zu Positionen, " +
                "Nachlässen und Zuschlägen (" + Amount(basis) + ").");
  }
  if (e.tax_basis_cents + e.tax_total_cents != e.gross_cents) {
    Warn(e, "Der Bruttobetrag " + Amount(e.gross_cents) + " ist nicht netto plus Umsatzsteuer (" +
                Amount(e.tax_basis_cents + e.tax_total_cents) + ").");
  }
  const Cents due = e.gross_cents - e.prepaid_cents + e.rounding_cents;
  if (due != e.due_payable_cents) {
    Warn(e, "Der Zahlbetrag " + Amount(e.due_payable_cents) + " passt nicht zum Bruttobetrag " +
                "abzüglich Anzahlungen (" + Amount(due) + ").");
  }
}

}  // namespace

std::optional<Cents> ParseDecimalCents(std::string_view text) {
  return Scaled(text, 2, 10'000'000'000'000);
}

std::optional<std::int64_t> ParseRateBasisPoints(std::string_view text) {
  auto bp = Scaled(text, 2, 10000);
  if (!bp || *bp < 0) return std::nullopt;
  return bp;
}

std::optional<std::string> ParseQuantityText(std::string_view text) {
  if (text.size() > 40 || !SplitDecimal(text)) return std::nullopt;
  return std::string(text);
}

std::optional<Date> ParseDate102(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 8 || !ParseDigits(text, 0, 4, y) || !ParseDigits(text, 4, 2, m) ||
      !ParseDigits(text, 6, 2, d)) {
    return std::nullopt;
  }
  const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

namespace {

// "XRechnung 3.0" from "...#conformant#urn:xeinkauf.de:kosit:xrechnung_3.0" (the version as
// written), "XRechnung" without one; nullopt for another guideline.
std::optional<std::string> XRechnungLabel(std::string_view guideline) {
  const std::string g = ToLowerAscii(guideline);
  if (g.find("xrechnung") == std::string::npos) return std::nullopt;
  const auto pos = g.find("xrechnung_");
  if (pos != std::string::npos && pos + 10 < g.size()) {
    return "XRechnung " + std::string(guideline.substr(pos + 10, 3));
  }
  return "XRechnung";
}

std::string CiiProfileLabel(const std::string& lower) {
  static constexpr std::pair<std::string_view, std::string_view> kProfiles[] = {
      {"extended", "EXTENDED"}, {"basicwl", "BASIC WL"}, {"basic", "BASIC"},
      {"minimum", "MINIMUM"},   {"en16931", "EN 16931"},
  };
  for (const auto& [key, label] : kProfiles) {
    if (lower.find(key) != std::string::npos) {
      return "ZUGFeRD / Factur-X (" + std::string(label) + ")";
    }
  }
  return "E-Rechnung (CII)";
}

std::string UblLabel(const std::string& lower) {
  if (lower.find("peppol") != std::string::npos && lower.find("billing:3.0") != std::string::npos) {
    return "Peppol BIS Billing 3.0 (UBL)";
  }
  if (lower.find("en16931") != std::string::npos) return "EN 16931 (UBL)";
  return "E-Rechnung (UBL)";
}

}  // namespace

std::string FormatLabel(std::string_view guideline, Syntax syntax) {
  const bool ubl = syntax == Syntax::kUbl;
  if (auto xrechnung = XRechnungLabel(guideline)) return ubl ? *xrechnung + " (UBL)" : *xrechnung;
  const std::string g = ToLowerAscii(guideline);
  return ubl ? UblLabel(g) : CiiProfileLabel(g);
}

std::string FormatRateDe(std::int64_t rate_bp) {
  std::string out = std::to_string(rate_bp / 100);
  if (rate_bp % 100 != 0) {
    std::string fraction = std::to_string(rate_bp % 100);
    fraction.insert(0, 2 - fraction.size(), '0');
    if (fraction.back() == '0') fraction.pop_back();
    out += "," + fraction;
  }
  return out + " %";
}

std::string TypeCodeLabel(std::string_view type_code) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"380", "Rechnung"},
      {"381", "Gutschrift (Rechnungskorrektur)"},
      {"384", "Korrekturrechnung"},
      {"389", "Selbst ausgestellte Rechnung"},
      {"326", "Teilrechnung"},
      {"875", "Teilschlussrechnung"},
      {"876", "Teilrechnung"},
      {"877", "Schlussrechnung"},
      {"751", "Rechnungsinformation"},
      {"261", "Gutschrift"},
  };
  for (const auto& [code, label] : kTypes) {
    if (type_code == code) return std::string(label);
  }
  return "Rechnung (Art " + std::string(type_code.substr(0, 8)) + ")";
}

namespace {

// At most `max` bytes, cut at a character boundary.
std::string Cut(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

}  // namespace

void PrefillExpense(domain::NewExpense& expense, const ReceivedEInvoice& invoice) {
  if (Trim(expense.supplier).empty()) expense.supplier = Cut(invoice.supplier_name, 200);
  if (Trim(expense.number).empty()) expense.number = Cut(invoice.number, 100);
  if (Trim(expense.description).empty() && !invoice.lines.empty()) {
    std::string text = invoice.lines.front().name;
    const std::size_t more = invoice.lines.size() - 1;
    if (more == 1) text += " und 1 weitere Position";
    if (more > 1) text += " und " + std::to_string(more) + " weitere Positionen";
    expense.description = Cut(text, 500);
  }
}

std::vector<std::string> CompareWithReceipt(const ReceivedEInvoice& invoice, Date date,
                                            Cents gross_cents) {
  std::vector<std::string> notes;
  if (invoice.issue_date && *invoice.issue_date != date) {
    notes.push_back("Das erfasste Belegdatum " + FormatDateDe(date) +
                    " weicht vom Rechnungsdatum der E-Rechnung (" +
                    FormatDateDe(*invoice.issue_date) + ") ab.");
  }
  if (gross_cents != invoice.gross_cents) {
    notes.push_back("Der erfasste Betrag " + Amount(gross_cents) +
                    " weicht vom Bruttobetrag der E-Rechnung (" + Amount(invoice.gross_cents) +
                    ") ab.");
  }
  return notes;
}

void CheckReceived(ReceivedEInvoice& invoice) {
  CheckRequiredFields(invoice);
  CheckTotals(invoice);
  CheckGroups(invoice);
}

}  // namespace hs::einvoice
