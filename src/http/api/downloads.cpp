#include "http/api/downloads.hpp"

#include <cstdio>
#include <utility>

#include "core/text.hpp"
#include "domain/receipt.hpp"

namespace hs::http::api {

namespace {

// A PDF viewer does not run inside a sandboxed document, so a verified PDF is only denied all
// resources; images and attachments are sandboxed as well (no script, no forms, no origin).
constexpr const char* kPdfPolicy = "default-src 'none'; frame-ancestors 'none'";
constexpr const char* kSandboxPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox";

bool IsAttrChar(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Byte length of the UTF-8 sequence starting with `lead` (valid text assumed).
std::size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Valid UTF-8 without control or bidi control characters (each becomes '_').
std::string CleanName(std::string_view file_name) {
  if (!IsValidUtf8(file_name)) return "datei";
  std::string out;
  for (std::size_t pos = 0; pos < file_name.size();) {
    const std::size_t length = SequenceLength(static_cast<unsigned char>(file_name[pos]));
    const std::string_view piece = file_name.substr(pos, length);
    if (TextInputProblem(piece, TextShape::kSingleLine)) {
      out += '_';
    } else {
      out += piece;
    }
    pos += length;
  }
  return out;
}

}  // namespace

std::string AsciiFileName(std::string_view file_name) {
  std::string out;
  bool in_multibyte = false;
  for (char ch : file_name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      // One '_' per non-ASCII character, not per byte.
      if (c >= 0xC0 || !in_multibyte) out += '_';
      in_multibyte = true;
      continue;
    }
    in_multibyte = false;
    const bool safe =
        c >= 0x20 && c < 0x7F && std::string_view("\"\\%/;").find(ch) == std::string_view::npos;
    out += safe ? ch : '_';
  }
  if (Trim(out).empty() || out.find_first_not_of("._ ") == std::string::npos) return "datei";
  return out;
}

std::string ContentDisposition(bool as_attachment, std::string_view file_name) {
  const std::string name = CleanName(file_name);
  std::string encoded;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsAttrChar(c)) {
      encoded += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      encoded += buf;
    }
  }
  return std::string(as_attachment ? "attachment" : "inline") + "; filename=\"" +
         AsciiFileName(name) + "\"; filename*=UTF-8''" + encoded;
}

DownloadPolicy DecideDownload(std::string_view content) {
  const auto type = domain::DetectDocumentType(content);
  // A received e-invoice is data for a program, never a page: always an attachment.
  if (!type && domain::IsXmlEInvoiceOutline(content)) {
    return {"application/xml", true, kSandboxPolicy};
  }
  if (!type) return {"application/octet-stream", true, kSandboxPolicy};
  return {*type, false, *type == "application/pdf" ? kPdfPolicy : kSandboxPolicy};
}

Response FileDownload(std::string content, std::string_view file_name) {
  const DownloadPolicy policy = DecideDownload(content);
  Response res = Response::Text(200, std::move(content), policy.content_type);
  res.AddHeader("Content-Disposition", ContentDisposition(policy.as_attachment, file_name));
  res.AddHeader("Content-Security-Policy", policy.content_security_policy);
  return res;
}

}  // namespace hs::http::api
