// Tests for core/src/template.cpp and the liquid_*.cpp files behind it: Shopify's money and
// json filters, Ruby's number semantics, dates, errors with positions, modes and limits.
// The broad language coverage is the golden suite (tests/conformance/liquid_conformance_test.cpp);
// these cases pin down Shopflow's own choices and the safety properties.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "shopflow/template.hpp"

namespace {

using shopflow::Json;
namespace liquid = shopflow::liquid;

struct Case {
  const char* name;
  const char* tpl;
  const char* data;  // JSON
  const char* expected;
};

std::string render(const std::string& tpl, const Json& data, const liquid::Options& o = {}) {
  auto t = liquid::Template::parse(tpl, o);
  if (!t) return "PARSE ERROR: " + t.error().to_string();
  auto r = t.value().render(data, o);
  if (!r) return "RENDER ERROR: " + r.error().to_string();
  return r.value();
}

void run_table(const std::vector<Case>& cases, const liquid::Options& o = {}) {
  for (const Case& c : cases) {
    std::string name = c.name, tpl = c.tpl, expected = c.expected;
    CAPTURE(name);
    CAPTURE(tpl);
    CHECK(render(c.tpl, Json::parse(c.data), o) == expected);
  }
}

// An error's message and position, or "ok".
struct Failure {
  std::string message;
  int line = 0, column = 0;
};

Failure failure_of(const std::string& tpl, const Json& data, const liquid::Options& o = {}) {
  auto t = liquid::Template::parse(tpl, o);
  if (!t) return {t.error().message, t.error().line, t.error().column};
  auto r = t.value().render(data, o);
  if (!r) return {r.error().message, r.error().line, r.error().column};
  return {"ok", 0, 0};
}

}  // namespace

TEST_CASE("liquid: money filters format exact decimals in the shop's format") {
  run_table({
      {"decimal string", "{{ '49.9' | money }}", "{}", "$49.90"},
      {"webhook price", "{{ order.total_price | money }}", R"({"order":{"total_price":"1234.5"}})", "$1,234.50"},
      {"integer is whole units", "{{ 49 | money }}", "{}", "$49.00"},
      {"float is read as printed", "{{ 0.1 | money }}", "{}", "$0.10"},
      {"rounds half up", "{{ '0.005' | money }}", "{}", "$0.01"},
      {"no binary float", "{{ '19.995' | money }}", "{}", "$20.00"},
      {"large amounts stay exact", "{{ '12345678901234567.89' | money }}", "{}", "$12,345,678,901,234,567.89"},
      {"negative", "{{ '-5' | money }}", "{}", "$-5.00"},
      {"amounts read as the money operator reads them", "{{ '.5' | money }} {{ '1e3' | money }}", "{}",
       "$0.50 $1,000.00"},
      {"nil renders nothing", "{{ missing | money }}", "{}", ""},
      {"with currency", "{{ '49.9' | money_with_currency }}", "{}", "$49.90 USD"},
      {"without currency", "{{ '1234.5' | money_without_currency }}", "{}", "1,234.50"},
      {"without trailing zeros", "{{ '49' | money_without_trailing_zeros }}", "{}", "$49"},
  });
  liquid::Options euro;
  euro.money_format = "{{ amount_with_comma_separator }} €";
  euro.money_with_currency_format = "{{amount_with_comma_separator}} EUR";
  run_table({
      {"comma separator", "{{ '1234.5' | money }}", "{}", "1.234,50 €"},
      {"comma with currency", "{{ '1234.5' | money_with_currency }}", "{}", "1.234,50 EUR"},
      {"without currency keeps the style", "{{ '1234.5' | money_without_currency }}", "{}", "1.234,50"},
  },
            euro);
  liquid::Options whole;
  whole.money_format = "{{amount_no_decimals}} kr";
  run_table({{"no decimals", "{{ '1234.5' | money }}", "{}", "1,235 kr"}}, whole);
  CHECK(failure_of("{{ 'abc' | money }}", Json::object()).message.find("not an amount") != std::string::npos);
}

