// One HTTP request over libcurl, for the adapters that talk to stores and chat services
// (shopify, woocommerce, slack) and for `connectors check`. Blocking; safe to call from any
// thread. An answer that never came (DNS, refused, timeout) is `error`, not a status.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace shopflow::runner {

struct HttpCall {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when not empty
  std::string userpwd;               // "user:password" for HTTP basic auth, when not empty
  long timeout_ms = 10000;
  size_t max_body = 1 << 20;         // the answer's body is cut there (a bad peer cannot fill the memory)
};

struct HttpAnswer {
  long status = 0;                             // 0 when no answer came
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;                            // at most HttpCall::max_body of it
  bool cut = false;                            // the body was longer than that
  std::string error;                           // why no answer came; empty when one did
  bool answered() const { return error.empty(); }
};

HttpAnswer http_call(const HttpCall& call);

}  // namespace shopflow::runner
