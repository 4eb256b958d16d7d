#include "egress.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace shopflow::runner {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

long default_port(const std::string& scheme) { return scheme == "https" ? 443 : scheme == "http" ? 80 : 0; }

bool host_matches(const std::string& pattern, const std::string& host) {
  if (pattern.rfind("*.", 0) == 0) {
    std::string suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return pattern == host;
}

bool listed(const EgressPolicy& p, const UrlParts& u) {
  for (const auto& a : p.allow) {
    if (a.scheme == u.scheme && host_matches(a.host, u.host) && (a.port == 0 || a.port == u.port)) return true;
  }
  return false;
}

// Loopback, link-local, private, unspecified, multicast: not the public internet.
bool internal_address(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
    auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x7F000000, 8) || in(0x0A000000, 8) || in(0xAC100000, 12) ||
           in(0xC0A80000, 16) || in(0xA9FE0000, 16) || in(0x64400000, 10) || in(0xE0000000, 4);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    const unsigned char* b = a6->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, b + 12, 4);
      return internal_address(reinterpret_cast<const sockaddr*>(&v4));
    }
    return IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_LINKLOCAL(a6) ||
           IN6_IS_ADDR_MULTICAST(a6) || (b[0] & 0xFE) == 0xFC;  // fc00::/7, unique local
  }
  return true;
}

// The address a literal host names, if it is one.
bool literal_address(const std::string& host, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return true;
  }
  return false;
}

}  // namespace

Result<EgressPolicy> parse_egress(const Json& config) {
  EgressPolicy p;
  if (!config.is_object() || !config.contains("calls")) return p;
  const Json& c = config["calls"];
  if (!c.is_object()) return Error{"must be an object like {\"allow\": [\"erp.example.com\"]}", "/calls", 0, 0};
  if (!c.contains("allow")) return p;
  if (!c["allow"].is_array()) return Error{"must be a list of hosts", "/calls/allow", 0, 0};
  p.listed = true;
  for (size_t i = 0; i < c["allow"].size(); ++i) {
    const Json& item = c["allow"][i];
    std::string at = "/calls/allow/" + std::to_string(i);
    if (!item.is_string() || item.get<std::string>().empty()) return Error{"must be a host name", at, 0, 0};
    std::string text = item.get<std::string>();
    EgressPolicy::Allowed a;
    if (text.find("://") == std::string::npos) {
      a.scheme = "https";
      a.host = lower(text);
    } else {
      auto u = url_parts(text);
      if (!u) return Error{u.error().message, at, 0, 0};
      a.scheme = u.value().scheme;
      a.host = u.value().host;
      a.port = u.value().port_given ? u.value().port : 0;
    }
    if (a.scheme != "https" && a.scheme != "http") return Error{"calls may use http or https only", at, 0, 0};
    p.allow.push_back(a);
  }
  return p;
}

Result<UrlParts> url_parts(const std::string& url) {
  CURLU* h = curl_url();
  if (!h) return Error{"cannot parse a URL (libcurl)", "", 0, 0};
  UrlParts out;
  CURLUcode rc = curl_url_set(h, CURLUPART_URL, url.c_str(), 0);
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (rc == CURLUE_OK) rc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
  if (rc == CURLUE_OK) rc = curl_url_get(h, CURLUPART_HOST, &host, 0);
  if (rc == CURLUE_OK) {
    out.port_given = curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK;
    if (!out.port_given) (void)curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  }
  if (rc == CURLUE_OK) {
    out.scheme = lower(scheme);
    out.host = lower(host);
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') out.host = out.host.substr(1, out.host.size() - 2);
    out.port = port ? std::atol(port) : default_port(out.scheme);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(h);
  if (rc != CURLUE_OK) return Error{"\"" + url.substr(0, 200) + "\" is not an absolute URL", "", 0, 0};
  return out;
}

namespace {

Status check_parts(const EgressPolicy& policy, const UrlParts& p) {
  if (p.scheme != "https" && p.scheme != "http") return Error{"calls may use http or https only, not " + p.scheme, "", 0, 0};
  if (policy.listed && !listed(policy, p)) {
    return Error{p.scheme + "://" + p.host + " is not among the hosts the deployment config allows calls to (calls.allow)",
                 "", 0, 0};
  }
  sockaddr_storage literal;
  if (literal_address(p.host, &literal) && !egress_address_allowed(policy, p, reinterpret_cast<const sockaddr*>(&literal))) {
    return Error{p.host + " is an internal address (loopback, link-local, private); calls go there only when calls.allow lists it",
                 "", 0, 0};
  }
  return Status::Ok();
}

// Scheme and host of a url written out up to its host, as a template renders with no data:
// "https://erp.example.com/stock?sku=" or "http://127.0.0.1:/x". Empty host when unknown.
UrlParts written_parts(const std::string& known) {
  UrlParts p;
  auto sep = known.find("://");
  if (sep == std::string::npos) return p;
  p.scheme = lower(known.substr(0, sep));
  size_t start = sep + 3;
  size_t end = known[start] == '[' ? known.find(']', start) : known.find_first_of(":/?#", start);
  if (known[start] == '[') {
    if (end == std::string::npos) return p;
    p.host = lower(known.substr(start + 1, end - start - 1));
    ++end;
  } else {
    p.host = lower(known.substr(start, end == std::string::npos ? std::string::npos : end - start));
  }
  p.port = default_port(p.scheme);
  if (end != std::string::npos && end < known.size() && known[end] == ':') {
    size_t digits = known.find_first_not_of("0123456789", end + 1);
    std::string port = known.substr(end + 1, digits == std::string::npos ? std::string::npos : digits - end - 1);
    p.port = port.empty() ? 0 : std::atol(port.c_str());
    p.port_given = !port.empty();
  }
  return p;
}

}  // namespace

Status egress_check_url(const EgressPolicy& policy, const std::string& url) {
  auto u = url_parts(url);
  if (!u) return u.error();
  return check_parts(policy, u.value());
}

bool egress_address_allowed(const EgressPolicy& policy, const UrlParts& url, const sockaddr* address) {
  if (!internal_address(address)) return true;
  return listed(policy, url);
}

Status egress_check_bundle(const EgressPolicy& policy, const Bundle& bundle) {
  for (const auto& w : bundle.workflows) {
    for (const auto& st : w.steps) {
      if (st.kind != StepKind::Action || st.action != "http.request") continue;
      for (const auto& [name, value] : st.params) {
        if (name != "url") continue;
        // What the url is before any of the run's data goes in: a host written out survives.
        std::string known;
        if (value.kind == Computed::Kind::Literal && value.literal.is_string()) {
          known = value.literal.get<std::string>();
        } else if (value.kind == Computed::Kind::Text) {
          auto r = value.text.render(Json::object());
          if (r) known = r.value();
        }
        UrlParts u = written_parts(known);
        if (u.host.empty()) {
          if (!policy.listed) continue;  // checked when the call is made
          return Error{"the url's host comes from the run's data, so the hosts the deployment config allows "
                       "(calls.allow) cannot be checked; write the scheme and host out",
                       st.pointer + "/params/url", 0, 0};
        }
        if (auto s = check_parts(policy, u); !s) return Error{s.error().message, st.pointer + "/params/url", 0, 0};
      }
    }
  }
  return Status::Ok();
}

}  // namespace shopflow::runner
