#include "http/server.hpp"

#include <httplib.h>

#include "http/body_framing.hpp"

namespace hs::http {

namespace {
constexpr const char* kInternalErrorBody =
    R"({"code":"internal","message":"Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.","details":[]})";
constexpr const char* kTooLargeBody =
    R"({"code":"payload_too_large","message":"Die Anfrage ist zu groß.","details":[]})";
constexpr const char* kLengthRequiredBody =
    R"({"code":"length_required","message":"Die Anfrage braucht eine Längenangabe (Content-Length).","details":[]})";
constexpr const char* kBadRequestBody =
    R"({"code":"bad_request","message":"Ungültige Anfrage.","details":[]})";

std::optional<std::string> HeaderOf(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

// Answers `body` and closes the connection, so that an unread request body is never read:
// httplib keeps a connection unless writing the answer fails, so the provider writes the whole
// answer, ends it and then reports a failure.
void AnswerAndClose(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Connection", "close");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_chunked_content_provider("application/json; charset=utf-8",
                                   [body = std::move(body)](std::size_t, httplib::DataSink& sink) {
                                     sink.write(body.data(), body.size());
                                     sink.done();
                                     return false;
                                   });
}

// httplib 0.11.4 applies set_payload_max_length only to a body with a Content-Length, and even
// reads that one to its end before answering 413; a chunked body, or one without a length (read
// until the peer closes), it reads whole. Such requests are refused before their body is read.
httplib::Server::HandlerResponse RefuseUnboundedBody(const httplib::Request& req,
                                                     httplib::Response& res,
                                                     std::size_t max_body_bytes) {
  const int status = BodyRefusalStatus(
      req.method, HeaderOf(req, "Transfer-Encoding"), HeaderOf(req, "Content-Length"),
      req.get_header_value_count("Content-Length"), max_body_bytes);
  if (status == 0) return httplib::Server::HandlerResponse::Unhandled;
  AnswerAndClose(res, status,
                 status == 413   ? kTooLargeBody
                 : status == 411 ? kLengthRequiredBody
                                 : kBadRequestBody);
  return httplib::Server::HandlerResponse::Handled;
}

Request ToRequest(const httplib::Request& in) {
  Request out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [k, v] : in.params) out.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) {
    // httplib stores peer information as pseudo headers; never trust them (GHSA-xm2j-vfr9-mg9m).
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT") {
      continue;
    }
    out.headers.emplace_back(k, v);
  }
  out.body = in.body;
  for (const auto& [field, file] : in.files) {
    out.files.push_back(UploadedFile{field, file.filename, file.content_type, file.content});
  }
  out.remote_addr = in.remote_addr;
  return out;
}
}  // namespace

class Server::Impl {
 public:
  Impl(ServerSettings settings, Handler handler)
      : settings_(std::move(settings)), handler_(std::move(handler)) {
    const std::size_t threads = settings_.threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(settings_.max_body_bytes);
    server_.set_read_timeout(settings_.read_timeout);
    server_.set_write_timeout(settings_.write_timeout);
    server_.set_keep_alive_timeout(settings_.keep_alive_timeout.count());
    server_.set_keep_alive_max_count(100);
    // httplib writes the headers and the body of an answer separately; with Nagle's algorithm on,
    // the body waits for the peer's delayed ACK (~40 ms on Linux) on every keep-alive request.
    server_.set_tcp_nodelay(true);
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return RefuseUnboundedBody(req, res, settings_.max_body_bytes);
    });
    auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
      Respond(ToRequest(req), res);
    };
    const std::string any = ".*";
    server_.Get(any, dispatch);
    server_.Post(any, dispatch);
    server_.Put(any, dispatch);
    server_.Patch(any, dispatch);
    server_.Delete(any, dispatch);
    server_.Options(any, dispatch);
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(kInternalErrorBody, "application/json; charset=utf-8");
        });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      // Only reached for errors httplib detects itself (e.g. 413, 400); our handler answers
      // everything else with a body, and a refusal that closes the connection brings its own.
      if (!res.body.empty() || res.has_header("Connection")) return;
      if (res.status == 413) {
        res.set_content(kTooLargeBody, "application/json; charset=utf-8");
      } else {
        res.set_content(R"({"code":"bad_request","message":"Ungültige Anfrage.","details":[]})",
                        "application/json; charset=utf-8");
      }
    });
  }

  void Respond(Request request, httplib::Response& res) {
    Response response = handler_(request);
    res.status = response.status;
    for (auto& [k, v] : response.headers) res.set_header(k, v);
    if (response.drop_connection) {
      // Promise a body and fail to deliver it: the client sees the connection closed mid-answer.
      res.set_content_provider(1024, response.content_type,
                               [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      return;
    }
    if (request.method == "HEAD") {
      res.set_header("Content-Type", response.content_type);
      return;
    }
    res.body = std::move(response.body);
    res.set_header("Content-Type", response.content_type);
  }

  Result<int> Bind() {
    int port = settings_.port;
    if (port == 0) {
      port = server_.bind_to_any_port(settings_.host);
      if (port < 0) port = -1;
    } else if (!server_.bind_to_port(settings_.host, port)) {
      port = -1;
    }
    if (port < 0) {
      return Fail(ErrorCode::kUnavailable, "bind_failed",
                  "Cannot listen on " + settings_.host + ":" + std::to_string(settings_.port));
    }
    port_ = port;
    return port;
  }

  void Serve() { server_.listen_after_bind(); }
  void Stop() { server_.stop(); }
  int port() const { return port_; }

 private:
  ServerSettings settings_;
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
};

Server::Server(ServerSettings settings, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(handler))) {}
Server::~Server() = default;
Result<int> Server::Bind() {
  return impl_->Bind();
}
void Server::Serve() {
  impl_->Serve();
}
void Server::Stop() {
  impl_->Stop();
}
int Server::port() const {
  return impl_->port();
}

}  // namespace hs::http