TEST_CASE("liquid: date shows times on the store's clock, daylight saving included") {
  // Without a zone a time keeps the offset it was written with.
  run_table({
      {"no zone: as written", "{{ '2026-07-06T16:00:00Z' | date: '%H:%M %z' }}", "{}", "16:00 +0000"},
      {"a zone argument", "{{ '2026-07-06T16:00:00Z' | date: '%H:%M %z', 'America/New_York' }}", "{}", "12:00 -0400"},
      {"a half-hour zone", "{{ '2026-01-06T16:00:00Z' | date: '%H:%M %z', 'Asia/Kolkata' }}", "{}", "21:30 +0530"},
  });
  liquid::Options berlin;
  berlin.time_zone = "Europe/Berlin";
  run_table({
      {"winter", "{{ '2026-01-06T16:00:00Z' | date: '%H:%M %z' }}", "{}", "17:00 +0100"},
      {"summer", "{{ '2026-07-06T16:00:00Z' | date: '%H:%M %z' }}", "{}", "18:00 +0200"},
      {"the local date", "{{ '2026-07-06T22:30:00Z' | date: '%A %d.%m.' }}", "{}", "Tuesday 07.07."},
      {"another zone still wins", "{{ '2026-07-06T16:00:00Z' | date: '%H:%M', 'UTC' }}", "{}", "16:00"},
      {"now on the store's clock", "{{ 'now' | date: '%H:%M' }}", R"({"now": "2026-03-29T01:30:00Z"})", "03:30"},
  },
            berlin);
  CHECK(failure_of("{{ 'now' | date: '%H', 'Europe/Berln' }}", Json::parse(R"({"now": "2026-03-01T00:00:00Z"})"))
            .message.find("did you mean Europe/Berlin") != std::string::npos);
}

TEST_CASE("liquid: money filters take the amount's currency: its minor units, symbol and format") {
  const char* usd_order = R"({"order":{"total_price":"409.94","currency":"USD"}})";
  liquid::Options euro;  // a shop whose own format is the euro's: a currency argument overrides it
  euro.money_format = "€{{amount_with_comma_separator}}";
  euro.money_with_currency_format = "€{{amount_with_comma_separator}} EUR";
  run_table({
      {"USD from the order", "{{ order.total_price | money: order.currency }}", usd_order, "$409.94"},
      {"USD with currency", "{{ order.total_price | money_with_currency: order.currency }}", usd_order, "$409.94 USD"},
      {"no currency: the bundle's format", "{{ order.total_price | money }}", usd_order, "€409,94"},
      {"missing currency: the bundle's format", "{{ '5' | money: order.nothing }}", usd_order, "€5,00"},
      {"EUR", "{{ '1234.5' | money: 'EUR' }}", "{}", "€1.234,50"},
      {"EUR with currency", "{{ '1234.5' | money_with_currency: 'EUR' }}", "{}", "€1.234,50 EUR"},
      {"GBP", "{{ '1234.5' | money: 'GBP' }}", "{}", "£1,234.50"},
      {"GBP with currency", "{{ '0.5' | money_with_currency: 'GBP' }}", "{}", "£0.50 GBP"},
      {"JPY has no minor units", "{{ '1234.5' | money: 'JPY' }}", "{}", "¥1,235"},
      {"JPY with currency", "{{ 409 | money_with_currency: 'JPY' }}", "{}", "¥409 JPY"},
      {"JPY without trailing zeros", "{{ '1000' | money_without_trailing_zeros: 'JPY' }}", "{}", "¥1,000"},
      {"BHD has three", "{{ '1234.5' | money: 'BHD' }}", "{}", "1,234.500 BD"},
      {"BHD rounds to fils", "{{ '0.0005' | money_with_currency: 'BHD' }}", "{}", "0.001 BHD"},
      {"BHD without currency", "{{ '1234.5678' | money_without_currency: 'BHD' }}", "{}", "1,234.568"},
      {"BHD without trailing zeros", "{{ '2' | money_without_trailing_zeros: 'BHD' }}", "{}", "2 BD"},
      {"lower-case code", "{{ '3' | money: 'usd' }}", "{}", "$3.00"},
      {"unknown code: two decimals and the code", "{{ '1234.5' | money: 'XYZ' }}", "{}", "1.234,50 XYZ"},
      {"unknown code with currency", "{{ '1234.5' | money_with_currency: 'XYZ' }}", "{}", "1.234,50 XYZ"},
  },
            euro);
  liquid::Options whole;
  whole.money_format = "{{amount_no_decimals}} kr";
  CHECK(render("{{ '12345' | money_without_trailing_zeros }}", Json::object(), whole) == "12,345 kr");
  CHECK(failure_of("{{ '1' | money: 'dollars' }}", Json::object()).message.find("\"dollars\" is not a currency code") !=
        std::string::npos);
  CHECK(failure_of("{{ '1' | money: 840 }}", Json::object()).message.find("a code such as \"USD\"") != std::string::npos);
}

