#pragma once
// What the readers of received e-invoices share (internal to hs_einvoice): the one hardened
// libxml2 parse path, the namespace-exact child lookups, the bounded text of an element and the
// field reader that turns amounts and rates into cents and basis points with German warnings.
// The CII reader (cii_reader.cpp) and the UBL reader (ubl_reader.cpp) each map their syntax onto
// ReceivedEInvoice with these; neither parses on its own. Only the hs_einvoice sources include
// this header: libxml2 stays a private dependency of the library.
#include <libxml/tree.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "einvoice/received.hpp"

namespace hs::einvoice::xml {

// An element with exactly this namespace and local name (prefixes do not matter).
bool Is(const xmlNode* node, const char* ns, const char* name);
// The first child element `ns`:`name`, nullptr when there is none or `node` is nullptr.
const xmlNode* Child(const xmlNode* node, const char* ns, const char* name);
// All child elements `ns`:`name` in document order.
std::vector<const xmlNode*> Children(const xmlNode* node, const char* ns, const char* name);
// The element at the end of a path of names in one namespace (nullptr when one step is missing).
const xmlNode* Path(const xmlNode* node, const char* ns, std::initializer_list<const char*> names);
// The element's own text, trimmed and cut to 1000 bytes of UTF-8; "" for nullptr.
std::string Text(const xmlNode* node);
// An attribute without namespace, trimmed; "" when missing.
std::string Attribute(const xmlNode* node, const char* name);
// Of several amount elements (an amount given in the invoice currency and again in the
// accounting currency), the one whose currencyID is `currency` or has none; else the first.
const xmlNode* InCurrency(const std::vector<const xmlNode*>& amounts, const std::string& currency);

// Reads amounts and rates of one invoice, each problem a German warning on it, never a failure:
// a received invoice with a wrong number is still shown, with the note.
class FieldReader {
 public:
  explicit FieldReader(ReceivedEInvoice& out) : out_(out) {}

  // Cents of the amount element; 0 and a warning when it is missing (and `required`) or not a
  // decimal with at most two significant decimals.
  Cents Amount(const xmlNode* node, const std::string& what, bool required = true);
  // Hundredths of a percent; 0 without a warning when missing (category O has no rate).
  std::int64_t Rate(const xmlNode* node, const std::string& what);
  // The quantity's exact decimal text, "" and a warning when it is none.
  std::string Quantity(const xmlNode* node, const std::string& what);
  void Warn(std::string text);

 private:
  ReceivedEInvoice& out_;
};

// kInvalidArgument "e_invoice_too_large" for a document with more than kMaxEInvoiceLines lines.
Status CheckLineCount(std::size_t lines);

// "not_e_invoice" with the German sentence that names what is accepted.
tl::unexpected<Error> NotEInvoice();

// The syntax readers, on a root element already checked by ReadXml.
Result<ReceivedEInvoice> ReadCii(const xmlNode* root);
Result<ReceivedEInvoice> ReadUbl(const xmlNode* root);

// Which roots ReadXml accepts: a Factur-X / ZUGFeRD PDF carries a CII by its standard, a plain
// XML upload may be either.
enum class Accept { kCiiOnly, kCiiOrUbl };

// Parses without network, entity substitution or DTD, refuses any document type declaration,
// then hands the root to the reader of its syntax; the reasons of ReadEInvoiceXml.
Result<ReceivedEInvoice> ReadXml(std::string_view bytes, Accept accept);

}  // namespace hs::einvoice::xml
