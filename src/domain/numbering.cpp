#include "domain/numbering.hpp"

namespace hs::domain {

namespace {
tl::unexpected<Error> InvalidFormat(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, "invalid_number_format", std::move(message));
}
}  // namespace

Status ValidateNumberFormat(const std::string& format) {
  if (format.empty() || format.size() > 50) {
    return InvalidFormat("Das Nummernformat muss 1 bis 50 Zeichen lang sein.");
  }
  int sequences = 0;
  int years = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '}') {
      return InvalidFormat("Unerwartete Klammer '}' im Nummernformat.");
    }
    if (format[i] != '{') continue;
    const auto close = format.find('}', i);
    if (close == std::string::npos) {
      return InvalidFormat("Nicht geschlossene Klammer im Nummernformat.");
    }
    const std::string token = format.substr(i + 1, close - i - 1);
    if (!token.empty() && token.find_first_not_of('N') == std::string::npos) {
      if (token.size() > 10) {
        return InvalidFormat("Höchstens 10 Stellen für die laufende Nummer.");
      }
      ++sequences;
    } else if (token == "YYYY" || token == "YY") {
      ++years;
    } else {
      return InvalidFormat("Unbekannter Platzhalter {" + token +
                           "}. Erlaubt: {YYYY}, {YY}, {NNNN}.");
    }
    i = close;
  }
  if (sequences != 1) {
    return InvalidFormat(
        "Das Nummernformat braucht genau einen Platzhalter für die laufende Nummer, z. B. "
        "{NNNN}.");
  }
  if (years == 0) {
    return InvalidFormat(
        "Das Nummernformat braucht das Jahr ({YYYY} oder {YY}): Die laufende Nummer beginnt "
        "jedes Jahr wieder bei 1, ohne Jahr würden sich die Rechnungsnummern wiederholen.");
  }
  return {};
}

std::string FormatInvoiceNumber(const std::string& format, int year, std::int64_t sequence) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '{') {
      out += format[i];
      continue;
    }
    const auto close = format.find('}', i);
    const std::string token = format.substr(i + 1, close - i - 1);
    if (token == "YYYY") {
      out += std::to_string(year);
    } else if (token == "YY") {
      std::string yy = std::to_string(year % 100);
      out += (yy.size() < 2 ? "0" : "") + yy;
    } else {
      std::string digits = std::to_string(sequence);
      if (digits.size() < token.size()) digits.insert(0, token.size() - digits.size(), '0');
      out += digits;
    }
    i = close;
  }
  return out;
}

}  // namespace hs::domain
