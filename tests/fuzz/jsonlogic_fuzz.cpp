// libFuzzer target for JSON Logic (core/src/condition.cpp and logic_*.cpp) and the parsers it
// leans on (decimal.cpp, timeutil.cpp).
//
// Input: a rule as JSON, optionally followed by a NUL byte and the data as JSON; without
// data, a sample order is used so that var reads find something. The rule is compiled and
// evaluated with small limits, plainly and with explain; both must agree and a second run
// must give the same answer. The raw input is also fed to the amount, timestamp and duration
// readers, whose output must read back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "shopflow/condition.hpp"
#include "shopflow/decimal.hpp"
#include "shopflow/timeutil.hpp"

namespace {

using shopflow::Json;

const Json& sample_data() {
  static const Json data = Json::parse(R"({
    "now": "2026-03-06T16:00:00+01:00",
    "order": {"id": 5123456789012345678, "total_price": "149.90", "currency": "EUR", "tags": "vip, wholesale",
              "created_at": "2026-03-04T10:00:00Z", "customer": {"email": "a@example.com", "orders_count": 3},
              "line_items": [{"sku": "A-1", "price": "19.99", "quantity": 3, "title": "Mug"},
                             {"sku": "B-2", "price": 5.1, "quantity": "2", "title": "Tea"}]},
    "items": [1, 2, 3, 4, 5], "x": 0, "s": "text", "n": null
  })");
  return data;
}

void check(bool ok) {
  if (!ok) std::abort();
}

void fuzz_readers(std::string_view text) {
  if (text.size() > 256) return;
  if (auto d = shopflow::Decimal::parse(text)) {
    auto again = shopflow::Decimal::parse(d.value().to_string());
    check(again.ok() && again.value() == d.value());
    auto money = shopflow::Decimal::parse(d.value().to_money_string());
    check(money.ok() && money.value() == d.value());
    (void)d.value().round(2, shopflow::Rounding::HalfEven);
    (void)d.value().div(shopflow::Decimal::from_int(7), 4);
    (void)d.value().mul(d.value());
  }
  if (auto t = shopflow::timeutil::parse_timestamp(text)) {
    auto again = shopflow::timeutil::parse_timestamp(shopflow::timeutil::format_timestamp(t.value()));
    check(again.ok() && again.value().ms == t.value().ms && again.value().offset_minutes == t.value().offset_minutes);
    (void)shopflow::timeutil::add_business_days(t.value(), 7);
    (void)shopflow::timeutil::add_business_days(t.value(), -7);
  }
  if (auto d = shopflow::timeutil::parse_duration(text)) {
    auto again = shopflow::timeutil::parse_duration(shopflow::timeutil::format_duration(d.value()));
    check(again.ok() && again.value().months == d.value().months && again.value().days == d.value().days &&
          again.value().millis == d.value().millis);
    (void)shopflow::timeutil::add_duration(shopflow::timeutil::Timestamp{0, 60}, d.value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  fuzz_readers(input);

  std::size_t split = input.find('\0');
  std::string_view rule_text = input.substr(0, split);
  Json rule = Json::parse(rule_text.begin(), rule_text.end(), nullptr, false);
  if (rule.is_discarded()) return 0;
  Json data = sample_data();
  if (split != std::string_view::npos) {
    std::string_view data_text = input.substr(split + 1);
    data = Json::parse(data_text.begin(), data_text.end(), nullptr, false);
    if (data.is_discarded()) return 0;
  }

  Json compile_error;
  auto compiled = shopflow::logic::Condition::compile(rule, "/rule", &compile_error);
  if (!compiled) {
    check(!compiled.error().message.empty() && compile_error.is_object());
    return 0;
  }
  shopflow::logic::EvalOptions options;
  options.max_steps = 20'000;
  options.max_depth = 64;
  options.max_size = 100'000;
  options.table_lookup = [](const std::string& table, const Json& key) -> std::optional<Json> {
    if (table == "stock" && key.is_string()) return Json::object({{"qty", 4}, {"point", 5}});
    return std::nullopt;
  };
  options.log = [](const Json&) {};

  const auto& condition = compiled.value();
  auto first = condition.evaluate(data, options);
  auto second = condition.evaluate(data, options);
  check(first.ok() == second.ok());
  if (first.ok()) check(first.value() == second.value() || first.value() != first.value());
  Json tree;
  auto explained = condition.explain(data, &tree, options);
  check(explained.ok() == first.ok());
  if (first.ok()) check(explained.value() == first.value() || first.value() != first.value());
  if (!first.ok()) check(!first.error().message.empty());
  (void)tree.dump(-1, ' ', false, Json::error_handler_t::replace);
  return 0;
}
