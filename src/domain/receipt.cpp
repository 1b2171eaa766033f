#include "domain/receipt.hpp"

#include <cctype>

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

namespace {

// Markup a browser would run if it ever took the file for a web page. A real PDF, JPEG or PNG
// has none of it in plain bytes (compressed data could hold it only by an astronomically small
// chance), a polyglot made to be served as HTML does.
// (XMP metadata, "<?xpacket ...><x:xmpmeta ...>", is common in all three and not listed.)
constexpr std::string_view kMarkupSignatures[] = {"<!doctype", "<html",   "<head", "<body",
                                                  "<script",   "<iframe", "<svg",  "<object",
                                                  "<embed",    "<meta",   "<form"};

bool StartsWithLowered(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower_prefix[i]) return false;
  }
  return true;
}

// One pass over the bytes (memchr for '<'), so a 10 MB upload or download costs milliseconds.
bool ContainsMarkup(std::string_view bytes) {
  for (auto pos = bytes.find('<'); pos != std::string_view::npos; pos = bytes.find('<', pos + 1)) {
    // Most '<' in a PDF open a dictionary ("<<") or a hex string: no signature starts so.
    if (pos + 1 < bytes.size() &&
        std::string_view("!hbsioemfHBSIOEMF").find(bytes[pos + 1]) == std::string_view::npos) {
      continue;
    }
    for (std::string_view signature : kMarkupSignatures) {
      if (StartsWithLowered(bytes.substr(pos), signature)) return true;
    }
  }
  return false;
}

// PDF: "%PDF-1.x" at the start and a "%%EOF" trailer within the last 1024 bytes (where readers
// look for it).
bool IsPdf(std::string_view bytes) {
  if (bytes.size() < 9 || bytes.substr(0, 5) != "%PDF-") return false;
  if (!std::isdigit(static_cast<unsigned char>(bytes[5])) || bytes[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(bytes[7]))) {
    return false;
  }
  const std::size_t tail = bytes.size() > 1024 ? bytes.size() - 1024 : 0;
  return bytes.find("%%EOF", tail) != std::string_view::npos;
}

std::string_view TrimTrailingPadding(std::string_view bytes) {
  while (!bytes.empty() && (bytes.back() == '\0' || bytes.back() == '\n' || bytes.back() == '\r' ||
                            bytes.back() == ' ')) {
    bytes.remove_suffix(1);
  }
  return bytes;
}

// JPEG: the SOI marker (FF D8) followed by a marker, and the EOI marker (FF D9) at the end.
bool IsJpeg(std::string_view bytes) {
  const std::string_view end = TrimTrailingPadding(bytes);
  return bytes.size() >= 6 && bytes.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3) &&
         end.size() >= 5 && end.substr(end.size() - 2) == std::string_view("\xFF\xD9", 2);
}

// PNG: the signature, an IHDR chunk of 13 bytes first and the IEND chunk last.
bool IsPng(std::string_view bytes) {
  constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  constexpr std::string_view kIhdr("\0\0\0\x0DIHDR", 8);
  constexpr std::string_view kIend("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
  return bytes.size() >= 8 + 25 + 12 && bytes.substr(0, 8) == kSignature &&
         bytes.substr(8, 8) == kIhdr && bytes.substr(bytes.size() - 12) == kIend;
}

}  // namespace

std::optional<std::string> DetectDocumentType(std::string_view bytes) {
  std::optional<std::string> type;
  if (IsPdf(bytes)) {
    type = "application/pdf";
  } else if (IsJpeg(bytes)) {
    type = "image/jpeg";
  } else if (IsPng(bytes)) {
    type = "image/png";
  }
  if (type && ContainsMarkup(bytes)) return std::nullopt;
  return type;
}

namespace {

// The bytes after the prolog: declaration, comments, processing instructions and white space.
std::string_view SkipProlog(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  for (;;) {
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    bytes.remove_prefix(first);
    std::string_view close;
    if (bytes.starts_with("<?")) {
      close = "?>";
    } else if (bytes.starts_with("<!--")) {
      close = "-->";
    } else {
      return bytes;
    }
    const auto end = bytes.find(close, 2);
    if (end == std::string_view::npos) return {};
    bytes.remove_prefix(end + close.size());
  }
}

}  // namespace

bool IsXmlEInvoiceOutline(std::string_view bytes) {
  const std::string_view rest = SkipProlog(bytes);
  if (!rest.starts_with("<")) return false;
  const auto name_end = rest.find_first_of(" \t\r\n/>", 1);
  if (name_end == std::string_view::npos) return false;
  std::string_view name = rest.substr(1, name_end - 1);
  if (const auto colon = name.find(':'); colon != std::string_view::npos) {
    name.remove_prefix(colon + 1);
  }
  // CII, and UBL's invoice and credit note.
  const bool e_invoice_root =
      name == "CrossIndustryInvoice" || name == "Invoice" || name == "CreditNote";
  return e_invoice_root && bytes.find("<!DOCTYPE") == std::string_view::npos &&
         !ContainsMarkup(bytes);
}

Status ValidateUploadFileName(std::string_view name) {
  std::vector<FieldError> errors;
  CheckTextInput(name, TextShape::kSingleLine, "file", errors);
  if (!errors.empty()) {
    errors.front().message = "Der Dateiname enthält Steuerzeichen oder ist kein gültiger Text.";
    return Invalid(std::move(errors));
  }
  return {};
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
