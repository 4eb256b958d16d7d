#include "production.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <functional>
#include <optional>

#include "http_client.hpp"
#include "ingest.hpp"
#include "shopflow/open_store.hpp"
#include "shopflow/store.hpp"

namespace shopflow::cli {

std::string event_line_text(const EventLine& e) {
  std::string out = "{\"seq\":" + std::to_string(e.seq) + ",\"received\":\"";
  append_instant(out, e.received);
  out += '"';
  if (!e.key.empty()) {
    auto doc = parse_json(e.body, "an event");
    if (!doc || !doc.value().is_object() || doc.value().value("id", std::string()) != e.key) {
      append_json_key(out, "key");
      append_json_string(out, e.key);
    }
  }
  append_json_key(out, "event");
  out += e.body;
  out += '}';
  return out;
}

Result<Event> event_of(EventLine&& e) {
  InboxRow row;
  row.seq = e.seq;
  row.id = std::move(e.key);
  row.body = std::move(e.body);
  row.received = e.received;
  if (row.id.empty()) {
    auto doc = parse_json(row.body, "an event");
    if (doc && doc.value().is_object()) row.id = doc.value().value("id", std::string());
  }
  if (!e.received) {
    auto doc = parse_json(row.body, "an event");
    if (doc && doc.value().is_object() && doc.value().contains("time") && doc.value()["time"].is_string()) {
      auto t = parse_instant(doc.value()["time"].get_ref<const std::string&>());
      if (t) row.time = t.value();
    }
  }
  return recorded_event(row);
}

namespace {

bool passes(const RecordFilter& f, Millis t) { return (!f.since || t >= *f.since) && (!f.until || t < *f.until); }

// [SECTION] a store file

class StoreSource final : public ProductionSource {
 public:
  StoreSource(std::unique_ptr<Store> store, std::string path, RecordFilter filter)
      : store_(std::move(store)), path_(std::move(path)), filter_(std::move(filter)) {}

  Result<std::vector<EventLine>> events(size_t max) override {
    std::vector<EventLine> out;
    if (events_done_) return out;
    InboxQuery q;
    if (filter_.since) q.since = *filter_.since;
    if (filter_.until) q.until = *filter_.until;
    q.type = filter_.type;
    auto rows = store_->inbox_outside(q, after_events_, max);
    if (!rows) return Error{path_ + ": " + rows.error().message, "", 0, 0};
    if (rows.value().size() < max) events_done_ = true;
    out.reserve(rows.value().size());
    for (InboxRow& r : rows.value()) {
      after_events_ = r.seq;
      out.push_back(EventLine{r.seq, r.received ? r.received : r.time, std::move(r.id), std::move(r.body)});
    }
    return out;
  }

  Result<std::vector<RunRecord>> runs(size_t max) override {
    std::vector<RunRecord> out;
    while (!runs_done_ && out.empty()) {
      auto n = store_->each_run(after_runs_, max, true, [&](const RunView& v) {
        after_runs_ = v.seq;
        if (!passes(filter_, v.started)) return;
        RunRecord r;
        r.id = v.id;
        r.workflow = v.workflow;
        r.event_id = v.event_id;
        r.status = v.status;
        r.error = v.error;
        r.error_step = v.error_step;
        r.started = v.started;
        r.updated = v.updated;
        r.steps = v.steps;
        out.push_back(std::move(r));
      });
      if (!n) return Error{path_ + ": " + n.error().message, "", 0, 0};
      if (n.value() < max) runs_done_ = true;
    }
    return out;
  }

  Result<std::vector<EffectRecord>> effects(size_t max) override {
    std::vector<EffectRecord> out;
    if (effects_done_) return out;
    auto n = store_->each_effect(after_effects_, max, [&](const EffectView& v) {
      after_effects_ = v.seq;
      EffectRecord e;
      e.id = v.id;
      e.run_id = v.run_id;
      e.path = v.path;
      e.type = v.type;
      e.params = v.params;
      e.created = v.created;
      out.push_back(std::move(e));
    });
    if (!n) return Error{path_ + ": " + n.error().message, "", 0, 0};
    if (n.value() < max) effects_done_ = true;
    return out;
  }

  std::optional<std::int64_t> events_total() override {
    auto n = store_->inbox_count(false);
    return n ? std::optional<std::int64_t>(n.value()) : std::nullopt;
  }

  std::string where() const override { return path_; }

