#pragma once
// Stored files as answers (receipt files, invoice PDFs): the headers never come from unchecked
// text. The content type is the one the bytes verify as (domain::DetectDocumentType, checked
// again on every download so a file stored under older, weaker checks is covered too), never
// the client's; only a verified PDF, JPEG or PNG is shown inline, an XML e-invoice
// (domain::IsXmlEInvoiceOutline) is an application/xml attachment, anything else an
// application/octet-stream attachment; the file name goes out per RFC 6266.
#include <string>
#include <string_view>

#include "http/http_types.hpp"

namespace hs::http::api {

// The file name as plain ASCII for the quoted `filename="…"` of old clients: printable ASCII
// except '"', '\\', '%', '/' and ';' (anything else becomes '_'); "datei" when nothing is left.
std::string AsciiFileName(std::string_view file_name);

// `inline` or `attachment`, then `filename="<AsciiFileName>"` and
// `filename*=UTF-8''<percent-encoded UTF-8>` (RFC 6266, RFC 8187). Control and bidi control
// characters and invalid UTF-8 in the name become '_' first.
std::string ContentDisposition(bool as_attachment, std::string_view file_name);

struct DownloadPolicy {
  std::string content_type;  // verified type, or application/octet-stream
  bool as_attachment = true;
  std::string content_security_policy;
};

// How a stored file with these bytes is sent.
DownloadPolicy DecideDownload(std::string_view content);

// A 200 answer with the file and the headers of DecideDownload (nosniff and the general API
// headers are added by Api::Handle for every answer).
Response FileDownload(std::string content, std::string_view file_name);

}  // namespace hs::http::api