TEST_CASE("liquid: json filter writes compact JSON of any value") {
  run_table({
      {"object keeps key order", "{{ o | json }}", R"({"o":{"b":1,"a":[true,null,"x"]}})", R"({"b":1,"a":[true,null,"x"]})"},
      {"string is quoted and escaped", "{{ s | json }}", R"({"s":"say \"hi\"\n"})", R"("say \"hi\"\n")"},
      {"filter result", "{{ 'a,b' | split: ',' | json }}", "{}", R"(["a","b"])"},
      {"float", "{{ 2.5 | json }}", "{}", "2.5"},
      {"nil", "{{ nothing | json }}", "{}", "null"},
      {"range", "{{ (1..3) | json }}", "{}", "[1,2,3]"},
  });
}

TEST_CASE("liquid: numbers follow Ruby") {
  run_table({
      {"integer division floors", "{{ 1 | divided_by: 2 }} {{ -7 | divided_by: 2 }}", "{}", "0 -4"},
      {"float division", "{{ 1.0 | divided_by: 2 }}", "{}", "0.5"},
      {"float keeps .0", "{{ 2.0 }} {{ 1.0 | plus: 1 }}", "{}", "2.0 2.0"},
      {"decimal arithmetic", "{{ 0.1 | plus: 0.2 }} {{ 3 | times: 1.1 }}", "{}", "0.3 3.3"},
      {"modulo sign follows divisor", "{{ -7 | modulo: 2 }} {{ 5.5 | modulo: 2 }}", "{}", "1 1.5"},
      {"exponent form", "{{ x }} {{ y }}", R"({"x":1e16,"y":0.00001})", "1.0e+16 1.0e-05"},
      {"round half up, exact", "{{ 1.005 | round: 2 }} {{ 2.5 | round }} {{ 1234 | round: -2 }}", "{}", "1.01 3 1200"},
      {"numeric strings", "{{ '10' | times: '2' }} {{ '3.7' | ceil }} {{ 'abc' | plus: 1 }}", "{}", "20 4 1"},
      {"data integers", "{{ n | plus: 1 }}", R"({"n":9007199254740993})", "9007199254740994"},
      {"at_least keeps type", "{{ 10 | at_least: 11.5 }} {{ 10 | at_least: 5 }}", "{}", "11.5 10"},
      {"sum", "{{ a | sum }} {{ b | sum: 'p' }}", R"({"a":[1,"2",3.5],"b":[{"p":"1.10"},{"p":2}]})", "6.5 3.1"},
      {"decimal modulo sign follows divisor", "{{ -7.5 | modulo: 2 }} {{ 7.5 | modulo: -2 }}", "{}", "0.5 -0.5"},
      // BigDecimal keeps every digit until to_f: the Float is the exact result's nearest.
      {"long divisors keep the quotient's digits",
       "{{ '11778752513352995156.80290971' | divided_by: '-77946008897815935.000000000095858481' }} "
       "{{ 2 | divided_by: '1.23456789012345678901234567890123' }}",
       "{}", "-151.11424792505366 1.6200000145800002"},
      {"a product is exact before it becomes a Float", "{{ -781887151.438243 | times: '-403497937028962.77473412' }}",
       "{}", "3.154898525947833e+23"},
      {"a quotient too small for exact digits is a Float", "{{ 0.000001 | divided_by: 7 }}", "{}",
       "1.4285714285714285e-07"},
  });
  CHECK(failure_of("{{ 1 | divided_by: 0 }}", Json::object()).message.find("divided by 0") != std::string::npos);
}

