// The bundle: one JSON document (format "shopflow.bundle/1") that carries workflows and
// everything they need — templates, tables, mocks, samples and self-tests. What the studio
// exports is exactly what the runner runs. workflows/FORMAT.md is the specification.
//
// check_bundle() reads the document into the compiled model below and reports every problem
// at once, each with the JSON Pointer of the offending value and a sentence a user can act on:
// structure, unique ids, unknown action types or parameters, conditions that do not compile
// (logic::Condition::compile), templates that do not parse (liquid::Template::parse), cron
// schedules, durations and times, and every reference: tables, partials, steps and vars read
// before they are set, event paths that no sample event has (warnings). Used by `shopflow validate`,
// the runner at start and on reload, the engine, and the studio's problems list.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shopflow/actions.hpp"
#include "shopflow/condition.hpp"
#include "shopflow/cron.hpp"
#include "shopflow/event.hpp"
#include "shopflow/instant.hpp"
#include "shopflow/json.hpp"
#include "shopflow/result.hpp"
#include "shopflow/template.hpp"

namespace shopflow {

inline constexpr std::string_view kBundleFormat = "shopflow.bundle/1";

// A value computed when a step runs: action parameters and emitted data. Strings holding
// "{{" or "{%" are Liquid templates, {"$logic": rule} is a JSON Logic rule, objects and arrays
// are computed member by member, anything else is used as written.
struct ComputedField;

struct Computed {
  enum class Kind { Literal, Text, Logic, Object, Array };
  Kind kind = Kind::Literal;
  Json literal;                 // Literal
  liquid::Template text;        // Text
  logic::Condition logic;       // Logic
  std::vector<ComputedField> fields;  // Object, in the order written
  std::vector<Computed> items;  // Array
};

struct ComputedField {
  std::string name;
  Computed value;
};

struct Trigger {
  std::string event;             // event type that starts a run, e.g. "order.created"; "" for schedules
  bool has_filter = false;
  logic::Condition filter;       // must be truthy for a run to start
  std::string schedule;          // cron expression; "" for event triggers
  std::string time_zone;         // IANA name; "" = utc_offset, else the bundle's zone
  std::string utc_offset;        // fixed offset such as "+01:00"; "" = the zone
  std::optional<CronSchedule> cron;
};

enum class StepKind { If, Switch, Action, Wait, Foreach, Set, Emit, Stop };
enum class WaitKind { Duration, Until, Event };

struct SwitchCase {
  bool has_equals = false;
  Json equals;                  // compared with the switch value
  logic::Condition when;        // or a condition (truthy selects the case)
  size_t list = 0;              // index into Workflow::lists
};

struct Step {
  std::string id;
  StepKind kind = StepKind::Stop;
  std::string pointer;          // JSON Pointer of the step in the bundle
  std::string path;             // step path without foreach indexes, e.g. "check/then/send"

  logic::Condition logic;       // if: condition; switch: value; foreach: list; wait until/event: time / match
  bool has_logic = false;
  size_t then_list = 0, else_list = 0;  // if
  std::vector<SwitchCase> cases;        // switch
  size_t default_list = 0;              // switch
  size_t body_list = 0;                 // foreach
  std::string as = "item";              // foreach

  std::string action;                   // action
  const ActionSpec* spec = nullptr;
  std::vector<std::pair<std::string, Computed>> params;

  WaitKind wait = WaitKind::Duration;   // wait
  Millis duration_ms = 0;               // Duration, and Event's timeout
  bool has_timeout = false;             // Event
  logic::Condition deadline;            // Event: when it gives up, a time or a rule yielding one
  bool has_deadline = false;            // Event
  std::string wait_event;               // Event: the event type listened for
  // Event: when `match` requires {"==": [{"var": "event.<path>"}, {"var": "<own path>"}]}
  // (or ===, in either order, alone or in a top-level "and"), the two paths: the run waits
  // under its own value, and an arriving event is matched only against runs with its value.
  std::string correlate_event;          // e.g. "event.data.checkout_token"
  std::string correlate_own;            // e.g. "trigger.data.token"
  logic::Condition correlate_event_rule;  // {"var": correlate_event}
  logic::Condition correlate_own_rule;    // {"var": correlate_own}

