// The request parser's strict rules and the multipart parser, without sockets.
#include "http/wire.hpp"

#include <gtest/gtest.h>

#include "http/multipart.hpp"

namespace hs::http {
namespace {

const wire::Limits kLimits{16 * 1024, 1000};

wire::HeadResult Parse(std::string_view head) {
  return wire::ParseHead(head, kLimits);
}

TEST(WireTest, ParsesRequestLineHeadersAndFraming) {
  auto r = Parse("POST /a%2Fb?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nX-E:\r\n\r\n");
  ASSERT_FALSE(r.failure);
  EXPECT_EQ(r.head.method, "POST");
  EXPECT_EQ(r.head.path, "/a/b");
  EXPECT_EQ(r.head.query_string, "x=1");
  EXPECT_EQ(r.head.content_length, 12u);
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_EQ(r.head.Header("x-e").value_or("?"), "");
}

TEST(WireTest, ConnectionHeaderDecidesKeepAlive) {
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: Keep-Alive, close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
}

// Each of these is framed differently by some proxy or server; refusing them keeps requests
// from being smuggled.
TEST(WireTest, RefusesAmbiguousFraming) {
  for (const char* head : {
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\n",
           "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n",
           "GET  / HTTP/1.1\r\n\r\n",
           "GET http://evil/ HTTP/1.1\r\n\r\n",
           "CONNECT / HTTP/1.1\r\n\r\n",
       }) {
    auto r = Parse(head);
    ASSERT_TRUE(r.failure) << head;
    EXPECT_EQ(r.failure->status, 400) << head;
  }
}

TEST(WireTest, ContentLengthOverTheLimitIs413) {
  auto r = Parse("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->status, 413);
}

TEST(WireTest, FindHeadEndResumesWhereItStopped) {
  const std::string head = "GET / HTTP/1.1\r\nA: b\r\n\r\nnext";
  EXPECT_FALSE(wire::FindHeadEnd(std::string_view(head).substr(0, 23), 0));
  EXPECT_EQ(wire::FindHeadEnd(head, 23).value_or(0), head.size() - 4);
}

TEST(WireTest, ChunkedDecoderAcceptsBytesOneByOne) {
  const std::string body = "4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\nT: v\r\n\r\nGET";
  wire::ChunkedDecoder decoder(kLimits);
  std::string out;
  std::string pending;
  for (char c : body) {
    pending += c;
    pending.erase(0, decoder.Feed(pending, out));
  }
  EXPECT_TRUE(decoder.done());
  EXPECT_FALSE(decoder.failure());
  EXPECT_EQ(out, "Wikipedia");
  EXPECT_EQ(pending, "GET");
}

TEST(WireTest, ChunkedDecoderStopsAtTheLimitBeforeTheData) {
  wire::ChunkedDecoder decoder(kLimits);
  std::string out;
  decoder.Feed("3e8\r\n", out);  // 1000 bytes: exactly the limit
  EXPECT_FALSE(decoder.failure());
  wire::ChunkedDecoder over(kLimits);
  over.Feed("3e9\r\n", out);
  ASSERT_TRUE(over.failure());
  EXPECT_EQ(over.failure()->status, 413);
  wire::ChunkedDecoder bad(kLimits);
  bad.Feed("zz\r\n", out);
  ASSERT_TRUE(bad.failure());
  EXPECT_EQ(bad.failure()->status, 400);
}

TEST(MultipartTest, BoundaryFromContentType) {
  EXPECT_EQ(multipart::Boundary("multipart/form-data; boundary=abc").value_or(""), "abc");
  EXPECT_EQ(multipart::Boundary("Multipart/Form-Data; charset=x; boundary=\"a b\"").value_or(""),
            "a b");
  EXPECT_FALSE(multipart::Boundary("multipart/form-data"));
  EXPECT_FALSE(multipart::Boundary("application/json; boundary=abc"));
}

TEST(MultipartTest, ParsesFilesAndPlainFieldsInOrder) {
  const std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"date\"\r\n\r\n2024-05-01\r\n"
      "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a;b.pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n%PDF\r\n--Xy\r\n--XyZ--\r\nepilogue";
  auto parts = multipart::Parse("XyZ", body);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "date");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[0].content_type, "");
  EXPECT_EQ((*parts)[0].content, "2024-05-01");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "a;b.pdf");
  EXPECT_EQ((*parts)[1].content_type, "application/pdf");
  EXPECT_EQ((*parts)[1].content, "%PDF\r\n--Xy");
}

TEST(MultipartTest, RefusesIncompleteBodies) {
  EXPECT_FALSE(multipart::Parse("b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx"));
  EXPECT_FALSE(multipart::Parse("b", "no delimiter at all"));
  EXPECT_FALSE(multipart::Parse("b", "--b\r\nheaders without end\r\n--b--"));
  auto empty = multipart::Parse("b", "--b--\r\n");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace hs::http
