// The benchmark's practical limit: an HTTP server that does only the unavoidable work per
// webhook — verify the HMAC over the raw body, parse the JSON, write the inbox row and one
// effect row to SQLite with the runner's durability and group commit — and nothing else. It
// serves HTTP as the runner does (libmicrohttpd, epoll threads, a request suspended while its
// commit is pending), so the two differ only in the work between.
// Usage: shopflow_bench_baseline DB PORT SECRET
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sqlite3.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "webhooks.hpp"

namespace {

struct Item {
  std::string id, body, effect;
  MHD_Connection* connection = nullptr;
  bool done = false, ok = false;
};

std::mutex mu;
std::condition_variable cv;
std::deque<Item*> queue;
std::string secret;

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
    for (Item* it : batch) {
      it->ok = ok;
      it->done = true;
      MHD_resume_connection(it->connection);
    }
  }
}

MHD_Result reply(MHD_Connection* c, unsigned status, const std::string& body) {
  MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

MHD_Result on_request(void*, MHD_Connection* c, const char*, const char*, const char*, const char* data, size_t* size,
                      void** slot) {
  if (*slot == nullptr) {
    *slot = new Item;
    return MHD_YES;
  }
  auto* item = static_cast<Item*>(*slot);
  if (*size > 0) {
    item->body.append(data, *size);
    *size = 0;
    return MHD_YES;
  }
  if (item->done) return reply(c, item->ok ? 202 : 503, "{\"accepted\":1}");
  const char* sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Shopify-Hmac-Sha256");
  if (!shopflow::runner::verify_hmac_base64(secret, item->body, sig ? sig : "")) return reply(c, 401, "{}");
  auto doc = nlohmann::json::parse(item->body, nullptr, false);
  if (doc.is_discarded()) return reply(c, 400, "{}");
  const char* id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Shopify-Webhook-Id");
  item->id = id ? id : "";
  item->effect = nlohmann::json{{"to", doc.value("email", "")}, {"subject", "Order " + doc.value("name", "") + " confirmed"}}.dump();
  item->connection = c;
  MHD_suspend_connection(c);
  {
    std::lock_guard<std::mutex> lock(mu);
    queue.push_back(item);
  }
  cv.notify_one();
  return MHD_YES;
}

void on_completed(void*, MHD_Connection*, void** slot, MHD_RequestTerminationCode) {
  delete static_cast<Item*>(*slot);
  *slot = nullptr;
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
  secret = argv[3];
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(committer, db).detach();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  MHD_Daemon* daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME,
                                        static_cast<uint16_t>(std::atoi(argv[2])), nullptr, nullptr, &on_request, nullptr,
                                        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                                        MHD_OPTION_NOTIFY_COMPLETED, &on_completed,
                                        nullptr, MHD_OPTION_END);
  if (daemon == nullptr) return 1;
  std::printf("baseline listening on 127.0.0.1:%s\n", argv[2]);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  std::_Exit(0);
}
