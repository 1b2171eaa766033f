// The event-driven server (src/http/server.cpp) over real loopback sockets: what handlers see,
// the JSON error answers, the fault hooks byte by byte, and slow clients that must not stall it.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "http/compression.hpp"
#include "raw_socket.hpp"

namespace hs::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::BodyOf;
using test::RawSocket;
using test::StatusOf;

// A server on a free port, serving on its own thread until the test ends.
class Running {
 public:
  Running(ServerSettings settings, Handler handler) : server_(Defaults(settings), handler) {
    auto port = server_.Bind();
    EXPECT_TRUE(port.has_value());
    port_ = port.value_or(0);
    thread_ = std::thread([this] { server_.Serve(); });
  }
  ~Running() { StopAndJoin(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void StopAndJoin() {
    server_.Stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static ServerSettings Defaults(ServerSettings s) {
    s.host = "127.0.0.1";
    s.port = 0;
    return s;
  }
  Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Answers with what it was asked, one line per field.
Response Echo(const Request& r) {
  std::string body = r.method + " " + r.path + "\n";
  for (const auto& [k, v] : r.query) body += "query " + k + "=" + v + "\n";
  body += "x-test " + r.Header("X-Test").value_or("-") + "\n";
  body += "remote " + r.remote_addr + "\n";
  body += "body " + r.body + "\n";
  for (const auto& f : r.files) {
    body += "file " + f.name + "|" + f.filename + "|" + f.content_type + "|" + f.content + "\n";
  }
  return Response::Text(200, body, "text/plain");
}

TEST(ServerTest, HandlerSeesMethodPathQueryHeadersAndPeer) {
  Running server({}, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(
      s.Send("GET /a%20b/c?x=1&y=%C3%A4+z&x=2 HTTP/1.1\r\nHost: t\r\nX-Test:  spaced \r\n\r\n"));
  const std::string answer = s.ReadAnswer(5s);
  EXPECT_EQ(StatusOf(answer), 200);
  EXPECT_NE(answer.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Keep-Alive: timeout=5, max=100\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(answer),
            "GET /a b/c\nquery x=1\nquery x=2\nquery y=ä z\nx-test spaced\nremote "
            "127.0.0.1\nbody \n");
}

TEST(ServerTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  Running server({}, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("GET /one HTTP/1.1\r\nHost: t\r\n\r\nGET /two HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string both;
  while (both.find("GET /two") == std::string::npos) {
    auto got = s.ReadSome(5s);
    ASSERT_TRUE(got && !got->empty());
    both += *got;
  }
  EXPECT_LT(both.find("GET /one"), both.find("GET /two"));
  ASSERT_TRUE(s.Send("POST /three HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_NE(BodyOf(s.ReadAnswer(5s)).find("body abc"), std::string::npos);
}

TEST(ServerTest, HeadAnswersHeadersOnly) {
  Running server({}, [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("HEAD /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  const std::string answer = s.ReadUntilClose(5s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(answer), 200);
  EXPECT_NE(answer.find("Content-Length: 11\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(answer), "");
}

TEST(ServerTest, MalformedRequestsGetJson400) {
  Running server({}, Echo);
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "BREW /pot HTTP/1.1\r\n\r\n"}) {
    RawSocket s(server.port());
    ASSERT_TRUE(s.Send(bad));
    const std::string answer = s.ReadUntilClose(5s);
    EXPECT_EQ(StatusOf(answer), 400) << bad;
    EXPECT_NE(BodyOf(answer).find(R"("code":"bad_request")"), std::string::npos) << bad;
  }
}

TEST(ServerTest, ThrowingHandlerGetsJson500) {
  Running server({}, [](const Request&) -> Response { throw std::runtime_error("boom"); });
  Client client(server.base(), 5s);
  auto res = client.Send("GET", "/", {});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find(R"("code":"internal")"), std::string::npos);
}

TEST(ServerTest, EmptyErrorBodiesAreFilledWithJson) {
  Running server({}, [](const Request&) { return Response::Text(404, "", "text/plain"); });
  Client client(server.base(), 5s);
  auto res = client.Send("GET", "/", {});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find(R"("code":"bad_request")"), std::string::npos);
}

TEST(ServerTest, ContentLengthOverTheLimitGets413WithoutReadingTheBody) {
  ServerSettings settings;
  settings.max_body_bytes = 1000;
  Running server(settings, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n"));
  const std::string answer = s.ReadUntilClose(5s);
  EXPECT_EQ(StatusOf(answer), 413);
  EXPECT_NE(BodyOf(answer).find(R"("code":"payload_too_large")"), std::string::npos);
}

TEST(ServerTest, ChunkedBodyIsDecoded) {
  Running server({}, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(
      s.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n"
             "A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"));
  EXPECT_NE(BodyOf(s.ReadAnswer(5s)).find("body abc0123456789\n"), std::string::npos);
}

// Writes a chunked body of `total` bytes until the server stops taking it; returns the bytes the
// kernel accepted.
std::size_t SendChunkedFlood(RawSocket& s, std::size_t total) {
  const std::string chunk(64 * 1024, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  std::size_t sent = 0;
  while (sent < total) {
    if (!s.Send(size_line) || !s.Send(chunk) || !s.Send("\r\n")) break;
    sent += chunk.size();
  }
  return sent;
}

TEST(ServerTest, ChunkedBodyOverTheLimitGets413AndIsNotReadToTheEnd) {
  ServerSettings settings;
  settings.max_body_bytes = 1024 * 1024;
  Running server(settings, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  constexpr std::size_t kTotal = 64 * 1024 * 1024;
  std::atomic<std::size_t> sent{0};
  std::thread writer([&] { sent = SendChunkedFlood(s, kTotal); });
  std::string answer;
  for (auto got = s.ReadSome(10s); got && !got->empty(); got = s.ReadSome(10s)) answer += *got;
  writer.join();
  EXPECT_EQ(StatusOf(answer), 413);
  EXPECT_NE(BodyOf(answer).find(R"("code":"payload_too_large")"), std::string::npos);
  // The limit plus what socket buffers and the short linger took, far from all 64 MiB.
  EXPECT_LT(sent.load(), std::size_t{24} * 1024 * 1024);
}

TEST(ServerTest, CloseWithoutAnswerSendsNoByteOnAKeptAliveConnection) {
  Running server({}, [](const Request& r) {
    Response res = Response::Text(200, "fine", "text/plain");
    res.close_without_answer = r.path == "/close";
    return res;
  });
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(BodyOf(s.ReadAnswer(5s)), "fine");
  ASSERT_TRUE(s.Send("GET /close HTTP/1.1\r\nHost: t\r\n\r\n"));
  bool closed = false;
  EXPECT_EQ(s.ReadUntilClose(5s, &closed), "");
  EXPECT_TRUE(closed);
}

TEST(ServerTest, TruncateBodyAtSendsFullLengthThenFewerBytes) {
  Running server({}, [](const Request&) {
    Response res = Response::Text(200, "0123456789", "text/plain");
    res.truncate_body_at = 4;
    return res;
  });
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  bool closed = false;
  const std::string answer = s.ReadUntilClose(5s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(answer), 200);
  EXPECT_NE(answer.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(answer), "0123");
}

TEST(ServerTest, DropConnectionSendsHeadersThenCloses) {
  Running server({}, [](const Request&) {
    Response res = Response::Json(201, "");
    res.drop_connection = true;
    res.AddHeader("X-Hook", "drop");
    return res;
  });
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  bool closed = false;
  const std::string answer = s.ReadUntilClose(5s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(answer), 201);
  EXPECT_NE(answer.find("X-Hook: drop\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Content-Length: 1024\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(answer), "");
}

TEST(ServerTest, MultipartPartsArriveAsFilesWithPlainFields) {
  Running server({}, Echo);
  Client client(server.base(), 5s);
  auto res = client.SendMultipart(
      "/upload", {},
      {{"date", "2024-05-01", "", ""},
       {"file", std::string("%PDF\0\r\n--x", 10), "beleg.pdf", "application/pdf"}});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("file date|||2024-05-01\n"), std::string::npos) << res->body;
  const std::string file_line =
      std::string("file file|beleg.pdf|application/pdf|") + std::string("%PDF\0\r\n--x", 10) + "\n";
  EXPECT_NE(res->body.find(file_line), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("body \n"), std::string::npos);  // parts are not the body as well
}

TEST(ServerTest, BrokenMultipartGetsJson400) {
  Running server({}, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(
      s.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b\r\n"
             "Content-Length: 20\r\n\r\n--b\r\nno end in sight.."));
  const std::string answer = s.ReadUntilClose(5s);
  EXPECT_EQ(StatusOf(answer), 400);
  EXPECT_NE(BodyOf(answer).find(R"("code":"bad_request")"), std::string::npos);
}

TEST(ServerTest, UrlEncodedFormFieldsJoinTheQuery) {
  Running server({}, Echo);
  Client client(server.base(), 5s);
  auto res =
      client.Send("POST", "/f?a=1", {}, "b=2+3&c=%C3%A4", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res.has_value());
  EXPECT_NE(res->body.find("query a=1\nquery b=2 3\nquery c=ä\n"), std::string::npos) << res->body;
}

TEST(ServerTest, ExpectContinueGetsAnInterimAnswer) {
  Running server({}, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(
      s.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = s.ReadSome(5s);
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(s.Send("hi"));
  EXPECT_NE(BodyOf(s.ReadAnswer(5s)).find("body hi\n"), std::string::npos);
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerSettings settings;
  settings.keep_alive_timeout = 1s;
  Running server(settings, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(StatusOf(s.ReadAnswer(5s)), 200);
  const auto start = Clock::now();
  bool closed = false;
  EXPECT_EQ(s.ReadUntilClose(5s, &closed), "");
  EXPECT_TRUE(closed);
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(ServerTest, SlowBodyIsCutOffBelowTheMinimumRate) {
  ServerSettings settings;
  settings.transfer_grace = 1s;
  settings.min_transfer_rate = 1000;
  Running server(settings, Echo);
  RawSocket s(server.port());
  ASSERT_TRUE(s.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
  const auto start = Clock::now();
  std::string answer;
  // 10 bytes every 100 ms is 100 bytes/s; no pause is long, the average is too low.
  for (int i = 0; i < 50 && answer.empty(); ++i) {
    if (!s.Send("0123456789")) break;
    if (auto got = s.ReadSome(100ms)) answer = *got;
  }
  EXPECT_EQ(StatusOf(answer), 408);
  EXPECT_NE(answer.find(R"("code":"request_timeout")"), std::string::npos);
  EXPECT_LT(Clock::now() - start, 3s);
}

// Request lines followed by a header byte now and then: each such client would have held one of
// the previous library's threads for as long as it liked.
std::vector<RawSocket> OpenSlowClients(int port, int count) {
  std::vector<RawSocket> slow;
  for (int i = 0; i < count; ++i) {
    slow.emplace_back(port);
    EXPECT_TRUE(slow.back().ok());
    slow.back().Send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  }
  return slow;
}

// Timed GETs on one keep-alive connection; returns the slowest. The tests allow 1 s, well above
// what a loaded CI machine under ASan needs, and far below the previous server's "never" (each
// slow client held a thread); the 100 ms target is the benchmark's (docs/benchmarks.md).
Clock::duration SlowestOf(Client& client, int requests) {
  Clock::duration slowest{};
  for (int i = 0; i < requests; ++i) {
    const auto start = Clock::now();
    auto res = client.Send("GET", "/fast", {});
    slowest = std::max(slowest, Clock::now() - start);
    EXPECT_TRUE(res.has_value() && res->status == 200);
  }
  return slowest;
}

TEST(ServerTest, SlowAndIdleClientsNeitherStallOthersNorStayForever) {
  ServerSettings settings;
  settings.threads = 2;
  settings.header_timeout = 2s;
  Running server(settings, Echo);
  std::vector<RawSocket> slow = OpenSlowClients(server.port(), 200);
  std::vector<RawSocket> idle;
  for (int i = 0; i < 50; ++i) idle.emplace_back(server.port());
  const auto opened = Clock::now();
  Client client(server.base(), 5s);
  for (int round = 0; round < 2; ++round) {
    for (auto& s : slow) s.Send("x");  // one header byte per client and second
    EXPECT_LT(SlowestOf(client, 20), 1s);
    std::this_thread::sleep_for(1s);
  }
  // Past the header deadline: every slow and idle client has been disconnected.
  std::this_thread::sleep_until(opened + 2500ms);
  int closed = 0;
  for (auto* group : {&slow, &idle}) {
    for (auto& s : *group) {
      bool c = false;
      s.ReadUntilClose(100ms, &c);
      closed += c ? 1 : 0;
    }
  }
  EXPECT_EQ(closed, 250);
  EXPECT_LT(SlowestOf(client, 5), 1s);
}

TEST(ServerTest, StopReturnsPromptlyWithSlowClientsConnected) {
  auto server = std::make_unique<Running>(ServerSettings{}, Echo);
  std::vector<RawSocket> slow = OpenSlowClients(server->port(), 50);
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  server->StopAndJoin();
  EXPECT_LT(Clock::now() - start, 1s);
  bool closed = false;
  slow.front().ReadUntilClose(1s, &closed);
  EXPECT_TRUE(closed);
}

TEST(ServerTest, AtTheConnectionLimitTheLongestWaitingConnectionMakesRoom) {
  ServerSettings settings;
  settings.max_connections = 10;
  Running server(settings, Echo);
  std::vector<RawSocket> idle;
  for (int i = 0; i < 10; ++i) idle.emplace_back(server.port());
  std::this_thread::sleep_for(100ms);
  Client client(server.base(), 5s);
  auto res = client.Send("GET", "/", {});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  bool closed = false;
  idle.front().ReadUntilClose(1s, &closed);
  EXPECT_TRUE(closed);
}

TEST(ServerTest, PerAddressLimitAnswers503) {
  ServerSettings settings;
  settings.max_connections_per_ip = 2;
  Running server(settings, Echo);
  RawSocket a(server.port());
  RawSocket b(server.port());
  std::this_thread::sleep_for(100ms);
  RawSocket c(server.port());
  const std::string answer = c.ReadUntilClose(5s);
  EXPECT_EQ(StatusOf(answer), 503);
  EXPECT_NE(BodyOf(answer).find(R"("code":"unavailable")"), std::string::npos);
}

TEST(ServerTest, BlockingHandlersDoNotBlockOtherConnections) {
  std::atomic<bool> release{false};
  ServerSettings settings;
  settings.threads = 2;
  Running server(settings, [&release](const Request& r) {
    while (r.path == "/block" && !release.load()) std::this_thread::sleep_for(5ms);
    return Response::Text(200, "ok", "text/plain");
  });
  RawSocket blocked(server.port());
  ASSERT_TRUE(blocked.Send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n"));
  Client client(server.base(), 5s);
  EXPECT_LT(SlowestOf(client, 10), 1s);
  release = true;
  EXPECT_EQ(StatusOf(blocked.ReadAnswer(5s)), 200);
}

TEST(ServerTest, LargeTextAnswersAreGzippedForClientsThatAskForIt) {
  const std::string json = "[" + std::string(5000, ' ') + "]";
  Running server({}, [&json](const Request&) { return Response::Json(200, json); });
  RawSocket plain(server.port());
  ASSERT_TRUE(plain.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(BodyOf(plain.ReadAnswer(5s)), json);
  RawSocket gzip(server.port());
  ASSERT_TRUE(gzip.Send("GET / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br;q=1, gzip\r\n\r\n"));
  const std::string packed = gzip.ReadAnswer(5s);
  EXPECT_NE(packed.find("Content-Encoding: gzip\r\n"), std::string::npos);
  EXPECT_LT(BodyOf(packed).size(), 200u);
  Client client(server.base(), 5s);  // sends Accept-Encoding and decompresses
  auto res = client.Send("GET", "/", {});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, json);
}

TEST(CompressionTest, AcceptEncodingWeights) {
  EXPECT_TRUE(compression::AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(compression::AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_FALSE(compression::AcceptsGzip("gzip;q=0, br"));
  EXPECT_FALSE(compression::AcceptsGzip("identity"));
  EXPECT_TRUE(compression::Compressible("text/html; charset=utf-8"));
  EXPECT_TRUE(compression::Compressible("application/json; charset=utf-8"));
  EXPECT_FALSE(compression::Compressible("application/pdf"));
}

}  // namespace
}  // namespace hs::http
