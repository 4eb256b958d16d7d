#include "http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace shopflow::runner {

namespace {

size_t take_header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

struct BodySink {
  HttpAnswer* answer;
  size_t max;
};

size_t take_body(char* data, size_t size, size_t n, void* out) {
  auto* sink = static_cast<BodySink*>(out);
  std::string& s = sink->answer->body;
  // Bounded, so a bad peer cannot fill the memory.
  size_t room = s.size() < sink->max ? sink->max - s.size() : 0;
  if (size * n > room) sink->answer->cut = true;
  s.append(data, std::min(room, size * n));
  return size * n;
}

}  // namespace

HttpAnswer http_call(const HttpCall& call) {
  HttpAnswer a;
  CURL* h = curl_easy_init();
  if (!h) {
    a.error = "cannot start an HTTP request (libcurl)";
    return a;
  }
  curl_slist* headers = nullptr;
  for (const auto& line : call.headers) headers = curl_slist_append(headers, line.c_str());
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (!call.body.empty()) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  if (!call.userpwd.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(h, CURLOPT_USERPWD, call.userpwd.c_str());
  }
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body);
  BodySink sink{&a, call.max_body};
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, take_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &a.headers);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    a.error = call.method + " " + call.url + ": " + curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  }
  if (headers) curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return a;
}

}  // namespace shopflow::runner
