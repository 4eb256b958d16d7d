#include "redact.hpp"

#include <cctype>

#include "webhooks.hpp"

namespace shopflow::runner {

namespace {

constexpr std::string_view kEmailDomain = "@redacted.invalid";

bool local_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' ||
         c == '\'';
}
bool domain_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }

// An email address around the '@' at `at` in `s`: [begin, end), or begin == end when none
// (a local part, and a domain with a dot that neither starts nor ends it).
std::pair<size_t, size_t> email_around(std::string_view s, size_t at) {
  size_t b = at;
  while (b > 0 && local_char(s[b - 1])) --b;
  size_t e = at + 1;
  while (e < s.size() && domain_char(s[e])) ++e;
  while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) --e;  // the sentence's full stop
  std::string_view domain = s.substr(at + 1, e - at - 1);
  if (b == at || domain.empty() || domain.front() == '.' || domain.find('.') == std::string_view::npos) return {at, at};
  return {b, e};
}

bool is_email(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos) return false;
  auto [b, e] = email_around(s, at);
  return b == 0 && e == s.size();
}

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// A pseudonym already: c-<hex>@redacted.invalid or p-<hex>.
bool is_pseudonym(std::string_view s) {
  if (s.size() > kEmailDomain.size() && s.substr(s.size() - kEmailDomain.size()) == kEmailDomain) {
    return s.rfind("c-", 0) == 0 && is_hex(s.substr(2, s.size() - kEmailDomain.size() - 2));
  }
  return s.size() == 18 && s.rfind("p-", 0) == 0 && is_hex(s.substr(2));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const std::vector<std::string>& default_redact_fields() {
  static const std::vector<std::string> fields = {
      // who: Shopify and WooCommerce customers, addresses and contacts
      "email", "contact_email", "customer_email", "billing_email", "phone", "billing_phone", "shipping_phone",
      "first_name", "last_name", "middle_name", "firstname", "lastname", "company", "vat_id", "username",
      // where: street addresses and coordinates (country, province and city are kept)
      "address1", "address2", "address_1", "address_2", "zip", "postcode", "latitude", "longitude",
      // the name on an address or a customer (an order's or a product's "name" is kept)
      "customer.name", "shipping_address.name", "billing_address.name", "default_address.name", "addresses.name",
      "destination.name", "billing.name", "shipping.name",
      // from where: the buyer's connection
      "browser_ip", "client_ip", "customer_ip_address", "ip_address", "customer_user_agent", "client_details",
      // what they wrote
      "note", "customer_note", "note_attributes", "body_text"};
  return fields;
}

Result<RedactRules> parse_redact_rules(const Json& api) {
  RedactRules rules;
  auto add = [&rules](const std::string& field, bool remove) {
    auto dot = field.find('.');
    if (dot == std::string::npos) {
      remove ? (void)rules.anywhere.erase(field) : (void)rules.anywhere.insert(field);
    } else {
      auto pair = std::make_pair(field.substr(0, dot), field.substr(dot + 1));
      remove ? (void)rules.within.erase(pair) : (void)rules.within.insert(pair);
    }
  };
  Json fields = nullptr;
  if (!api.is_null()) {
    if (!api.is_object()) return Error{"the api settings must be an object", "/api", 0, 0};
    if (api.contains("redact")) {
      if (!api["redact"].is_boolean()) return Error{"\"redact\" must be true or false", "/api/redact", 0, 0};
      rules.on = api["redact"].get<bool>();
    }
    if (api.contains("redact_fields")) fields = api["redact_fields"];
  }
  bool amend = true;
  if (!fields.is_null()) {
    if (!fields.is_array()) {
      return Error{"\"redact_fields\" must be a list of field names (\"email\", \"shipping_address.name\")",
                   "/api/redact_fields", 0, 0};
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      const Json& f = fields[i];
      std::string where = "/api/redact_fields/" + std::to_string(i);
      if (!f.is_string() || f.get<std::string>().empty() || f.get<std::string>() == "+" || f.get<std::string>() == "-") {
        return Error{"a field name is expected (\"email\", \"shipping_address.name\", \"+loyalty_id\", \"-company\")",
                     where, 0, 0};
      }
      const std::string s = f.get<std::string>();
      if (s[0] != '+' && s[0] != '-') amend = false;
      std::string name = (s[0] == '+' || s[0] == '-') ? s.substr(1) : s;
      auto dot = name.find('.');
      if (dot == 0 || dot + 1 == name.size() || (dot != std::string::npos && name.find('.', dot + 1) != std::string::npos)) {
        return Error{"\"" + s + "\" is not a field name: KEY, or HOLDER.KEY for a key only within the object HOLDER holds",
                     where, 0, 0};
      }
    }
  }
  if (amend) {
    for (const auto& f : default_redact_fields()) add(f, false);
  }
  if (fields.is_array()) {
    for (const Json& f : fields) {
      const std::string s = f.get<std::string>();
      if (s[0] == '+' || s[0] == '-') {
        add(s.substr(1), s[0] == '-');
      } else {
        add(s, false);
      }
    }
  }
  return rules;
}

Redactor::Redactor(RedactRules rules, std::string key) : rules_(std::move(rules)), key_(std::move(key)) {}

std::string Redactor::pseudonym(std::string_view value) const {
  if (is_pseudonym(value)) return std::string(value);
  if (is_email(value)) {
    // Addresses differ in case only by accident: one person, one pseudonym.
    return "c-" + hex_encode(hmac_sha256(key_, "email:" + lower(value)).substr(0, 8)) + std::string(kEmailDomain);
  }
  return "p-" + hex_encode(hmac_sha256(key_, "value:" + std::string(value)).substr(0, 8));
}

std::string Redactor::redact_text(std::string_view text) const {
  size_t at = text.find('@');
  if (at == std::string_view::npos) return std::string(text);
  std::string out;
  size_t copied = 0;
  while (at != std::string_view::npos) {
    auto [b, e] = email_around(text, at);
    if (b < e) {
      out.append(text.substr(copied, b - copied));
      out += pseudonym(text.substr(b, e - b));
      copied = e;
      at = text.find('@', e);
    } else {
      at = text.find('@', at + 1);
    }
  }
  out.append(text.substr(copied));
  return out;
}

void Redactor::replace_leaf(Json& v) const {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!s.empty()) v = pseudonym(s);
  } else if (v.is_number()) {
    v = pseudonym(v.dump());
  }
}

void Redactor::walk(Json& v, const std::string& holder, bool all) const {
  if (v.is_object()) {
    // A table keyed by customer email would give the addresses away as keys.
    bool keyed = false;
    for (auto it = v.begin(); it != v.end() && !keyed; ++it) keyed = it.key().find('@') != std::string::npos;
    if (keyed) {
      Json renamed = Json::object();
      for (auto it = v.begin(); it != v.end(); ++it) renamed[redact_text(it.key())] = std::move(it.value());
      v = std::move(renamed);
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      bool listed = all || rules_.anywhere.count(key) > 0 || rules_.within.count({holder, key}) > 0;
      walk(it.value(), key, listed);
    }
  } else if (v.is_array()) {
    for (Json& x : v) walk(x, holder, all);
  } else if (all) {
    replace_leaf(v);
  } else if (v.is_string() && v.get_ref<const std::string&>().find('@') != std::string::npos) {
    v = redact_text(v.get_ref<const std::string&>());
  }
}

void Redactor::redact(Json& doc) const {
  if (!rules_.on) return;
  walk(doc, "", false);
}

}  // namespace shopflow::runner