TEST_CASE("liquid: date formats on UTC civil dates, 'now' comes from the data") {
  run_table({
      {"epoch seconds", "{{ 1152098955 | date: '%m/%d/%Y %H:%M:%S' }}", "{}", "07/05/2006 11:29:15"},
      {"iso with offset", "{{ '2016-02-29T10:00:00+02:00' | date: '%Y-%m-%d %H:%M %z %s' }}", "{}",
       "2016-02-29 10:00 +0200 1456732800"},
      {"words", "{{ 'March 14, 2016' | date: '%a %b %-d, %Y' }}", "{}", "Mon Mar 14, 2016"},
      {"rfc 2822", "{{ 'Mon, 14 Mar 2016 10:00:00 -0500' | date: '%H %z' }}", "{}", "10 -0500"},
      {"composite directives", "{{ 0 | date: '%F %T %j %A %^B %e' }}", "{}", "1970-01-01 00:00:00 001 Thursday JANUARY  1"},
      {"now from data", "{{ 'now' | date: '%Y-%m-%d' }}", R"({"now":"2024-05-06T07:08:09Z"})", "2024-05-06"},
      {"today from epoch", "{{ 'today' | date: '%Y' }}", R"({"now":1700000000})", "2023"},
      {"unreadable stays as is", "{{ 'soon' | date: '%Y' }}", "{}", "soon"},
      {"empty format", "{{ 'March 14, 2016' | date: '' }}", "{}", "March 14, 2016"},
  });
  Failure f = failure_of("{{ 'now' | date: '%Y' }}", Json::object());
  CHECK(f.message.find("\"now\" field") != std::string::npos);
}

TEST_CASE("liquid: errors carry line and column") {
  struct ErrCase {
    const char* name;
    const char* tpl;
    const char* contains;
    int line, column;
  };
  liquid::Options strict;
  strict.mode = liquid::Mode::Strict;
  const std::vector<ErrCase> cases = {
      {"unclosed block", "a\n  {% if x %}\nb", "'if' tag was never closed", 2, 3},
      {"unknown tag", "line 1\n{% frobnicate %}", "Unknown tag 'frobnicate'", 2, 1},
      {"bad delimiter", "{% for x in y %}\n{% endif %}", "not a valid delimiter", 2, 1},
      {"unterminated output", "ok\n\n{{ x", "was not properly terminated", 3, 1},
      {"unterminated tag", "{% if", "was not properly terminated", 1, 1},
      {"bad expression", "x {{ a | | b }}", "Expected id", 1, 3},
      {"unknown filter (strict)", "{{ a | nosuch }}", "Unknown filter 'nosuch'", 1, 1},
      {"wrong argument count", "\n {{ 'a' | append }}", "wrong number of arguments", 2, 2},
      {"undefined variable (strict)", "ok\n  {{ who.name }}", "undefined variable who", 2, 3},
      {"render error position", "{% assign a = 1 %}\n{% if 'x' > a %}{% endif %}", "comparison of String", 2, 1},
      {"filter error position", "\n\n   {{ 'x' | base64_decode }}", "invalid base64", 3, 4},
  };
  for (const ErrCase& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    Failure f = failure_of(c.tpl, Json::object(), strict);
    CAPTURE(f.message);
    CHECK(f.message.find(c.contains) != std::string::npos);
    CHECK(f.line == c.line);
    CHECK(f.column == c.column);
  }
}

TEST_CASE("liquid: lax and strict modes") {
  liquid::Options strict;
  strict.mode = liquid::Mode::Strict;
  liquid::Options lax;
  const Json data = Json::parse(R"({"foo":"F","bar":"B"})");
  // Lax reads what Ruby's lax parser reads; strict rejects it.
  CHECK(render("{{ foo bar }}", data, lax) == "F");
  CHECK(render("{{ foo bar }}", data, strict).rfind("PARSE ERROR", 0) == 0);
  // Unknown filters pass the value through in lax mode.
  CHECK(render("{{ foo | nosuch }}", data, lax) == "F");
  // Undefined variables: nothing in lax mode; an error in strict mode unless strict_variables is off.
  CHECK(render("[{{ nobody }}]", data, lax) == "[]");
  CHECK(render("[{{ nobody }}]", data, strict).rfind("RENDER ERROR", 0) == 0);
  liquid::Options loose = strict;
  loose.strict_variables = false;
  CHECK(render("[{{ nobody }}]", data, loose) == "[]");
  CHECK(render("{% if nobody %}x{% endif %}{{ nobody | default: 'd' }}", data, loose) == "d");
}

