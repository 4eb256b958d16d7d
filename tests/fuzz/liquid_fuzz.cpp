// libFuzzer target for the Liquid parser and renderer (core/src/template.cpp, liquid_*.cpp).
//
// The input is a template. It is parsed in lax and in strict mode and rendered against fixed
// data with small limits and partials that include each other, so loops, recursion and
// string growth are all bounded. Any crash, sanitizer report, leak or hang is a bug: every bad
// template must end as an Error value.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "shopflow/template.hpp"

namespace {

const shopflow::Json& fixed_data() {
  static const shopflow::Json data = shopflow::Json::parse(R"({
    "now": "2024-05-06T07:08:09Z",
    "shop": {"name": "Shop & Co", "currency": "EUR"},
    "order": {"id": 1001, "total_price": "49.90", "tags": "vip, repeat",
              "line_items": [{"sku": "A-1", "qty": 2, "price": "10.00", "gift": false},
                             {"sku": "B-2", "qty": 1, "price": "29.90", "gift": true}],
              "customer": {"first_name": "Ann", "email": null}},
    "nums": [3, 1.5, -2, 10000000000, 0.1],
    "words": ["b", "A", "c", "", null, [1, [2]]],
    "empty": {}, "s": "héllo wörld", "f": 2.0, "t": true
  })");
  return data;
}

const std::map<std::string, std::string>& partials() {
  static const std::map<std::string, std::string> p = {
      {"a", "{{ a }}{% include 'b' %}"},
      {"b", "{% render 'a' %}{% include 'a' %}"},
      {"line", "{{ line.sku }}x{{ line.qty }}"},
      {"self", "{% include 'self' %}"},
  };
  return p;
}

void run(const std::string& source, shopflow::liquid::Mode mode) {
  shopflow::liquid::Options o;
  o.mode = mode;
  o.strict_variables = false;
  o.limits.max_output_bytes = 64 * 1024;
  o.limits.max_loop_iterations = 2000;
  o.limits.max_depth = 32;
  o.limits.max_source_bytes = 64 * 1024;
  o.partials = [](const std::string& name) -> const std::string* {
    auto it = partials().find(name);
    return it == partials().end() ? nullptr : &it->second;
  };
  auto tpl = shopflow::liquid::Template::parse(source, o);
  if (!tpl) return;
  auto out = tpl.value().render(fixed_data(), o);
  (void)out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string source(reinterpret_cast<const char*>(data), size);
  run(source, shopflow::liquid::Mode::Lax);
  run(source, shopflow::liquid::Mode::Strict);
  return 0;
}
