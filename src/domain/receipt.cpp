#include "domain/receipt.hpp"

#include "core/text.hpp"

namespace hs::domain {

std::string ToString(ReceiptType type) {
  return type == ReceiptType::kExpense ? "expense" : "income";
}
std::optional<ReceiptType> ParseReceiptType(std::string_view text) {
  if (text == "income") return ReceiptType::kIncome;
  if (text == "expense") return ReceiptType::kExpense;
  return std::nullopt;
}

std::optional<std::string> DetectDocumentType(std::string_view bytes) {
  if (bytes.substr(0, 5) == "%PDF-") return "application/pdf";
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 &&
      static_cast<unsigned char>(bytes[2]) == 0xFF) {
    return "image/jpeg";
  }
  if (bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "image/png";
  return std::nullopt;
}

void SplitGross(Cents gross, int vat_rate, Cents& net, Cents& tax) {
  net = RoundDiv(gross * 100, 100 + vat_rate);
  tax = gross - net;
}

Status ValidateExpense(const NewExpense& e) {
  std::vector<FieldError> errors;
  if (!e.date.ok()) errors.push_back({"date", "Bitte ein gültiges Datum angeben."});
  if (e.amount_gross_cents <= 0 || e.amount_gross_cents > 100'000'000) {
    errors.push_back(
        {"amount_gross_cents", "Der Betrag muss größer als 0 und höchstens 1.000.000 € sein."});
  }
  if (e.vat_rate != 0 && e.vat_rate != 7 && e.vat_rate != 19) {
    errors.push_back({"vat_rate", "Erlaubte Steuersätze: 0, 7 oder 19 %."});
  }
  if (Trim(e.description).empty()) {
    errors.push_back({"description", "Bitte eine Beschreibung angeben."});
  }
  if (e.description.size() > 500) errors.push_back({"description", "Höchstens 500 Zeichen."});
  if (Trim(e.supplier).empty()) errors.push_back({"supplier", "Bitte den Lieferanten angeben."});
  if (e.supplier.size() > 200) errors.push_back({"supplier", "Höchstens 200 Zeichen."});
  if (e.number.size() > 100) errors.push_back({"number", "Höchstens 100 Zeichen."});
  CheckTextInput(e.description, TextShape::kMultiLine, "description", errors);
  CheckTextInput(e.supplier, TextShape::kSingleLine, "supplier", errors);
  CheckTextInput(e.number, TextShape::kSingleLine, "number", errors);
  if (!errors.empty()) return Invalid(std::move(errors));
  return {};
}

}  // namespace hs::domain
