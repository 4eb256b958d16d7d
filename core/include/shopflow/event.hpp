// Events: a CloudEvents 1.0 envelope (structured JSON mode) around commerce data.
//
// parse_cloudevent() validates an envelope as the CloudEvents 1.0 specification requires
// (used by the runner's HTTP ingest and the conformance tests). parse_event() is the lenient
// form for bundle tests, samples and JSONL files, where `specversion` and `source` may be left
// out. Both report the first problem with the JSON Pointer of the offending attribute.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow {

struct EventLimits {
  size_t max_bytes = 256 * 1024;  // serialised size of the whole event
  size_t max_depth = 32;          // nesting of objects and arrays in `data`
};

struct Event {
  std::string id;           // idempotency key: an id seen twice starts nothing twice
  // What the inbox deduplicates on and run ids derive from, when not `id` itself: the runner
  // keys an event by its sender's namespace and source too (CloudEvents are unique by source
  // and id, a Shopify delivery by shop and event id). Not an attribute: workflows never see it.
  std::string key;
  std::string source;       // URI-reference of the producer
  std::string specversion = "1.0";
  std::string type;         // "order.created", "checkout.updated", ...
  std::string time;         // RFC 3339 as given ("" when absent)
  Millis time_ms = 0;       // `time` as epoch ms (0 when absent)
  bool has_time = false;
  std::string datacontenttype;  // "" when absent
  std::string dataschema;       // "" when absent
  std::string subject;          // "" when absent
  Json data;                    // null when absent
  bool has_data = false;
  std::string data_base64;      // binary data, as given ("" when absent)
  Json extensions = Json::object();  // extension attributes, by name
};

// Validates a CloudEvents 1.0 structured-mode event: required id, source, specversion "1.0"
// and type (non-empty strings), optional attributes non-empty when present (null = absent),
// RFC 3339 `time`, an RFC 2046 media type, extension names of a-z0-9 and values that are
// strings, booleans or integers, never both `data` and `data_base64`, and the limits.
Result<Event> parse_cloudevent(const Json& doc, const EventLimits& limits = {});
// The same for a document the caller gives up: its `data` moves into the event, uncopied.
Result<Event> parse_cloudevent(Json&& doc, const EventLimits& limits = {});

// A JSON array of structured events (CloudEvents batch mode). The Error's pointer names the event.
Result<std::vector<Event>> parse_cloudevent_batch(const Json& doc, const EventLimits& limits = {});

// Lenient form for bundle tests, samples and files: `type` is required; `specversion`
// defaults to "1.0", `source` to `default_source`, and a missing `id` to `default_id`.
Result<Event> parse_event(const Json& doc, const std::string& default_id, const std::string& default_source = "shopflow:sample",
                          const EventLimits& limits = {});
Result<Event> parse_event(Json&& doc, const std::string& default_id, const std::string& default_source = "shopflow:sample",
                          const EventLimits& limits = {});

// The envelope as JSON in attribute order (id, type, source, time, subject, data ...);
// absent optional attributes are left out. This is what workflows see as `event`.
Json event_to_json(const Event& e);
// The same, taking the event's attributes and data instead of copying them.
Json event_to_json(Event&& e);

}  // namespace shopflow
