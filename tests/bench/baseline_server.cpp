// The benchmark's practical limit: an HTTP server that does only the unavoidable work per
// webhook — verify the HMAC over the raw body, parse the JSON, write the inbox row and one
// effect row to SQLite with the runner's durability and group commit — and nothing else.
// Usage: shopflow_bench_baseline DB PORT SECRET
#include <httplib.h>
#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "webhooks.hpp"

namespace {

struct Item {
  std::string id, body, effect;
  std::promise<bool> done;
};

std::mutex mu;
std::condition_variable cv;
std::deque<Item*> queue;

void committer(sqlite3* db) {
  sqlite3_stmt* ins_event = nullptr;
  sqlite3_stmt* ins_effect = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO inbox(id, body) VALUES(?1, ?2)", -1, &ins_event, nullptr);
  sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO outbox(id, params) VALUES(?1, ?2)", -1, &ins_effect, nullptr);
  for (;;) {
    std::deque<Item*> batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [] { return !queue.empty(); });
      batch.swap(queue);
    }
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (Item* it : batch) {
      sqlite3_bind_text(ins_event, 1, it->id.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(ins_event, 2, it->body.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(ins_event);
      sqlite3_reset(ins_event);
      std::string eid = it->id + "/email";
      sqlite3_bind_text(ins_effect, 1, eid.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins_effect, 2, it->effect.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(ins_effect);
      sqlite3_reset(ins_effect);
    }
    bool ok = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    for (Item* it : batch) it->done.set_value(ok);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DB PORT SECRET\n", argv[0]);
    return 2;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE IF NOT EXISTS inbox(id TEXT PRIMARY KEY, body TEXT);"
               "CREATE TABLE IF NOT EXISTS outbox(id TEXT PRIMARY KEY, params TEXT);",
               nullptr, nullptr, nullptr);
  std::thread(committer, db).detach();
  std::string secret = argv[3];
  httplib::Server http;
  http.set_tcp_nodelay(true);
  http.new_task_queue = [] { return new httplib::ThreadPool(16); };
  http.Post("/webhooks/shopify", [&](const httplib::Request& req, httplib::Response& res) {
    if (!shopflow::runner::verify_hmac_base64(secret, req.body, req.get_header_value("X-Shopify-Hmac-Sha256"))) {
      res.status = 401;
      return;
    }
    auto doc = nlohmann::json::parse(req.body, nullptr, false);
    if (doc.is_discarded()) {
      res.status = 400;
      return;
    }
    Item item;
    item.id = req.get_header_value("X-Shopify-Webhook-Id");
    item.body = req.body;
    item.effect = nlohmann::json{{"to", doc.value("email", "")}, {"subject", "Order " + doc.value("name", "") + " confirmed"}}.dump();
    auto fut = item.done.get_future();
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(&item);
    }
    cv.notify_one();
    res.status = fut.get() ? 202 : 503;
    res.set_content("{\"accepted\":1}", "application/json");
  });
  std::printf("baseline listening on 127.0.0.1:%s\n", argv[2]);
  std::fflush(stdout);
  http.listen("127.0.0.1", std::atoi(argv[2]));
}
