// Requests to a runner's API and their errors in words (runner_client.hpp).
#include "runner_client.hpp"

#include <cctype>

#include "browser.hpp"

namespace shopflow::studio {

int runner_send(StudioState& state, RunnerCall call, const std::string& method, const std::string& path,
                const std::string& body) {
  RunnerState& r = state.runner;
  std::string base = r.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  int id = r.next_id++;
  r.pending[id] = call;
  http_request(id, method, base + path, r.token, body);
  return id;
}

void runner_cancel(StudioState& state, int id) {
  if (id != 0 && state.runner.pending.count(id)) http_cancel(id);
}

std::string url_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string events_query(const RunnerState& r, const std::string& after, size_t limit) {
  std::string q = "/v1/events?limit=" + std::to_string(limit);
  if (!after.empty()) q += "&after=" + url_encode(after);
  if (!r.since.empty()) q += "&since=" + url_encode(r.since);
  if (!r.until.empty()) q += "&until=" + url_encode(r.until);
  if (!r.type.empty()) q += "&type=" + url_encode(r.type);
  return q;
}

std::string page_next(const std::string& header, const std::string& body, size_t asked) {
  if (!header.empty()) return header;
  size_t lines = 0, last = std::string::npos;
  for (size_t pos = 0; pos < body.size();) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    if (end > pos) {
      ++lines;
      last = pos;
    }
    pos = end + 1;
  }
  if (lines < asked || last == std::string::npos) return "";
  size_t end = body.find('\n', last);
  auto j = parse_json(std::string_view(body).substr(last, end == std::string::npos ? std::string::npos : end - last), "event line");
  if (!j || !j.value().is_object() || !j.value().contains("seq")) return "";
  const Json& seq = j.value()["seq"];
  return seq.is_string() ? seq.get<std::string>() : seq.dump();
}

void as_trace_run(Json& run) {
  if (!run.is_object()) return;
  for (const char* k : {"error", "error_step"}) {
    auto it = run.find(k);
    if (it != run.end() && (it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty()))) run.erase(it);
  }
}

std::string answer_error(const RunnerState& r, int status, const std::string& body) {
  if (status == 0) {
    if (body == "cancelled") return "cancelled";
    return "no answer from " + r.url + " (" + body +
           "): is the runner up at that address, and does its deployment config name this page's origin in "
           "api.cors_origins?";
  }
  std::string what = std::to_string(status);
  auto j = parse_json(body, "answer");
  if (j && j.value().is_object()) {
    const Json& e = j.value();
    if (e.contains("error") && e["error"].is_string()) what += " " + e["error"].get<std::string>();
    if (e.contains("error") && e["error"].is_object()) {
      what += " " + e["error"].value("code", std::string()) + ": " + e["error"].value("message", std::string());
    }
    if (e.contains("message") && e["message"].is_string()) what += ": " + e["message"].get<std::string>();
  } else if (!body.empty()) {
    what += ": " + body.substr(0, 200);
  }
  if (status == 401) what += " (check the token)";
  if (status == 403) what += " (this needs the admin token)";
  return what;
}

}  // namespace shopflow::studio
