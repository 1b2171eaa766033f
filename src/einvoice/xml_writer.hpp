#pragma once
// A minimal, deterministic XML writer: elements, attributes and escaped text, indented by two
// spaces. Enough for the CII document; no third-party XML library is needed to write it.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hs::einvoice {

using XmlAttributes = std::vector<std::pair<std::string, std::string>>;

// Text for an XML 1.0 element or attribute: & < > " ' as entities; the control characters XML
// 1.0 forbids (all of C0 but TAB, LF, CR) become a space. Stored texts never contain them
// (domain validation), so that is only a guard against an unreadable document.
std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  XmlWriter();
  void Open(std::string_view name, const XmlAttributes& attributes = {});
  void Close();
  void Leaf(std::string_view name, std::string_view text, const XmlAttributes& attributes = {});
  // The document, with all elements closed.
  std::string Finish();

 private:
  void StartTag(std::string_view name, const XmlAttributes& attributes);
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace hs::einvoice
