// Redaction of customer data on the way out of the runner's API (`/v1`): the fields of Shopify
// and WooCommerce payloads that identify a person (emails, names, phones, addresses, IPs,
// notes...) become stable pseudonyms, and so does every email address inside any text, so an
// analyst's backtest still correlates by customer without seeing who the customer is.
//
// A pseudonym is a keyed HMAC-SHA256 of the value: the same value gives the same pseudonym in
// every answer and on every runner sharing the store (the key lives in the store). An email
// stays email-shaped (`c-<hex>@redacted.invalid`); any other value becomes `p-<hex>`. Null,
// empty text and booleans are kept, so "is there an email?" still reads the same. A pseudonym
// given again is kept as it is.
//
// Which fields: runner/REDACTION.md (the default list and the deployment config's
// `api.redact_fields`). Used by the API (runner/api.cpp) for events, run steps and effect
// parameters.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::runner {

// The fields redacted: a key anywhere in a document ("email"), or a key only within an object
// held by a given key, directly or in its array ("shipping_address.name": the name on an
// address, not an order's "#1001").
struct RedactRules {
  bool on = true;
  std::set<std::string> anywhere;
  std::set<std::pair<std::string, std::string>> within;  // (holder, key)
};

// The fields redacted unless the deployment config says otherwise, as they are written there.
const std::vector<std::string>& default_redact_fields();

// The rules from the deployment config's "api" object (null: the defaults): "redact": false
// turns redaction off; "redact_fields" is a list that replaces the defaults, or, when every
// entry starts with "+" or "-", adds to and removes from them. Fails naming the offending value
// (/api/redact_fields/3: ...).
Result<RedactRules> parse_redact_rules(const Json& api);

class Redactor {
 public:
  // `key`: the secret the pseudonyms are made with (raw bytes).
  Redactor(RedactRules rules, std::string key);

  bool on() const { return rules_.on; }
  // Redacts `doc` in place: the listed fields' values (every scalar under them), and email
  // addresses inside every other text.
  void redact(Json& doc) const;
  // `text` with every email address in it replaced by its pseudonym.
  std::string redact_text(std::string_view text) const;
  // The pseudonym of one value: email-shaped for an email.
  std::string pseudonym(std::string_view value) const;

 private:
  void walk(Json& v, const std::string& holder, bool all) const;
  void replace_leaf(Json& v) const;
  RedactRules rules_;
  std::string key_;
};

}  // namespace shopflow::runner
