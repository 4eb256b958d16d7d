// Currencies for money: each ISO 4217 code's minor units and the way shops write its amounts.
//
// An amount in JPY has no decimals and one in BHD has three, so a template or rule that knows
// an order's currency (Shopify's `currency` / `presentment_currency`) rounds and formats with
// that currency instead of the bundle's one money format. The table holds the currencies shops
// commonly sell in, not all of ISO 4217 (no Debian C++ library carries that data); a code it
// does not hold is written with two decimals and the code after the amount. Used by the
// Liquid money filters (liquid_filters.cpp) and the JSON Logic money operators
// (logic_commerce.cpp); the list is documented in workflows/TEMPLATES.md.
#pragma once

#include <span>
#include <string_view>

namespace shopflow {

struct Currency {
  std::string_view code;                        // ISO 4217, upper case: "USD"
  int minor_units;                              // digits after the point: 2, JPY 0, BHD 3
  std::string_view symbol;                      // "$", "€", "BD"
  std::string_view money_format;                // Shopify placeholders: "${{amount}}"
  std::string_view money_with_currency_format;  // "${{amount}} USD"
};

// The currency table entry for `code` (upper case, "EUR"), or nullptr when the table does
// not hold it.
const Currency* find_currency(std::string_view code);

// The whole table, in code order (for documentation and editors).
std::span<const Currency> known_currencies();

// True when `code` is three ASCII upper-case letters, the shape of an ISO 4217 code.
bool is_currency_code(std::string_view code);

}  // namespace shopflow
