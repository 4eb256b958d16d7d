// Benchmark: JSON Logic conditions evaluated per second and Liquid templates rendered per
// second on a Shopify-shaped order (tests/bench/order.json), each compiled once and run many
// times, as the engine does. Not a test: run tests/bench/languages_bench.sh, which builds it
// natively (release) and as WebAssembly under Node and prints both side by side.
// Usage: shopflow_bench_languages ORDER.json [SECONDS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "shopflow/condition.hpp"
#include "shopflow/template.hpp"

namespace {

// The order check of a store: paid, not a test order, a real address, a big or VIP order with
// a shippable line and an exact money comparison.
const char* kCondition = R"({"and": [
  {"==": [{"var": "event.data.financial_status"}, "paid"]},
  {"!": {"has_tag": [{"var": "event.data.tags"}, "test"]}},
  {"in": [{"var": "event.data.shipping_address.country_code"}, ["US", "CA", "DE", "FR", "GB"]]},
  {"or": [{"money_gte": [{"var": "event.data.total_price"}, "100.00"]},
          {"has_tag": [{"var": "event.data.customer.tags"}, "vip"]}]},
  {"some": [{"var": "event.data.line_items"}, {">": [{"var": "grams"}, 0]}]}]})";

// An order confirmation: a loop over the lines, filters, money formatting.
const char* kTemplate =
    "Hello {{ event.data.customer.first_name | capitalize }},\n"
    "thank you for order {{ event.data.name }}.\n"
    "{% for line in event.data.line_items %}"
    "- {{ line.quantity }} x {{ line.title | truncate: 30 }} ({{ line.sku }}): {{ line.price | times: line.quantity | money }}\n"
    "{% endfor %}"
    "Total: {{ event.data.total_price | money_with_currency }}{% if event.data.total_discounts != \"0.00\" %}"
    " (you saved {{ event.data.total_discounts | money }}){% endif %}\n"
    "Ship to: {{ event.data.shipping_address.city }}, {{ event.data.shipping_address.country_code }}\n";

template <typename F>
void measure(const char* what, double seconds, F&& once) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 1000; ++i) once();  // warm-up
  size_t n = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 1000; ++i) once();
    n += 1000;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::printf("%s = %.0f per second (%zu in %.2f s)\n", what, static_cast<double>(n) / elapsed, n, elapsed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: shopflow_bench_languages ORDER.json [SECONDS]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  shopflow::Json data = {{"event", {{"type", "order.created"}, {"data", shopflow::Json::parse(text.str(), nullptr, false)}}}};
  if (data["event"]["data"].is_discarded()) {
    std::fprintf(stderr, "%s is not JSON\n", argv[1]);
    return 2;
  }
  auto cond = shopflow::logic::Condition::compile(shopflow::Json::parse(kCondition));
  auto tpl = shopflow::liquid::Template::parse(kTemplate);
  if (!cond || !tpl) {
    std::fprintf(stderr, "the benchmark's rule or template does not compile\n");
    return 1;
  }
  auto verdict = cond.value().evaluate(data);
  auto text_out = tpl.value().render(data);
  if (!verdict || !text_out) {
    std::fprintf(stderr, "the benchmark's rule or template fails on the order\n");
    return 1;
  }
  std::printf("condition on the order: %s\n", verdict.value().dump().c_str());
  std::printf("template output: %zu bytes\n", text_out.value().size());
  volatile size_t sink = 0;
  measure("conditions evaluated", seconds, [&] { sink = sink + cond.value().evaluate(data).value().is_boolean(); });
  measure("templates rendered", seconds, [&] { sink = sink + tpl.value().render(data).value().size(); });
  return 0;
}