 private:
  std::unique_ptr<Store> store_;
  std::string path_;
  RecordFilter filter_;
  std::int64_t after_events_ = 0, after_runs_ = 0, after_effects_ = 0;
  bool events_done_ = false, runs_done_ = false, effects_done_ = false;
};

// [SECTION] a runner's API

// Percent-encodes a query value or a path segment.
std::string escaped(const std::string& s) {
  CURL* h = curl_easy_init();
  char* e = h ? curl_easy_escape(h, s.data(), static_cast<int>(s.size())) : nullptr;
  std::string out = e ? e : s;
  if (e) curl_free(e);
  if (h) curl_easy_cleanup(h);
  return out;
}

// Calls `each` with every non-blank line of a JSON Lines answer and its number (from 1),
// stopping at the first error it returns.
Status each_line(const std::string& body, const std::function<Status(std::string_view, size_t)>& each) {
  size_t line_no = 0;
  for (size_t pos = 0; pos < body.size();) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (auto s = each(line, line_no); !s) return s;
  }
  return {};
}

// Where the next page of an answer starts (its Shopflow-Next-After), or nullopt at the last.
std::optional<std::int64_t> next_after(const runner::HttpAnswer& a) {
  auto next = a.headers.find("shopflow-next-after");
  if (next == a.headers.end()) return std::nullopt;
  return std::strtoll(next->second.c_str(), nullptr, 10);
}

class ApiSource final : public ProductionSource {
 public:
  ApiSource(std::string url, std::string token, RecordFilter filter)
      : url_(std::move(url)), token_(std::move(token)), filter_(std::move(filter)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
  }

  Result<std::vector<EventLine>> events(size_t max) override {
    std::vector<EventLine> out;
    if (events_done_) return out;
    std::string q = "/v1/events?limit=" + std::to_string(max) + window() + "&after=" + std::to_string(after_events_);
    if (!filter_.type.empty()) q += "&type=" + escaped(filter_.type);
    auto a = get(q);
    if (!a) return a.error();
    Status read = each_line(a.value().body, [&](std::string_view line, size_t line_no) -> Status {
      auto doc = parse_json(line, "an event line");
      if (!doc || !doc.value().is_object() || !doc.value().contains("event")) {
        return Error{url_ + q + ": line " + std::to_string(line_no) + " is not an event line {\"seq\", \"received\", \"event\"}" +
                         (doc ? "" : ": " + doc.error().message),
                     "", 0, 0};
      }
      Json& j = doc.value();
      EventLine e;
      e.seq = j.value("seq", std::int64_t{0});
      if (j.contains("received") && j["received"].is_string()) {
        auto t = parse_instant(j["received"].get_ref<const std::string&>());
        if (t) e.received = t.value();
      }
      e.body = json_text(j["event"]);
      if (j.contains("key") && j["key"].is_string()) {
        e.key = j["key"].get<std::string>();
      } else {
        // The runner keys an event by its sender too; an answer without the key gets the same one.
        auto k = runner::legacy_inbox_key(j["event"].value("id", std::string()), e.body);
        if (k) e.key = *k;
      }
      after_events_ = e.seq;
      out.push_back(std::move(e));
      return {};
    });
    if (!read) return read.error();
    auto next = next_after(a.value());
    if (!next || out.empty()) {
      events_done_ = true;
    } else {
      after_events_ = *next;
    }
    return out;
  }

  Result<std::vector<RunRecord>> runs(size_t max) override {
    std::vector<RunRecord> out;
    if (runs_done_) return out;
    // The runs with their step records, as JSON Lines: a page in one answer.
    std::string lines_q = "/v1/runs?steps=true&limit=" + std::to_string(max) + window() + "&after=" + std::to_string(after_runs_);
    auto a = get(lines_q);
    if (!a) return a.error();
    auto type = a.value().headers.find("content-type");
    if (type != a.value().headers.end() && type->second.find("ndjson") != std::string::npos) {
      Status read = each_line(a.value().body, [&](std::string_view line, size_t line_no) -> Status {
        auto r = run_record_text(line);
        if (!r) return Error{url_ + lines_q + ": line " + std::to_string(line_no) + ": " + r.error().to_string(), "", 0, 0};
        out.push_back(std::move(r.value()));
        return {};
      });
      if (!read) return read.error();
      auto next = next_after(a.value());
      if (!next || out.empty()) {
        runs_done_ = true;
      } else {
        after_runs_ = *next;
      }
      return out;
    }
    // A runner that does not send the steps with its list: each run on its own.
    std::string q = "/v1/runs?limit=" + std::to_string(max) + window() + "&after=" + std::to_string(after_runs_);
    auto page = get_json(q, "runs");
    if (!page) return page.error();
    for (const Json& item : page.value()["runs"]) {
      const std::string id = item.value("id", std::string());
      // The step records come with each run on its own.
      auto one = get_json("/v1/runs/" + escaped(id), "run");
      if (!one) return one.error();
      auto r = run_record(one.value()["run"]);
      if (!r) return Error{url_ + "/v1/runs/" + id + ": " + r.error().to_string(), "", 0, 0};
      out.push_back(std::move(r.value()));
    }
    const Json& next = page.value()["next_after"];
    if (next.is_number_integer() && !out.empty()) {
      after_runs_ = next.get<std::int64_t>();
    } else {
      runs_done_ = true;
    }
    return out;
  }

