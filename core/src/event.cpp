// CloudEvents 1.0 structured-mode validation and the lenient form for samples and tests.
#include "shopflow/event.hpp"

#include <cstdint>
#include <type_traits>

namespace shopflow {

namespace {

size_t depth_of(const Json& v, size_t limit, size_t here = 0) {
  if (here > limit) return here;
  size_t deepest = here;
  if (v.is_object() || v.is_array()) {
    for (const auto& child : v) {
      size_t d = depth_of(child, limit, here + 1);
      if (d > deepest) deepest = d;
      if (deepest > limit) break;
    }
  }
  return deepest;
}

Error err(const std::string& pointer, std::string message) { return Error{std::move(message), pointer, 0, 0}; }

// Attributes often come from HTTP headers (binary mode, webhooks), which may carry any bytes.
Result<bool> check_utf8(const std::string& value, const char* key) {
  size_t bad = invalid_utf8_at(value);
  if (bad == std::string_view::npos) return true;
  return err(std::string("/") + key, std::string("\"") + key + "\" is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                                         " of " + std::to_string(value.size()) + ")");
}

bool valid_media_type(const std::string& s) {
  // type "/" subtype, optionally followed by ";" parameters (RFC 2046 / RFC 7231).
  auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  auto semi = s.find(';');
  std::string main = s.substr(0, semi);
  while (!main.empty() && main.back() == ' ') main.pop_back();
  if (slash + 1 >= main.size()) return false;
  for (char c : main) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$&-^_.+/").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return main.find('/', slash + 1) == std::string::npos;
}

bool valid_extension_name(const std::string& s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Reads an optional string attribute: absent or null leaves `out` alone; otherwise it must
// be a non-empty string.
Result<bool> optional_string(const Json& doc, const char* key, std::string* out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return false;
  if (!it->is_string()) return err(std::string("/") + key, std::string("\"") + key + "\" must be a string");
  if (it->get_ref<const std::string&>().empty())
    return err(std::string("/") + key, std::string("\"") + key + "\" must not be empty; leave it out instead");
  if (auto u = check_utf8(it->get_ref<const std::string&>(), key); !u) return u.error();
  *out = it->get<std::string>();
  return true;
}

struct Mode {
  bool strict;
  const std::string* default_id;
  const std::string* default_source;
};

// `own_data`, when given, is the document's "data" member, which the caller gives up: it is
// moved into the event instead of copied.
Result<Event> parse(const Json& doc, const EventLimits& limits, const Mode& mode, Json* own_data = nullptr) {
  if (!doc.is_object()) return err("", "an event must be a JSON object");
  Event e;
  // Required attributes.
  struct Req {
    const char* key;
    std::string* out;
    const std::string* fallback;
  };
  const Req required[] = {{"id", &e.id, mode.default_id},
                          {"source", &e.source, mode.default_source},
                          {"specversion", &e.specversion, nullptr},
                          {"type", &e.type, nullptr}};
  for (const auto& r : required) {
    auto it = doc.find(r.key);
    auto at = [&r] { return std::string("/") + r.key; };  // for the errors only
    if (it == doc.end() || it->is_null()) {
      if (!mode.strict && (r.fallback || std::string_view(r.key) == "specversion")) {
        if (r.fallback) *r.out = *r.fallback;
        continue;
      }
      return err(at(), std::string("missing: every event needs \"") + r.key + "\"");
    }
    if (!it->is_string()) return err(at(), std::string("\"") + r.key + "\" must be a string");
    if (it->get_ref<const std::string&>().empty()) return err(at(), std::string("\"") + r.key + "\" must not be empty");
    if (auto u = check_utf8(it->get_ref<const std::string&>(), r.key); !u) return u.error();
    *r.out = it->get<std::string>();
  }
  if (e.specversion != "1.0")
    return err("/specversion", "unsupported specversion \"" + e.specversion + "\": Shopflow reads CloudEvents 1.0");
  if (auto r = optional_string(doc, "time", &e.time); !r) {
    return r.error();
  } else if (r.value()) {
    auto t = parse_instant(e.time);
    if (!t) return err("/time", t.error().message);
    e.time_ms = t.value();
    e.has_time = true;
  }
  if (auto r = optional_string(doc, "datacontenttype", &e.datacontenttype); !r) return r.error();
  if (!e.datacontenttype.empty() && !valid_media_type(e.datacontenttype))
    return err("/datacontenttype", "\"" + e.datacontenttype + "\" is not a media type such as application/json");
  if (auto r = optional_string(doc, "dataschema", &e.dataschema); !r) return r.error();
  if (auto r = optional_string(doc, "subject", &e.subject); !r) return r.error();
  auto data = doc.find("data");
  auto b64 = doc.find("data_base64");
  bool has_b64 = b64 != doc.end() && !b64->is_null();
  if (data != doc.end() && has_b64) return err("/data_base64", "an event carries \"data\" or \"data_base64\", not both");
  if (has_b64) {
    if (!b64->is_string()) return err("/data_base64", "\"data_base64\" must be a base64 string");
    if (auto u = check_utf8(b64->get_ref<const std::string&>(), "data_base64"); !u) return u.error();
    e.data_base64 = b64->get<std::string>();
  }
  if (data != doc.end()) {
    if (own_data) {
      e.data = std::move(*own_data);
    } else {
      e.data = *data;
    }
    e.has_data = true;
    // No nesting exceeds SIZE_MAX levels: recorded events, read back unlimited, skip the walk.
    if (limits.max_depth != SIZE_MAX && depth_of(e.data, limits.max_depth) > limits.max_depth)
      return err("/data", "\"data\" nests deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  static constexpr std::string_view kKnown[] = {"id", "source", "specversion", "type", "time", "datacontenttype",
                                                "dataschema", "subject", "data", "data_base64"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    bool known = false;
    for (std::string_view k : kKnown) known = known || it.key() == k;
    if (known) continue;
    std::string at = pointer_join("", it.key());
    if (!valid_extension_name(it.key()))
      return err(at, "\"" + it.key() + "\" is not a valid attribute name: use up to 20 lower-case letters and digits");
    const Json& v = it.value();
    if (v.is_null()) continue;
    if (!(v.is_string() || v.is_boolean() || v.is_number_integer()))
      return err(at, "extension \"" + it.key() + "\" must be a string, a boolean or an integer");
    if (v.is_string()) {
      if (auto u = check_utf8(v.get_ref<const std::string&>(), it.key().c_str()); !u) return u.error();
    }
    if (v.is_number_integer()) {
      auto n = v.is_number_unsigned() ? static_cast<long long>(v.get<unsigned long long>()) : v.get<long long>();
      if (n < -2147483648LL || n > 2147483647LL)
        return err(at, "extension \"" + it.key() + "\" must be a 32-bit integer");
    }
    e.extensions[it.key()] = v;
  }
  // Size last: the common case is small.
  // 0 and SIZE_MAX (recorded events, read back) check nothing.
  if (e.has_data && limits.max_bytes != 0 && limits.max_bytes != SIZE_MAX) {
    const size_t size = e.data.is_structured() ? json_text_size(e.data)
                        : e.data.is_string()   ? e.data.get_ref<const std::string&>().size()
                                               : 0;
    if (size > limits.max_bytes)
      return err("/data", "the event is larger than " + std::to_string(limits.max_bytes / 1024) + " KB");
  }
  return e;
}

Json* data_of(Json& doc) {
  if (!doc.is_object()) return nullptr;
  auto it = doc.find("data");
  return it == doc.end() ? nullptr : &*it;
}

}  // namespace

Result<Event> parse_cloudevent(const Json& doc, const EventLimits& limits) {
  return parse(doc, limits, Mode{true, nullptr, nullptr});
}

Result<Event> parse_cloudevent(Json&& doc, const EventLimits& limits) {
  return parse(doc, limits, Mode{true, nullptr, nullptr}, data_of(doc));
}

Result<std::vector<Event>> parse_cloudevent_batch(const Json& doc, const EventLimits& limits) {
  if (!doc.is_array()) return err("", "a batch must be a JSON array of events");
  std::vector<Event> out;
  out.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    auto e = parse_cloudevent(doc[i], limits);
    if (!e) {
      Error x = e.error();
      x.pointer = pointer_join("", i) + x.pointer;
      return x;
    }
    out.push_back(std::move(e.value()));
  }
  return out;
}

Result<Event> parse_event(const Json& doc, const std::string& default_id, const std::string& default_source,
                          const EventLimits& limits) {
  return parse(doc, limits, Mode{false, &default_id, &default_source});
}

Result<Event> parse_event(Json&& doc, const std::string& default_id, const std::string& default_source,
                          const EventLimits& limits) {
  return parse(doc, limits, Mode{false, &default_id, &default_source}, data_of(doc));
}

namespace {

// `E` is `const Event&` (members copied) or `Event&` (members moved).
template <class E>
Json envelope(E&& e) {
  auto take = [](auto& member) -> decltype(auto) {
    if constexpr (std::is_const_v<std::remove_reference_t<E>>) {
      return member;
    } else {
      return std::move(member);
    }
  };
  Json j = Json::object();
  auto& members = j.get_ref<Json::object_t&>();
  members.reserve(5 + e.extensions.size());  // id, type, source, time, data; more are rare
  members.emplace("id", Json(take(e.id)));
  members.emplace("type", Json(take(e.type)));
  members.emplace("source", Json(take(e.source)));
  if (e.has_time) members.emplace("time", Json(take(e.time)));
  if (!e.subject.empty()) j["subject"] = take(e.subject);
  if (!e.datacontenttype.empty()) j["datacontenttype"] = take(e.datacontenttype);
  if (!e.dataschema.empty()) j["dataschema"] = take(e.dataschema);
  for (auto it = e.extensions.begin(); it != e.extensions.end(); ++it) j[it.key()] = it.value();
  if (!e.data_base64.empty()) j["data_base64"] = take(e.data_base64);
  if (e.has_data) {
    j["data"] = take(e.data);
  } else {
    j["data"] = Json();
  }
  return j;
}

}  // namespace

Json event_to_json(const Event& e) { return envelope(e); }
Json event_to_json(Event&& e) { return envelope(e); }

}  // namespace shopflow
