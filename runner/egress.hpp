// Where the calls a bundle makes (http.request) may go. A bundle is shared between teams and
// written by analysts, yet its calls carry customer data: the deployment config, written by
// ops, lists the hosts (and schemes) they may reach:
//   "calls": {"allow": ["erp.example.com", "*.carrier.example", "http://10.0.0.5:8080"]}
// A bare host allows https only; "scheme://host[:port]" names the scheme (and port). Without
// the list, any public https or http host may be called. Either way, loopback, link-local
// (cloud metadata at 169.254.169.254), private and unspecified addresses are refused unless
// their host is listed: checked on the address the name resolves to, as the connection is
// made, so a public name pointing inside is refused too. Redirects are not followed: a 3xx is
// the step's answer. Used by the Deliverer (each call), `serve` at start and the pipeline on
// reload (the bundle's literal hosts, naming the step).
#pragma once

#include <string>
#include <sys/socket.h>
#include <vector>

#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

struct EgressPolicy {
  struct Allowed {
    std::string scheme;  // "https" for a bare host
    std::string host;    // lower case; "*.example.com" matches its subdomains
    long port = 0;       // 0: any
  };
  bool listed = false;  // the config has a list: only what it names may be called
  std::vector<Allowed> allow;
};

// Reads "calls" of a deployment config (absent: no list). Errors name the JSON Pointer.
Result<EgressPolicy> parse_egress(const Json& config);

struct UrlParts {
  std::string scheme, host;
  long port = 0;
  bool port_given = false;  // written in the URL (else the scheme's)
};
// Scheme, host (lower case, no brackets) and port of an absolute URL; an error if it has none.
Result<UrlParts> url_parts(const std::string& url);

// Whether `url` may be called under `policy`: an error saying why not.
Status egress_check_url(const EgressPolicy& policy, const std::string& url);

// Whether a connection to `address`, resolved from `host`, may be made: public addresses are,
// others only when the host is listed.
bool egress_address_allowed(const EgressPolicy& policy, const UrlParts& url, const sockaddr* address);

// Checks every http.request step of `bundle` whose url's scheme and host are written out (as
// the template renders with no data): each must be allowed; with a list, a url whose host
// comes from the run's data is refused too, since it cannot be checked. Each call is checked
// again when it is made. Errors name the step.
Status egress_check_bundle(const EgressPolicy& policy, const Bundle& bundle);

}  // namespace shopflow::runner