  Result<std::vector<EffectRecord>> effects(size_t max) override {
    std::vector<EffectRecord> out;
    if (effects_done_) return out;
    std::string q = "/v1/effects?limit=" + std::to_string(max) + "&after=" + std::to_string(after_effects_);
    auto page = get_json(q, "effects");
    if (!page) return page.error();
    for (const Json& item : page.value()["effects"]) {
      auto e = effect_record(item);
      if (!e) return Error{url_ + q + ": " + e.error().to_string(), "", 0, 0};
      out.push_back(std::move(e.value()));
    }
    const Json& next = page.value()["next_after"];
    if (next.is_number_integer() && !out.empty()) {
      after_effects_ = next.get<std::int64_t>();
    } else {
      effects_done_ = true;
    }
    return out;
  }

  std::string where() const override { return url_; }

 private:
  std::string url_, token_;
  RecordFilter filter_;
  std::int64_t after_events_ = 0, after_runs_ = 0, after_effects_ = 0;
  bool events_done_ = false, runs_done_ = false, effects_done_ = false;

  std::string window() const {
    std::string q;
    if (filter_.since) q += "&since=" + escaped(format_instant(*filter_.since));
    if (filter_.until) q += "&until=" + escaped(format_instant(*filter_.until));
    return q;
  }

  Result<runner::HttpAnswer> get(const std::string& path_and_query) {
    runner::HttpCall call;
    call.method = "GET";
    call.url = url_ + path_and_query;
    call.headers.push_back("Authorization: Bearer " + token_);
    call.timeout_ms = 120000;
    call.max_body = size_t{1} << 30;
    runner::HttpAnswer a = runner::http_call(call);
    if (!a.answered()) {
      return Error{"cannot reach the runner: " + a.error + " (is `shopflow serve` running at " + url_ + "?)", "", 0, 0};
    }
    if (a.cut) return Error{"GET " + call.url + ": the answer is longer than 1 GiB; ask for smaller pages", "", 0, 0};
    if (a.status != 200) {
      std::string said;
      auto doc = parse_json(a.body, "an error");
      if (doc && doc.value().is_object()) said = doc.value().value("message", std::string());
      if (said.empty()) said = a.body.substr(0, 200);
      std::string hint;
      if (a.status == 401 || a.status == 403) {
        hint = " (give the runner's read token with --token or in SHOPFLOW_API_READ_TOKEN)";
      }
      return Error{"GET " + call.url + ": " + std::to_string(a.status) + ": " + said + hint, "", 0, 0};
    }
    return a;
  }

  Result<Json> get_json(const std::string& path_and_query, const char* member) {
    auto a = get(path_and_query);
    if (!a) return a.error();
    auto doc = parse_json(a.value().body, "the runner's answer");
    if (!doc || !doc.value().is_object() || !doc.value().contains(member)) {
      return Error{"GET " + url_ + path_and_query + ": the answer has no \"" + member + "\"" +
                       (doc ? "" : ": " + doc.error().message),
                   "", 0, 0};
    }
    return std::move(doc.value());
  }
};

}  // namespace

Result<std::unique_ptr<ProductionSource>> open_store_source(const std::string& path, RecordFilter filter) {
  if (!is_postgres_url(path)) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Error{"no store at " + path + " (give the file or URL `shopflow serve --db` writes)", "", 0, 0};
    std::fclose(f);
  }
  auto s = open_store(path);
  if (!s) return Error{redact_store_url(path) + ": " + s.error().message, "", 0, 0};
  return std::unique_ptr<ProductionSource>(new StoreSource(std::move(s.value()), path, std::move(filter)));
}

Result<std::unique_ptr<ProductionSource>> open_api_source(const std::string& url, const std::string& token,
                                                           RecordFilter filter) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Error{"--from " + url + ": give the runner's base URL, http://HOST:PORT or https://...", "", 0, 0};
  }
  if (token.empty()) {
    return Error{"no API token: give the runner's read token with --token or in SHOPFLOW_API_READ_TOKEN", "", 0, 0};
  }
  return std::unique_ptr<ProductionSource>(new ApiSource(url, token, std::move(filter)));
}

}  // namespace shopflow::cli