TEST_CASE("liquid: parse once, render many times") {
  auto t = liquid::Template::parse("{% for i in items %}{{ i.sku }}={{ i.qty | times: 2 }};{% endfor %}");
  REQUIRE(t);
  for (int k = 0; k < 3; ++k) {
    Json data = {{"items", Json::array({{{"sku", "A" + std::to_string(k)}, {"qty", k}}})}};
    auto r = t.value().render(data);
    REQUIRE(r);
    CHECK(r.value() == "A" + std::to_string(k) + "=" + std::to_string(2 * k) + ";");
  }
  // A default-constructed template renders an error, not a crash.
  liquid::Template empty;
  CHECK_FALSE(empty.render(Json::object()));
}

TEST_CASE("liquid: partials for render and include") {
  std::map<std::string, std::string> files = {
      {"line", "{{ line.sku }}x{{ line.qty }}{% assign leaked = 1 %}"},
      {"greet", "Hi {{ name }}{% assign seen = 'yes' %}"},
      {"self", "{% include 'self' %}"},
      {"broken", "{% if %}"},
  };
  liquid::Options o;
  o.partials = [&files](const std::string& n) -> const std::string* {
    auto it = files.find(n);
    return it == files.end() ? nullptr : &it->second;
  };
  const Json data = Json::parse(R"({"order":{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":2}]},"name":"Ann"})");
  CHECK(render("{% render 'line' for order.lines %}[{{ leaked }}]", data, o) == "Ax1Bx2[]");
  CHECK(render("{% render 'greet', name: 'Bo' %} {% include 'greet' %} {{ seen }}", data, o) == "Hi Bo Hi Ann yes");
  Failure missing = failure_of("{% render 'nope' %}", data, o);
  CHECK(missing.message.find("no template named 'nope'") != std::string::npos);
  Failure recursive = failure_of("{% include 'self' %}", data, o);
  CHECK(recursive.message.find("nesting too deep") != std::string::npos);
  Failure broken = failure_of("\n{% render 'broken' %}", data, o);
  CHECK(broken.message.find("in template 'broken'") != std::string::npos);
  CHECK(broken.line == 2);
  // A render error inside a partial names the partial and its position, and points at the tag.
  files["bad_filter"] = "ok\n  {{ 'x' | base64_decode }}";
  Failure inner = failure_of("a\n\n {% render 'bad_filter' %}", data, o);
  CHECK(inner.message.find("in template 'bad_filter' (line 2, column 3)") != std::string::npos);
  CHECK(inner.line == 3);
  CHECK(inner.column == 2);
  // Without a partial source, render fails cleanly.
  CHECK(failure_of("{% render 'line' %}", data).message.find("no template named") != std::string::npos);
}

