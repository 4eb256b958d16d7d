// Tests for core/src/condition.cpp and logic_*.cpp: JSON Logic beyond the conformance suites
// (tests/conformance/jsonlogic_conformance_test.cpp): commerce operators, compile errors with
// pointers, evaluation errors, limits, explain trees.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "shopflow/condition.hpp"

using shopflow::Json;
using shopflow::logic::Condition;
using shopflow::logic::EvalOptions;

namespace {

Json J(const char* text) { return Json::parse(text); }

Condition compiled(const char* rule) {
  auto c = Condition::compile(J(rule));
  REQUIRE_MESSAGE(c.ok(), rule << ": " << (c.ok() ? "" : c.error().to_string()));
  return c.value();
}

struct Case {
  const char* rule;
  const char* data;
  const char* want;  // JSON
};

void check_cases(const Case* cases, size_t count, const EvalOptions& options = {}) {
  for (size_t i = 0; i < count; ++i) {
    const Case& c = cases[i];
    std::string rule = c.rule, data = c.data;
    CAPTURE(rule);
    CAPTURE(data);
    auto r = compiled(c.rule).evaluate(J(c.data), options);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
    CHECK(r.value().dump() == J(c.want).dump());
  }
}

// The failure of evaluating `rule` against `data`.
shopflow::Error failure(const char* rule, const char* data, Json* type = nullptr, const EvalOptions& options = {}) {
  auto r = compiled(rule).evaluate(J(data), options, type);
  REQUIRE_MESSAGE(!r.ok(), rule << " evaluated to " << (r.ok() ? r.value().dump() : ""));
  return r.error();
}

}  // namespace