  std::vector<std::pair<std::string, logic::Condition>> sets;  // set

  std::string emit_type;                // emit
  Computed emit_data;

  std::string reason;                   // stop
};

struct Workflow {
  std::string id;
  std::string name;  // display name; defaults to id
  std::string description;
  Trigger trigger;
  std::vector<Step> steps;                 // every step, nested ones too, in document order
  std::vector<std::vector<size_t>> lists;  // step lists (indexes into steps); lists[0] is the top level
};

struct TableDef {
  std::string name;
  std::string key_field;  // the row field that is the key ("sku")
  std::vector<std::pair<std::string, Json>> rows;  // key → row, in document order
};

struct HttpMock {
  std::string method;   // "GET"; "" matches any
  std::string url;      // exact, or a prefix when it ends with '*'
  Json response;        // the step's output: {"status": 200, "headers": {...}, "body": ...}
};

struct BundleTest {
  std::string name;
  std::string pointer;
  std::vector<Event> events;
  std::optional<Millis> from;   // start of the simulated clock (default: the first event)
  std::optional<Millis> until;  // end of the simulated clock (default: 7 days after the last event)
  std::vector<HttpMock> http_mocks;  // answers tried before the bundle's (e.g. "the ERP is down")
  std::vector<TableDef> tables;      // tables whose rows this test starts with instead of the bundle's
  Json expect = Json::object();
};

struct Bundle {
  std::string name;
  std::string version;
  std::string description;
  // "shop": how the store writes amounts, Shopify's money formats ({{amount}},
  // {{amount_with_comma_separator}}, ...) for Liquid's money filters.
  std::string money_format = "${{amount}}";
  std::string money_with_currency_format = "${{amount}} USD";
  // The store's time zone ("Europe/Berlin"): schedules run on its wall clock unless they name
  // their own. "" = UTC.
  std::string time_zone;
  TimeZone zone;
  // Templates render in Liquid's strict mode: a variable the data lacks fails the run instead
  // of rendering as nothing, and validate reports such variables as problems, not warnings.
  bool strict_templates = false;
  std::vector<Workflow> workflows;
  std::map<std::string, std::string> templates;  // partials for {% render %} / {% include %}
  logic::NamedRules rules;  // named conditions and computed values, used as {"rule": "name"}
  std::vector<TableDef> tables;
  std::vector<HttpMock> http_mocks;
  std::vector<Event> sample_events;
  std::vector<BundleTest> tests;
  Json source;  // the document as given, for export and round-trips

  const Workflow* find_workflow(std::string_view id) const;
  const TableDef* find_table(std::string_view name) const;
  // A copy without sample_events and source, which running it does not need (with a day of
  // sample events they are megabytes).
  Bundle runnable_copy() const;
};

struct BundleCheck {
  Bundle bundle;      // as much as could be read; complete only when problems is empty
  Problems problems;  // every problem found, in document order
  // What may go wrong but need not: variables of templates and rules that no sample or test
  // event of that type has (they render empty or read null).
  Problems warnings;
  bool ok() const { return problems.empty(); }
};

// Liquid options for the bundle's templates: its partials and money formats, lax rendering (strict
// when the bundle says strict_templates). The options refer to
// `bundle.templates`, so the bundle must outlive them (and must not move while they are used).
liquid::Options template_options(const Bundle& bundle);

// The text form of a table key: strings as they are, numbers and others as JSON.
std::string table_key(const Json& key);

// Checks a parsed document as a bundle. Never fails: problems are in the result.
BundleCheck check_bundle(const Json& doc);

// Parses and checks bundle text. A JSON syntax error is returned as the Error (with line and
// column); otherwise the BundleCheck, which may still hold problems.
Result<BundleCheck> load_bundle(std::string_view text);

}  // namespace shopflow