TEST_CASE("liquid: limits stop runaway templates with an error") {
  liquid::Options o;
  o.limits.max_loop_iterations = 1000;
  o.limits.max_output_bytes = 10'000;
  o.limits.max_depth = 20;
  o.limits.max_source_bytes = 5000;
  struct LimitCase {
    const char* name;
    std::string tpl;
    const char* contains;
  };
  std::string deep_ifs, deep_brackets = "{{ a", deep_ranges = "{{ ";
  for (int k = 0; k < 30; ++k) deep_ifs += "{% if true %}";
  for (int k = 0; k < 30; ++k) deep_ifs += "{% endif %}";
  for (int k = 0; k < 30; ++k) deep_brackets += "[a";
  for (int k = 0; k < 30; ++k) deep_brackets += "]";
  deep_brackets += " }}";
  for (int k = 0; k < 30; ++k) deep_ranges += "(";
  deep_ranges += "1";
  for (int k = 0; k < 30; ++k) deep_ranges += "..1)";
  deep_ranges += " }}";
  const std::vector<LimitCase> cases = {
      {"loop iterations", "{% for i in (1..1000000000) %}{% endfor %}", "iteration limit"},
      {"nested loops", "{% for i in (1..100) %}{% for j in (1..100) %}{% endfor %}{% endfor %}", "iteration limit"},
      {"output size", "{% for i in (1..900) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}", "output too large"},
      {"doubling capture", "{% assign s = 'x' %}{% for i in (1..100) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}",
       "output too large"},
      {"doubling append", "{% assign s = 'xx' %}{% for i in (1..100) %}{% assign s = s | append: s %}{% endfor %}",
       "too much text"},
      {"doubling concat", "{% assign a = '1,2' | split: ',' %}{% for i in (1..100) %}{% assign a = a | concat: a %}{% endfor %}",
       "too large"},
      {"huge range join", "{{ (1..100000000) | join: ',' }}", "too large"},
      {"splits of ever longer inspected text",
       "{% assign s = 'a\\\"b' %}{% for i in (1..60) %}{% assign s = s | split: '|' %}{% endfor %}{{ s }}",
       "too large to split"},
      {"nesting depth", deep_ifs, "Nesting too deep"},
      {"bracket depth", deep_brackets, "nested too deeply"},
      {"range depth", deep_ranges, "nested too deeply"},
      {"source size", std::string(6000, 'x'), "too large"},
  };
  for (const LimitCase& c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    Failure f = failure_of(c.tpl, Json::object(), o);
    CAPTURE(f.message);
    CHECK(f.message.find(c.contains) != std::string::npos);
  }
  // Deep nesting far past any limit is still an error, not a stack overflow.
  liquid::Options big;
  big.limits.max_depth = 1'000'000;
  big.limits.max_source_bytes = 10'000'000;
  std::string very_deep;
  for (int k = 0; k < 200'000; ++k) very_deep += "{% if true %}";
  CHECK_FALSE(liquid::Template::parse(very_deep, big));
  std::string brackets(200'000, '[');
  CHECK_FALSE(liquid::Template::parse("{{ a" + brackets + " }}", big));
}

TEST_CASE("liquid: whitespace control and blank blocks") {
  run_table({
      {"trim both sides", "a  {%- if true -%}  b  {%- endif -%}  c", "{}", "abc"},
      {"output trim", "a {{- 'b' -}} c", "{}", "abc"},
      {"blank if body renders nothing", "[{% if true %}\n  {% assign x = 1 %}\n{% endif %}]", "{}", "[]"},
      {"non-blank body keeps whitespace", "[{% if true %} {{ 1 }} {% endif %}]", "{}", "[ 1 ]"},
      {"liquid tag", "{% liquid\n assign a = 'x'\n echo a | upcase\n%}", "{}", "X"},
  });
}

TEST_CASE("liquid: the data document is looked up, not copied") {
  // Strings of the data are borrowed: a large document renders quickly and the output is right.
  Json data = Json::object();
  data["items"] = Json::array();
  for (int k = 0; k < 2000; ++k) data["items"].push_back({{"name", std::string(100, 'n')}, {"k", k}});
  auto t = liquid::Template::parse("{% for i in items %}{% if i.k == 1999 %}{{ i.name | size }}{% endif %}{% endfor %}");
  REQUIRE(t);
  auto r = t.value().render(data);
  REQUIRE(r);
  CHECK(r.value() == "100");
}

TEST_CASE("a root alias reads another member where the data has none of its own") {
  liquid::Options o;
  o.root_aliases = {{"trigger", "event"}};
  const Json data = Json::parse(R"({"event": {"id": "e1", "time": "2026-03-02T09:00:00Z"}})");
  CHECK(render("{{ trigger.id }} at {{ trigger.time }}", data, o) == "e1 at 2026-03-02T09:00:00Z");
  CHECK(render("{% if trigger %}yes{% endif %}", data, o) == "yes");
  CHECK(render("{{ trigger.id }}", Json::parse(R"({"event": {"id": "e1"}, "trigger": {"id": "t1"}})"), o) == "t1");
  CHECK(render("[{{ trigger.id }}]", data) == "[]");
  liquid::Options shared = o;
  shared.partials = [](const std::string& name) -> const std::string* {
    static const std::string body = "{{ trigger.id }}";
    return name == "p" ? &body : nullptr;
  };
  CHECK(render("{% include 'p' %}", data, shared) == "e1");
}
