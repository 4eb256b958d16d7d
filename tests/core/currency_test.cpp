// Tests for core/src/currency.cpp: the currency table the money filters and operators read.
#include <doctest/doctest.h>

#include <string>

#include "shopflow/currency.hpp"

TEST_CASE("currency: the table holds ISO 4217 minor units and formats with a placeholder") {
  struct Row {
    const char* code;
    int minor_units;
    const char* symbol;
  };
  const Row rows[] = {{"USD", 2, "$"}, {"EUR", 2, "€"}, {"GBP", 2, "£"}, {"JPY", 0, "¥"}, {"BHD", 3, "BD"}, {"KWD", 3, "KD"}};
  for (const Row& r : rows) {
    CAPTURE(r.code);
    const shopflow::Currency* c = shopflow::find_currency(r.code);
    REQUIRE(c != nullptr);
    CHECK(c->minor_units == r.minor_units);
    CHECK(c->symbol == r.symbol);
  }
  CHECK(shopflow::find_currency("XYZ") == nullptr);
  CHECK(shopflow::find_currency("usd") == nullptr);

  std::string previous;
  for (const shopflow::Currency& c : shopflow::known_currencies()) {
    CAPTURE(c.code);
    CHECK(shopflow::is_currency_code(c.code));
    CHECK(std::string(c.code) > previous);  // sorted, no code twice
    previous = std::string(c.code);
    CHECK((c.minor_units >= 0 && c.minor_units <= 3));
    CHECK(c.money_format.find("{{amount") != std::string_view::npos);
    CHECK(c.money_with_currency_format.find("{{amount") != std::string_view::npos);
    // Whole-unit currencies are written without decimals.
    if (c.minor_units == 0) CHECK(c.money_format.find("no_decimals") != std::string_view::npos);
  }
}

TEST_CASE("currency: a code is three upper-case letters") {
  CHECK(shopflow::is_currency_code("USD"));
  CHECK_FALSE(shopflow::is_currency_code("usd"));
  CHECK_FALSE(shopflow::is_currency_code("US"));
  CHECK_FALSE(shopflow::is_currency_code("USDT"));
  CHECK_FALSE(shopflow::is_currency_code("U$D"));
}