TEST_CASE("JSON Logic: data access, logic and arithmetic details") {
  const Case cases[] = {
      {R"({"var": "order.line_items.1.sku"})", R"({"order": {"line_items": [{"sku": "A"}, {"sku": "B"}]}})", R"("B")"},
      {R"({"var": ["customer.email", "none"]})", R"({"customer": null})", R"("none")"},
      {R"({"var": ["customer.email", "none"]})", R"({"customer": {"email": null}})", "null"},
      {R"({"var": {"cat": ["a", ".b"]}})", R"({"a": {"b": 7}})", "7"},
      {R"({"val": ["a.b"]})", R"({"a.b": 1, "a": {"b": 2}})", "1"},
      {R"({"exists": ["a", "b"]})", R"({"a": {"b": null}})", "true"},
      // Integers stay exact beyond 2^53 (order ids).
      {R"({"==": [{"var": "id"}, 5123456789012345678]})", R"({"id": 5123456789012345678})", "true"},
      {R"({"==": [{"var": "id"}, 5123456789012345679]})", R"({"id": 5123456789012345678})", "false"},
      {R"({"+": [0.1, 0.2]})", "{}", "0.30000000000000004"},
      {R"({"*": [3, 0.5]})", "{}", "1.5"},
      {R"({"/": [7, 2]})", "{}", "3.5"},
      {R"({"-": [0]})", "{}", "0"},
      {R"({"%": [-7, 2]})", "{}", "-1"},
      {R"({"cat": [1.5, " ", 1e21, " ", 0.000001, " ", 1e-7, " ", [1, [2, null]]]})", "{}", R"("1.5 1e+21 0.000001 1e-7 1,2,")"},
      {R"({"cat": [{"preserve": {"a": 1}}]})", "{}", R"("[object Object]")"},
      {R"({"substr": ["héllo wörld", 1, 4]})", "{}", R"("éllo")"},
      {R"({"length": "héllo"})", "{}", "5"},
      {R"({"in": [2, [1, 2.0, 3]]})", "{}", "true"},
      {R"({"in": ["x", null]})", "{}", "false"},
      {R"({"===": [{"preserve": [1, {"a": 2}]}, {"var": "x"}]})", R"({"x": [1, {"a": 2}]})", "true"},
      {R"({"==": [null, "a"]})", "{}", "false"},
      {R"({"!=": [{"var": "email"}, null]})", R"({"email": "a@b.c"})", "true"},
      {R"({"<=": [1, {"var": "x"}, 10]})", R"({"x": 10})", "true"},
      {R"({"<": [1, {"var": "x"}, 10]})", R"({"x": 10})", "false"},
      {R"({"max": []})", "{}", "null"},
      {R"({"max": ["3", 2.5]})", "{}", "3"},
      {R"({"preserve": {"sku": "A", "qty": 2}})", "{}", R"({"sku": "A", "qty": 2})"},
      {R"({"merge": [[1], {"preserve": [[2]]}]})", "{}", "[1, [2]]"},
      {R"({"reduce": [[], {"+": [{"var": "current"}, {"var": "accumulator"}]}]})", "{}", "null"},
      {R"({"reduce": [["a", "b", "c"], {"cat": [{"var": "accumulator"}, {"var": "current"}]}]})", "{}", R"("abc")"},
      {R"({"map": [[10, 20], {"+": [{"val": []}, {"val": [[1], "index"]}]}]})", "{}", "[10, 21]"},
      {R"({"map": [[1, 2], {"val": [[1]]}]})", "{}", R"([{"index": 0}, {"index": 1}])"},
      {R"({"reduce": [[1], {"val": []}, 0]})", "{}", R"({"current": 1, "accumulator": 0})"},
      {R"({"lower": "ÀBC"})", "{}", R"("Àbc")"},
      {R"({"starts_with": [{"var": "sku"}, "GIFT-"]})", R"({"sku": "GIFT-10"})", "true"},
      {R"({"ends_with": [{"var": "email"}, "@example.com"]})", R"({"email": "a@example.com"})", "true"},
      {R"({"log": [[1, 2]]})", "{}", "[1, 2]"},
      {R"({"try": [{"throw": {"preserve": {"type": "Out", "sku": "A"}}}, {"val": "sku"}]})", "{}", R"("A")"},
      {"[1, {\"var\": \"x\"}]", R"({"x": [2]})", "[1, [2]]"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("JSON Logic: money operators are exact") {
  const Case cases[] = {
      {R"({"money": "49.9"})", "{}", R"("49.90")"},
      {R"({"money": 49.9})", "{}", R"("49.90")"},
      {R"({"money": 10})", "{}", R"("10.00")"},
      {R"({"money_add": ["49.90", "49.90"]})", "{}", R"("99.80")"},
      {R"({"money_add": [0.1, 0.2]})", "{}", R"("0.30")"},
      {R"({"money_add": {"map": [{"var": "items"}, {"var": "price"}]}})", R"({"items": [{"price": "1.10"}, {"price": "2.25"}]})",
       R"("3.35")"},
      {R"({"money_sub": ["100", "0.01", "10"]})", "{}", R"("89.99")"},
      {R"({"money_mul": ["19.99", 3]})", "{}", R"("59.97")"},
      {R"({"money_mul": ["19.99", "0.15"]})", "{}", R"("2.9985")"},
      {R"({"money_round": [{"money_mul": ["19.99", "0.15"]}]})", "{}", R"("3.00")"},
      {R"({"money_round": ["2.345", 2, "half_even"]})", "{}", R"("2.34")"},
      {R"({"money_round": ["49.5", 0]})", "{}", R"("50")"},
      {R"({"money_div": ["100", 3]})", "{}", R"("33.33")"},
      {R"({"money_div": ["100", 3, 4, "down"]})", "{}", R"("33.3333")"},
      {R"({"money_sum": [{"var": "line_items"}, "price", "quantity"]})",
       R"({"line_items": [{"price": "19.99", "quantity": 3}, {"price": 5.1, "quantity": "2"}]})", R"("70.17")"},
      {R"({"money_sum": [["1.10", 2, "0.005"]]})", "{}", R"("3.105")"},
      {R"({"money_sum": [null]})", "{}", R"("0.00")"},
      {R"({"reduce": [{"var": "items"}, {"money_add": [{"var": "accumulator"}, {"money_mul": [{"var": "current.price"}, {"var": "current.qty"}]}]}, "0"]})",
       R"({"items": [{"price": "0.10", "qty": 3}, {"price": "0.20", "qty": 1}]})", R"("0.50")"},
      {R"({"money_min": ["5.5", "5.25", 6]})", "{}", R"("5.25")"},
      {R"({"money_max": ["5.5", "5.25", 6]})", "{}", R"("6.00")"},
      {R"({"money_cmp": ["1.5", "1.50"]})", "{}", "0"},
      {R"({"money_cmp": ["49.90", "100"]})", "{}", "-1"},
      {R"({"money_eq": ["1.5", 1.5]})", "{}", "true"},
      {R"({"money_ne": ["1.5", "1.51"]})", "{}", "true"},
      {R"({"money_lt": ["49.90", "100"]})", "{}", "true"},
      {R"({"money_lte": ["100.00", "100"]})", "{}", "true"},
      {R"({"money_gt": ["0.30", {"money_add": [0.1, 0.2]}]})", "{}", "false"},
      {R"({"money_gte": [{"var": "total"}, "75"]})", R"({"total": "75.00"})", "true"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  Json type;
  CHECK(failure(R"({"money_add": ["1", null]})", "{}", &type).message.find("not null") != std::string::npos);
  CHECK(type["type"] == "NaN");
  CHECK(failure(R"({"money": "$5"})", "{}").message.find("\"$5\" is not an amount") != std::string::npos);
  CHECK(failure(R"({"money_div": ["1", "0"]})", "{}").message.find("division by zero") != std::string::npos);
  CHECK(failure(R"({"money_round": ["1", 2, "bankers"]})", "{}").message.find("rounding mode") != std::string::npos);
  CHECK(failure(R"({"money_sum": [{"var": "items"}, "p"]})", R"({"items": [{"p": "x"}]})").message.find("item 0 field \"p\"") != std::string::npos);
}

TEST_CASE("JSON Logic: money operators round to a currency's minor units") {
  const Case cases[] = {
      {R"({"money": [{"var": "total_price"}, {"var": "currency"}]})", R"({"total_price": "409.94", "currency": "USD"})",
       R"("409.94")"},
      {R"({"money": ["1234.5", "EUR"]})", "{}", R"("1234.50")"},
      {R"({"money": ["0.125", "GBP"]})", "{}", R"("0.13")"},
      {R"({"money": ["1234.5", "JPY"]})", "{}", R"("1235")"},
      {R"({"money": ["1234.5", "BHD"]})", "{}", R"("1234.500")"},
      {R"({"money": ["0.0005", "bhd"]})", "{}", R"("0.001")"},
      {R"({"money": ["1.005", "XYZ"]})", "{}", R"("1.01")"},
      {R"({"money": ["1.5", null]})", "{}", R"("1.50")"},
      {R"({"money_round": [{"money_mul": ["19.99", "0.15"]}, "JPY"]})", "{}", R"("3")"},
      {R"({"money_round": ["2.3455", "BHD", "half_even"]})", "{}", R"("2.346")"},
      {R"({"money_round": ["2", "BHD"]})", "{}", R"("2.000")"},
      {R"({"money_div": ["100", 3, "BHD"]})", "{}", R"("33.333")"},
      {R"({"money_div": ["1000", 3, "JPY"]})", "{}", R"("333")"},
      {R"({"money_div": ["100", 3, "USD"]})", "{}", R"("33.33")"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  CHECK(failure(R"({"money": ["1", "dollars"]})", "{}").message.find("currency code such as \"USD\"") != std::string::npos);
  CHECK(failure(R"({"money_round": ["1", "x"]})", "{}").message.find("or a currency code") != std::string::npos);
}

TEST_CASE("JSON Logic: tag operators") {
  const char* data = R"({"tags": "Wholesale, vip ,EU,, vip", "list": ["a", " B "]})";
  const Case cases[] = {
      {R"({"has_tag": [{"var": "tags"}, "VIP"]})", data, "true"},
      {R"({"has_tag": [{"var": "tags"}, " eu "]})", data, "true"},
      {R"({"has_tag": [{"var": "tags"}, "vi"]})", data, "false"},
      {R"({"has_tag": [{"var": "tags"}, ""]})", data, "false"},
      {R"({"has_tag": [{"var": "missing"}, "vip"]})", data, "false"},
      {R"({"has_tag": [{"var": "list"}, "b"]})", data, "true"},
      {R"({"has_any_tag": [{"var": "tags"}, ["x", "eu"]]})", data, "true"},
      {R"({"has_any_tag": [{"var": "tags"}, "x, y"]})", data, "false"},
      {R"({"has_all_tags": [{"var": "tags"}, ["vip", "wholesale"]]})", data, "true"},
      {R"({"has_all_tags": [{"var": "tags"}, ["vip", "retail"]]})", data, "false"},
      {R"({"tags": {"var": "tags"}})", data, R"(["Wholesale", "vip", "EU"])"},
      {R"({"tags": [{"var": "list"}]})", data, R"(["a", "B"])"},
      {R"({"add_tag": [{"var": "tags"}, "new"]})", data, R"("Wholesale, vip, EU, new")"},
      {R"({"add_tag": [{"var": "tags"}, "VIP"]})", data, R"("Wholesale, vip, EU")"},
      {R"({"add_tag": [{"var": "list"}, ["c", "A"]]})", data, R"(["a", "B", "c"])"},
      {R"({"add_tag": [null, "first"]})", data, R"("first")"},
      {R"({"remove_tag": [{"var": "tags"}, "VIP"]})", data, R"("Wholesale, EU")"},
      {R"({"remove_tag": [{"var": "tags"}, "eu, wholesale"]})", data, R"("vip")"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  CHECK(failure(R"({"has_tag": [{"preserve": {"a": 1}}, "x"]})", "{}").message.find("needs tags") != std::string::npos);
  CHECK(failure(R"({"has_tag": ["a", ["a"]]})", "{}").message.find("has_any_tag") != std::string::npos);
}

TEST_CASE("JSON Logic: time operators") {
  const char* data = R"({"now": "2026-03-06T16:00:00+01:00", "order": {"created_at": "2026-03-04T10:00:00Z"}})";
  const Case cases[] = {
      {R"({"now": []})", data, R"("2026-03-06T16:00:00+01:00")"},
      {R"({"time": {"now": []}})", data, "1772809200000"},
      {R"({"time": 0})", data, "0"},
      {R"({"time_format": [1772809200000]})", data, R"("2026-03-06T15:00:00Z")"},
      {R"({"time_format": [{"now": []}, "-05:00"]})", data, R"("2026-03-06T10:00:00-05:00")"},
      {R"({"time_format": [{"now": []}, "Z"]})", data, R"("2026-03-06T15:00:00Z")"},
      {R"({"time_add": [{"now": []}, "P1DT2H"]})", data, R"("2026-03-07T18:00:00+01:00")"},
      {R"({"time_add": [{"now": []}, "-PT30M"]})", data, R"("2026-03-06T15:30:00+01:00")"},
      {R"({"time_add": [{"now": []}, 3, "days"]})", data, R"("2026-03-09T16:00:00+01:00")"},
      {R"({"time_add": [{"now": []}, 1.5, "hours"]})", data, R"("2026-03-06T17:30:00+01:00")"},
      {R"({"time_add": ["2026-01-31T00:00:00Z", 1, "month"]})", data, R"("2026-02-28T00:00:00Z")"},
      {R"({"time_add": ["2026-01-31T00:00:00Z", 60000]})", data, R"("2026-01-31T00:01:00Z")"},
      {R"({"time_diff": [{"now": []}, {"var": "order.created_at"}, "hours"]})", data, "53"},
      {R"({"time_diff": [{"now": []}, {"var": "order.created_at"}, "days"]})", data, "2.2083333333333335"},
      {R"({"time_diff": [{"now": []}, {"var": "order.created_at"}]})", data, "190800"},
      {R"({"time_diff": ["2026-03-01T00:00:00Z", "2026-03-01T00:00:00+01:00", "minutes"]})", data, "60"},
      {R"({"time_before": [{"var": "order.created_at"}, {"now": []}]})", data, "true"},
      {R"({"time_after": [{"var": "order.created_at"}, {"now": []}]})", data, "false"},
      {R"({"time_before": ["2026-03-06T10:00:00+01:00", "2026-03-06T09:30:00Z"]})", data, "true"},
      {R"({">": [{"time": {"now": []}}, {"time": {"time_add": [{"var": "order.created_at"}, "P2D"]}}]})", data, "true"},
      {R"({"business_days_add": [{"now": []}, 1]})", data, R"("2026-03-09T16:00:00+01:00")"},
      {R"({"business_days_add": [{"now": []}, -5]})", data, R"("2026-02-27T16:00:00+01:00")"},
      {R"({"weekday": {"now": []}})", data, "5"},
      {R"({"weekday": "2026-03-06T23:30:00-05:00"})", data, "5"},
      {R"({"map": [[1, 2], {"now": []}]})", data, R"(["2026-03-06T16:00:00+01:00", "2026-03-06T16:00:00+01:00"])"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  CHECK(failure(R"({"now": []})", "{}").message.find("\"now\" field") != std::string::npos);
  CHECK(failure(R"({"time_add": [{"var": "x"}, "P1D"]})", "{}").message.find("is the field missing?") != std::string::npos);
  CHECK(failure(R"({"time_add": ["2026-03-01", "1 day"]})", "{}").message.find("ISO 8601 duration") != std::string::npos);
  CHECK(failure(R"({"time_diff": ["2026-03-01", "2026-03-01", "months"]})", "{}").message.find("needs a unit") !=
        std::string::npos);
  CHECK(failure(R"({"business_days_add": ["2026-03-01", 1.5]})", "{}").message.find("whole number") !=
        std::string::npos);
}

TEST_CASE("JSON Logic: local dates and times in a named zone follow daylight saving") {
  // 16:00Z is 17:00 in Berlin in winter and 18:00 in summer; the cut-off compares local times.
  const char* winter = R"({"now": "2026-03-06T16:00:00Z"})";
  const char* summer = R"({"now": "2026-07-06T16:00:00Z"})";
  const char* sydney = R"({"now": "2026-07-03T22:30:00Z"})";
  const Case cases[] = {
      {R"({"time_format": [{"now": []}, "Europe/Berlin"]})", winter, R"("2026-03-06T17:00:00+01:00")"},
      {R"({"time_format": [{"now": []}, "Europe/Berlin"]})", summer, R"("2026-07-06T18:00:00+02:00")"},
      {R"({"time_format": [{"now": []}, "America/New_York"]})", summer, R"("2026-07-06T12:00:00-04:00")"},
      {R"({"time_format": [{"now": []}, "Asia/Kolkata"]})", summer, R"("2026-07-06T21:30:00+05:30")"},
      {R"({"substr": [{"time_format": [{"now": []}, "Europe/Berlin"]}, 11, 2]})", summer, R"("18")"},
      // Friday evening UTC is already Saturday in Sydney.
      {R"({"weekday": {"time_format": [{"now": []}, "Australia/Sydney"]}})", sydney, "6"},
      {R"({"weekday": {"now": []}})", sydney, "5"},
      // 14:00 Berlin time on the next working day, in winter and in summer.
      {R"({"local_time": [{"business_days_add": [{"time_format": [{"now": []}, "Europe/Berlin"]}, 1]}, "14:00", "Europe/Berlin"]})",
       winter, R"("2026-03-09T14:00:00+01:00")"},
      {R"({"local_time": [{"business_days_add": [{"time_format": [{"now": []}, "Europe/Berlin"]}, 1]}, "14:00", "Europe/Berlin"]})",
       summer, R"("2026-07-07T14:00:00+02:00")"},
      // Across the change: the Friday before, 14:00 is 13:00Z; the Monday after, 12:00Z.
      {R"({"time": {"local_time": ["2026-03-27", "14:00", "Europe/Berlin"]}})", winter, "1774616400000"},
      {R"({"time": {"local_time": ["2026-03-30", "14:00", "Europe/Berlin"]}})", winter, "1774872000000"},
      // The skipped 02:30 is the change itself; the repeated 02:30 its first occurrence.
      {R"({"local_time": ["2026-03-29", "02:30", "Europe/Berlin"]})", winter, R"("2026-03-29T03:00:00+02:00")"},
      {R"({"local_time": ["2026-10-25", "02:30", "Europe/Berlin"]})", winter, R"("2026-10-25T02:30:00+02:00")"},
      {R"({"local_time": ["2026-11-01", "01:30:15", "America/New_York"]})", winter, R"("2026-11-01T01:30:15-04:00")"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  CHECK(failure(R"({"time_format": [{"now": []}, "Europe/Berln"]})", winter).message.find("did you mean Europe/Berlin") !=
        std::string::npos);
  CHECK(failure(R"({"local_time": ["2026-03-01", "25:00", "Europe/Berlin"]})", winter).message.find("time of day") !=
        std::string::npos);
  CHECK(failure(R"({"local_time": ["2026-03-01", "14:00", "Berlin"]})", winter).message.find("Europe/Berlin") !=
        std::string::npos);
}

TEST_CASE("JSON Logic: business days on a calendar with holidays") {
  // Germany 2026: Good Friday 3 April and Easter Monday 6 April. The US: Thanksgiving 26 November.
  const char* data = R"({"de": ["2026-04-03", "2026-04-06", "2026-05-01", "2026-12-25", "2026-12-26"],
                         "us": ["2026-07-03", "2026-11-26", "2026-12-25"]})";
  const Case cases[] = {
      {R"({"business_days_add": ["2026-04-02T15:00:00+02:00", 1, {"var": "de"}]})", data, R"("2026-04-07T15:00:00+02:00")"},
      {R"({"business_days_add": ["2026-04-02T15:00:00+02:00", 1]})", data, R"("2026-04-03T15:00:00+02:00")"},
      {R"({"business_days_add": ["2026-04-07T09:00:00+02:00", -1, {"var": "de"}]})", data, R"("2026-04-02T09:00:00+02:00")"},
      // From Easter Sunday, +1 skips the Monday holiday too.
      {R"({"business_days_add": ["2026-04-05T12:00:00+02:00", 1, {"var": "de"}]})", data, R"("2026-04-07T12:00:00+02:00")"},
      {R"({"business_days_add": ["2026-11-25T10:00:00-05:00", 2, {"var": "us"}]})", data, R"("2026-11-30T10:00:00-05:00")"},
      {R"({"business_days_add": ["2026-07-02T10:00:00-04:00", 1, {"var": "us"}]})", data, R"("2026-07-06T10:00:00-04:00")"},
      {R"({"business_days_add": ["2026-07-02T10:00:00-04:00", 1, null]})", data, R"("2026-07-03T10:00:00-04:00")"},
      // The holiday is the one of the timestamp's own local date.
      {R"({"business_days_add": [{"time_format": ["2026-04-02T23:30:00Z", "Europe/Berlin"]}, 1, {"var": "de"}]})", data,
       R"("2026-04-07T01:30:00+02:00")"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  CHECK(failure(R"({"business_days_add": ["2026-04-02", 1, ["3 April"]]})", "{}").message.find("a holiday is a date") !=
        std::string::npos);
  CHECK(failure(R"({"business_days_add": ["2026-04-02", 1, "DE"]})", "{}").message.find("list of holiday dates") !=
        std::string::npos);
}

TEST_CASE("JSON Logic: lookup calls the table port") {
  EvalOptions options;
  options.table_lookup = [](const std::string& table, const Json& key) -> std::optional<Json> {
    if (table == "reorder" && key == "SKU-1") return Json::parse(R"({"point": 5, "supplier": {"email": "s@x"}})");
    return std::nullopt;
  };
  const Case cases[] = {
      {R"({"lookup": ["reorder", "SKU-1"]})", "{}", R"({"point": 5, "supplier": {"email": "s@x"}})"},
      {R"({"lookup": ["reorder", {"var": "sku"}, "point"]})", R"({"sku": "SKU-1"})", "5"},
      {R"({"lookup": ["reorder", "SKU-1", "supplier.email"]})", "{}", R"("s@x")"},
      {R"({"lookup": ["reorder", "SKU-1", "nope"]})", "{}", "null"},
      {R"({"lookup": ["reorder", "SKU-2"]})", "{}", "null"},
      {R"({"<": [{"var": "stock"}, {"lookup": ["reorder", "SKU-1", "point"]}]})", R"({"stock": 3})", "true"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]), options);
  // Without a table port, lookups are null.
  CHECK(compiled(R"({"lookup": ["reorder", "SKU-1"]})").evaluate(Json::object()).value().is_null());
  CHECK(failure(R"({"lookup": [1, "a"]})", "{}").message.find("table name") != std::string::npos);
}

TEST_CASE("JSON Logic: rows lists a table through the table-rows port") {
  EvalOptions options;
  options.table_rows = [](const std::string& table) -> std::optional<Json> {
    if (table == "customers") return Json::parse(R"([{"id": 1, "spent": "250.00"}, {"id": 2, "spent": "40.00"}])");
    return std::nullopt;
  };
  const Case cases[] = {
      {R"({"length": {"rows": "customers"}})", "{}", "2"},
      {R"({"map": [{"filter": [{"rows": "customers"}, {"money_gte": [{"var": "spent"}, "200"]}]}, {"var": "id"}]})", "{}",
       "[1]"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]), options);
  CHECK(failure(R"({"rows": "nope"})", "{}", nullptr, options).message.find("no table named \"nope\"") != std::string::npos);
  // Without a port there are no rows.
  CHECK(compiled(R"({"rows": "customers"})").evaluate(Json::object()).value() == Json::array());
}

TEST_CASE("JSON Logic: object builds an object from computed members") {
  const Case cases[] = {
      {R"({"object": {"sku": {"var": "sku"}, "total": {"money_mul": [{"var": "price"}, {"var": "qty"}]}, "kind": "line"}})",
       R"({"sku": "A-1", "price": "19.99", "qty": 3})", R"({"sku": "A-1", "total": "59.97", "kind": "line"})"},
      {R"({"map": [{"var": "lines"}, {"object": {"sku": {"var": "sku"}, "n": {"*": [{"var": "qty"}, 2]}}}]})",
       R"({"lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]})", R"([{"sku": "A", "n": 2}, {"sku": "B", "n": 4}])"},
      {R"({"object": {}})", "{}", "{}"},
      {R"({"lower": {"var": "missing"}})", "{}", R"("")"},
      {R"({"upper": null})", "{}", R"("")"},
  };
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
  auto bad = Condition::compile(J(R"({"object": [1, 2]})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("needs an object of members") != std::string::npos);
  auto inner = Condition::compile(J(R"({"object": {"a": {"nope": 1}}})"));
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.error().pointer == "/object/a");
}

TEST_CASE("JSON Logic: compile errors name the node and what is accepted") {
  struct Bad {
    const char* rule;
    const char* pointer;
    const char* type;
    const char* says;
  };
  const Bad cases[] = {
      {R"({"and": [true, {"has_tags": ["a", "b"]}]})", "/workflows/0/steps/2/condition/and/1", "Unknown Operator",
       "did you mean \"has_tag\""},
      {R"({"and": [true, {"frobnicate": 1}]})", "/workflows/0/steps/2/condition/and/1", "Unknown Operator",
       "workflows/CONDITIONS.md"},
      {R"({"==": [1]})", "/workflows/0/steps/2/condition", "Invalid Arguments", "takes at least 2 arguments, not 1"},
      {R"({"if": [true, {"missing_some": [1]}]})", "/workflows/0/steps/2/condition/if/1", "Invalid Arguments",
       "takes 2 arguments, not 1"},
      {R"({"and": 5})", "/workflows/0/steps/2/condition", "Invalid Arguments", "needs its arguments in an array"},
      {R"({"map": [null, {"var": ""}]})", "/workflows/0/steps/2/condition", "Invalid Arguments", "not null"},
      {R"({"filter": [[1], null]})", "/workflows/0/steps/2/condition", "Invalid Arguments", "needs a rule"},
      {R"({"%": 1})", "/workflows/0/steps/2/condition", "Invalid Arguments", "takes at least 2 arguments"},
      {R"({"if": [{"sku": "A", "qty": 1}]})", "/workflows/0/steps/2/condition/if/0", "Unknown Operator",
       "exactly one key"},
      {R"({"var": ["a", 1, 2]})", "/workflows/0/steps/2/condition", "Invalid Arguments", "takes 0 to 2 arguments"},
      {R"({"money_sub": ["1"]})", "/workflows/0/steps/2/condition", "Invalid Arguments", "money_sub"},
      {R"({"a/b": 1})", "/workflows/0/steps/2/condition", "Unknown Operator", "unknown operator \"a/b\""},
      {R"({"if": [true, {"x~y": 1}]})", "/workflows/0/steps/2/condition/if/1", "Unknown Operator", "\"x~y\""},
  };
  for (const Bad& b : cases) {
    std::string rule = b.rule;
    CAPTURE(rule);
    Json type;
    auto c = Condition::compile(J(b.rule), "/workflows/0/steps/2/condition", &type);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().pointer == b.pointer);
    CHECK(type["type"] == b.type);
    CHECK(c.error().message.find(b.says) != std::string::npos);
  }
  // Deep rules are refused at compile time, not by the stack.
  Json deep = Json::array();
  for (int i = 0; i < 2000; ++i) deep = Json::array({deep, Json::object({{"var", "x"}})});
  CHECK_FALSE(Condition::compile(deep).ok());
}

TEST_CASE("JSON Logic: evaluation errors carry the node's pointer and an error object") {
  Json type;
  auto c = Condition::compile(J(R"({"and": [true, {"+": [1, {"var": "note"}]}]})"), "/workflows/1/filter");
  REQUIRE(c.ok());
  auto r = c.value().evaluate(J(R"({"note": "hello"})"), {}, &type);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().pointer == "/workflows/1/filter/and/1");
  CHECK(r.error().message == "\"+\" cannot use the text \"hello\" as a number");
  CHECK(type == J(R"({"type": "NaN"})"));

  CHECK(failure(R"({"throw": "Out of stock"})", "{}", &type).message.find("Out of stock") != std::string::npos);
  CHECK(type == J(R"({"type": "Out of stock"})"));
  CHECK(failure(R"({"<": [[1], 2]})", "{}", &type).message.find("cannot order an array") != std::string::npos);
  CHECK(failure(R"({"all": [{"var": "items"}, true]})", "{}", &type).message.find("needs an array") !=
        std::string::npos);
  CHECK(type == J(R"({"type": "Invalid Arguments"})"));
  CHECK(failure(R"({"-": {"preserve": []}})", "{}", &type).message.find("got 0 arguments") != std::string::npos);
}

TEST_CASE("JSON Logic: limits stop evaluation cleanly, and try cannot catch them") {
  EvalOptions small;
  small.max_steps = 1000;
  Json data = Json::object();
  data["items"] = Json::array();
  for (int i = 0; i < 5000; ++i) data["items"].push_back(i);
  Json type;
  auto big = compiled(R"({"try": [{"reduce": [{"var": "items"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}, "caught"]})");
  auto r = big.evaluate(data, small, &type);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("max_steps") != std::string::npos);
  CHECK(type == J(R"({"type": "Limit"})"));

  EvalOptions shallow;
  shallow.max_depth = 3;
  auto deep = compiled(R"({"!": {"!": {"!": {"!": true}}}})");
  r = deep.evaluate(Json::object(), shallow);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("max_depth") != std::string::npos);
  CHECK(deep.evaluate(Json::object()).value() == true);

  // Doubling a string 40 times would need a terabyte.
  EvalOptions tight;
  tight.max_size = 1 << 20;
  auto doubling = compiled(
      R"({"reduce": [{"var": "items"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]})");
  r = doubling.evaluate(data, tight);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("max_size") != std::string::npos);
}

TEST_CASE("JSON Logic: explain shows each clause, its values and what was skipped") {
  auto c = compiled(R"({"and": [{">": [{"var": "total"}, 100]}, {"has_tag": [{"var": "tags"}, "vip"]}, {"var": "x"}]})");
  Json tree;
  auto r = c.explain(J(R"({"total": 150, "tags": "new"})"), &tree);
  REQUIRE(r.ok());
  CHECK(r.value() == false);
  CHECK(tree["op"] == "and");
  CHECK(tree["result"] == false);
  CHECK(tree["args"] == J("[true, false, null]"));
  CHECK(tree["children"][0] == J(R"({"op": ">", "args": [150, 100], "result": true,
                                     "children": [{"var": "total", "result": 150}, {"value": 100}]})"));
  CHECK(tree["children"][1]["op"] == "has_tag");
  CHECK(tree["children"][1]["args"] == J(R"(["new", "vip"])"));
  CHECK(tree["children"][1]["result"] == false);
  CHECK(tree["children"][2] == J(R"({"var": "x", "skipped": true})"));

  // Iterations are listed per item, at most 20, the rest counted.
  Json items = Json::array();
  for (int i = 0; i < 25; ++i) items.push_back(i);
  auto all = compiled(R"({"all": [{"var": "items"}, {">=": [{"var": ""}, 0]}]})");
  r = all.explain(Json::object({{"items", items}}), &tree);
  REQUIRE(r.ok());
  CHECK(tree["children"][1]["iterations"].size() == 20);
  CHECK(tree["children"][1]["iterations"][3]["index"] == 3);
  CHECK(tree["children"][1]["iterations"][3]["args"] == J("[3, 0]"));
  CHECK(tree["children"][1]["more"] == 5);
  CHECK(tree["children"][0]["result"].size() == 21);  // abbreviated: 20 items and "… 5 more"

  // A failure keeps the tree up to where it happened.
  auto bad = compiled(R"({"or": [false, {"/": [1, {"var": "n"}]}]})");
  r = bad.explain(J(R"({"n": 0})"), &tree);
  REQUIRE_FALSE(r.ok());
  CHECK(tree["error"] == J(R"({"type": "NaN"})"));
  CHECK(tree["children"][1]["args"] == J("[1, 0]"));
  CHECK(tree["children"][1]["error"] == J(R"({"type": "NaN"})"));
  CHECK_FALSE(tree["children"][1].contains("result"));

  // A literal rule explains as its value.
  r = compiled("42").explain(Json::object(), &tree);
  CHECK(tree == J(R"({"value": 42})"));
}

TEST_CASE("JSON Logic: compile once, evaluate many times") {
  auto c = compiled(R"({"if": [{"money_gte": [{"var": "total"}, "100"]}, "free", {"money_sub": ["100", {"var": "total"}]}]})");
  CHECK(c.evaluate(J(R"({"total": "120.00"})")).value() == "free");
  CHECK(c.evaluate(J(R"({"total": "99.99"})")).value() == "0.01");
  CHECK(c.evaluate(J(R"({"total": 35})")).value() == "65.00");
  Condition copy = c;  // cheap: the compiled form is shared
  CHECK(copy.evaluate(J(R"({"total": "100"})")).value() == "free");
  CHECK(copy.source() == c.source());

  Condition empty;
  CHECK(empty.empty());
  CHECK(empty.evaluate(Json::object()).value().is_null());
}

TEST_CASE("JSON Logic: the log operator hands values to the sink") {
  Json seen = Json::array();
  EvalOptions options;
  options.log = [&](const Json& v) { seen.push_back(v); };
  auto r = compiled(R"({"+": [{"log": {"var": "a"}}, 1]})").evaluate(J(R"({"a": 2})"), options);
  CHECK(r.value() == 3);
  CHECK(seen == J("[2]"));
}

TEST_CASE("JSON Logic: truthiness and the operator catalog") {
  for (const char* falsy : {"false", "null", "0", "0.0", "\"\"", "[]"}) {
    std::string text = falsy;
    CAPTURE(text);
    CHECK_FALSE(shopflow::logic::truthy(J(falsy)));
  }
  for (const char* yes : {"true", "1", "-1", "0.5", "\"0\"", "[0]", "{}"}) {
    std::string text = yes;
    CAPTURE(text);
    CHECK(shopflow::logic::truthy(J(yes)));
  }
  auto names = shopflow::logic::operator_names();
  for (const char* op : {"var", "val", "exists", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!",
                         "!!", "or", "and", "??", "throw", "try", ">", ">=", "<", "<=", "max", "min", "+", "-", "*",
                         "/", "%", "map", "reduce", "filter", "all", "none", "some", "merge", "in", "cat", "substr",
                         "log", "money", "money_add", "money_sub", "money_mul", "money_cmp", "money_lt", "money_gt",
                         "money_eq", "has_tag", "tags", "add_tag", "remove_tag", "now", "time_add", "time_diff",
                         "business_days_add", "lookup"}) {
    std::string name = op;
    CAPTURE(name);
    CHECK(std::find(names.begin(), names.end(), op) != names.end());
    auto c = Condition::compile(Json::object({{op, Json::array({1, 2})}}));
    if (!c) CHECK(c.error().message.find("unknown operator") == std::string::npos);
  }
  for (const auto& info : shopflow::logic::operator_catalog()) {
    CAPTURE(info.name);
    CHECK_FALSE(info.usage.empty());
    CHECK_FALSE(info.group.empty());
  }
}

TEST_CASE("a root alias reads another member where the data has none of its own") {
  EvalOptions o;
  o.root_aliases = {{"trigger", "event"}};
  const Json data = J(R"({"event": {"id": "e1", "data": {"total": "12.50"}}, "vars": {}})");
  auto eval = [&](const char* rule, const Json& d) {
    auto r = compiled(rule).evaluate(d, o);
    REQUIRE_MESSAGE(r.ok(), rule << ": " << (r.ok() ? "" : r.error().to_string()));
    return r.value();
  };
  CHECK(eval(R"({"var": "trigger.data.total"})", data) == "12.50");
  CHECK(eval(R"({"var": "trigger"})", data) == data["event"]);
  CHECK(eval(R"({"missing": ["trigger.id", "trigger.nope"]})", data) == J(R"(["trigger.nope"])"));
  CHECK(eval(R"({"exists": ["trigger", "id"]})", data) == true);
  // The whole data shows the alias after the member it reads, as if it were there.
  CHECK(eval(R"({"var": ""})", data).dump() ==
        R"({"event":{"id":"e1","data":{"total":"12.50"}},"trigger":{"id":"e1","data":{"total":"12.50"}},"vars":{}})");
  // A member of its own wins; without aliases the name is simply missing.
  const Json own = J(R"({"event": {"id": "e1"}, "trigger": {"id": "t1"}})");
  CHECK(eval(R"({"var": "trigger.id"})", own) == "t1");
  auto plain = compiled(R"({"var": "trigger.id"})").evaluate(data);
  REQUIRE(plain.ok());
  CHECK(plain.value().is_null());
}

TEST_CASE("named rules: used by name, explained as a node that opens, unknown names and cycles refused") {
  shopflow::logic::NamedRules rules = {
      {"big", J(R"({"money_gt": [{"var": "total"}, "1000"]})")},
      {"vip", J(R"({"has_tag": [{"var": "tags"}, "vip"]})")},
      {"review", J(R"({"and": [{"rule": "big"}, {"!": {"rule": "vip"}}]})")},
      {"ping", J(R"({"rule": "pong"})")},
      {"pong", J(R"({"or": [false, {"rule": "ping"}]})")},
      {"broken", J(R"({"money_gtt": [1, 2]})")},
  };
  shopflow::logic::CompileOptions opts;
  opts.rules = &rules;

  auto c = Condition::compile(J(R"({"rule": "review"})"), "/wf/filter", opts);
  REQUIRE(c.ok());
  CHECK(c.value().evaluate(J(R"({"total": "1200.00", "tags": "new"})")).value() == true);
  CHECK(c.value().evaluate(J(R"({"total": "1200.00", "tags": "vip"})")).value() == false);
  Json tree;
  REQUIRE(c.value().explain(J(R"({"total": "1200.00", "tags": "new"})"), &tree).ok());
  CHECK(tree["op"] == "rule");
  CHECK(tree["rule"] == "review");
  CHECK(tree["result"] == true);
  CHECK(tree["children"][0]["op"] == "and");
  CHECK(tree["children"][0]["children"][0]["rule"] == "big");
  CHECK(tree["children"][0]["children"][0]["children"][0]["op"] == "money_gt");

  auto unknown = Condition::compile(J(R"({"if": [{"rule": "reveiw"}, 1, 2]})"), "/wf/filter", opts);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().pointer == "/wf/filter/if/0");
  CHECK(unknown.error().message == "no rule named \"reveiw\" under \"rules\"; did you mean \"review\"?");

  auto cycle = Condition::compile(J(R"({"rule": "ping"})"), "/rules/ping", opts);
  REQUIRE_FALSE(cycle.ok());
  CHECK(cycle.error().pointer == "/rules/ping");
  CHECK(cycle.error().message.find("the rules ping → pong → ping use each other in a cycle") != std::string::npos);

  auto inner = Condition::compile(J(R"({"rule": "broken"})"), "/x", opts);
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.error().message.find("rule \"broken\" (under \"rules\") does not compile: unknown operator \"money_gtt\"") == 0);

  auto alone = Condition::compile(J(R"({"rule": "big"})"));
  REQUIRE_FALSE(alone.ok());
  CHECK(alone.error().message.find("no named rules here") != std::string::npos);
}
