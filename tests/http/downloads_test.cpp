#include "http/api/downloads.hpp"

#include <gtest/gtest.h>

namespace hs::http::api {
namespace {

TEST(Downloads, ContentDispositionFollowsRfc6266) {
  struct Case {
    const char* name;
    std::string file_name;
    bool attachment;
    std::string header;
  };
  const Case cases[] = {
      {"plain", "beleg.pdf", false, "inline; filename=\"beleg.pdf\"; filename*=UTF-8''beleg.pdf"},
      {"umlauts and spaces", "Rechnung März 2026.pdf", true,
       "attachment; filename=\"Rechnung M_rz 2026.pdf\"; "
       "filename*=UTF-8''Rechnung%20M%C3%A4rz%202026.pdf"},
      {"quotes and semicolons cannot end the parameter", "a\";b=c.pdf", false,
       "inline; filename=\"a__b=c.pdf\"; filename*=UTF-8''a%22%3Bb%3Dc.pdf"},
      {"NUL no longer cuts the header", std::string("evil\0.html.pdf", 14), false,
       "inline; filename=\"evil_.html.pdf\"; filename*=UTF-8''evil_.html.pdf"},
      {"CR-LF cannot start a header", "a\r\nSet-Cookie: x.pdf", true,
       "attachment; filename=\"a__Set-Cookie: x.pdf\"; filename*=UTF-8''a__Set-Cookie%3A%20x.pdf"},
      {"bidi override",
       "rechnung\xE2\x80\xAE"
       "fdp.exe",
       true, "attachment; filename=\"rechnung_fdp.exe\"; filename*=UTF-8''rechnung_fdp.exe"},
      {"invalid UTF-8", "\xFF\xFE.pdf", true,
       "attachment; filename=\"datei\"; filename*=UTF-8''datei"},
      {"only non-ASCII", "שלום", false,
       "inline; filename=\"datei\"; filename*=UTF-8''%D7%A9%D7%9C%D7%95%D7%9D"},
      {"path and percent", "..\\..\\%2e.pdf", false,
       "inline; filename=\".._..__2e.pdf\"; filename*=UTF-8''..%5C..%5C%252e.pdf"},
  };
  for (const auto& c : cases) {
    const std::string header = ContentDisposition(c.attachment, c.file_name);
    EXPECT_EQ(header, c.header) << c.name;
    for (char ch : header) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7F) << c.name << ": byte " << static_cast<int>(ch);
    }
  }
}

TEST(Downloads, OnlyVerifiedTypesAreShownInline) {
  const std::string pdf = "%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n";
  const std::string polyglot = "%PDF-1.4\n<html><script>alert(document.cookie)</script>\n%%EOF";
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\x0DIHDR", 8) +
                          std::string(17, '\x01') + std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12);

  const DownloadPolicy for_pdf = DecideDownload(pdf);
  EXPECT_EQ(for_pdf.content_type, "application/pdf");
  EXPECT_FALSE(for_pdf.as_attachment);
  EXPECT_EQ(for_pdf.content_security_policy.rfind("default-src 'none'", 0), 0u);

  const DownloadPolicy for_png = DecideDownload(png);
  EXPECT_EQ(for_png.content_type, "image/png");
  EXPECT_FALSE(for_png.as_attachment);
  EXPECT_NE(for_png.content_security_policy.find("sandbox"), std::string::npos);

  for (const std::string& bytes : {polyglot, std::string("<html>"), std::string("%PDF-1.4\n")}) {
    const DownloadPolicy p = DecideDownload(bytes);
    EXPECT_EQ(p.content_type, "application/octet-stream");
    EXPECT_TRUE(p.as_attachment);
    EXPECT_NE(p.content_security_policy.find("sandbox"), std::string::npos);
  }

  const Response res = FileDownload(polyglot, "rechnung.pdf");
  EXPECT_EQ(res.content_type, "application/octet-stream");
  ASSERT_FALSE(res.headers.empty());
  EXPECT_EQ(res.headers[0].first, "Content-Disposition");
  EXPECT_EQ(res.headers[0].second.rfind("attachment;", 0), 0u);
}

}  // namespace
}  // namespace hs::http::api
