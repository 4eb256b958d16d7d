// The currency table behind currency.hpp: ISO 4217 minor units, and each currency's symbol and
// amount format in Shopify's placeholders (Shopify's defaults for a shop in that currency).
#include "shopflow/currency.hpp"

namespace shopflow {

namespace {

// Sorted by code.
const Currency kCurrencies[] = {
    {"AED", 2, "Dhs.", "Dhs. {{amount}}", "Dhs. {{amount}} AED"},
    {"AUD", 2, "$", "${{amount}}", "${{amount}} AUD"},
    {"BHD", 3, "BD", "{{amount}} BD", "{{amount}} BHD"},
    {"BRL", 2, "R$", "R$ {{amount_with_comma_separator}}", "R$ {{amount_with_comma_separator}} BRL"},
    {"CAD", 2, "$", "${{amount}}", "${{amount}} CAD"},
    {"CHF", 2, "CHF", "CHF {{amount}}", "CHF {{amount}}"},
    {"CLP", 0, "$", "${{amount_no_decimals}}", "${{amount_no_decimals}} CLP"},
    {"CNY", 2, "¥", "¥{{amount}}", "¥{{amount}} CNY"},
    {"CZK", 2, "Kč", "{{amount_with_comma_separator}} Kč", "{{amount_with_comma_separator}} CZK"},
    {"DKK", 2, "kr.", "{{amount_with_comma_separator}} kr.", "{{amount_with_comma_separator}} DKK"},
    {"EUR", 2, "€", "€{{amount_with_comma_separator}}", "€{{amount_with_comma_separator}} EUR"},
    {"GBP", 2, "£", "£{{amount}}", "£{{amount}} GBP"},
    {"HKD", 2, "HK$", "HK${{amount}}", "HK${{amount}} HKD"},
    {"HUF", 2, "Ft", "{{amount_with_space_separator}} Ft", "{{amount_with_space_separator}} HUF"},
    {"ILS", 2, "₪", "₪{{amount}}", "₪{{amount}} ILS"},
    {"INR", 2, "₹", "₹{{amount}}", "₹{{amount}} INR"},
    {"ISK", 0, "kr", "{{amount_no_decimals_with_comma_separator}} kr", "{{amount_no_decimals_with_comma_separator}} ISK"},
    {"JOD", 3, "JD", "{{amount}} JD", "{{amount}} JOD"},
    {"JPY", 0, "¥", "¥{{amount_no_decimals}}", "¥{{amount_no_decimals}} JPY"},
    {"KRW", 0, "₩", "₩{{amount_no_decimals}}", "₩{{amount_no_decimals}} KRW"},
    {"KWD", 3, "KD", "{{amount}} KD", "{{amount}} KWD"},
    {"MXN", 2, "$", "${{amount}}", "${{amount}} MXN"},
    {"NOK", 2, "kr", "{{amount_with_comma_separator}} kr", "{{amount_with_comma_separator}} NOK"},
    {"NZD", 2, "$", "${{amount}}", "${{amount}} NZD"},
    {"OMR", 3, "OMR", "{{amount}} OMR", "{{amount}} OMR"},
    {"PLN", 2, "zł", "{{amount_with_comma_separator}} zł", "{{amount_with_comma_separator}} PLN"},
    {"SEK", 2, "kr", "{{amount_with_comma_separator}} kr", "{{amount_with_comma_separator}} SEK"},
    {"SGD", 2, "$", "${{amount}}", "${{amount}} SGD"},
    {"THB", 2, "฿", "฿{{amount}}", "฿{{amount}} THB"},
    {"TND", 3, "DT", "{{amount}} DT", "{{amount}} TND"},
    {"TRY", 2, "₺", "₺{{amount_with_comma_separator}}", "₺{{amount_with_comma_separator}} TRY"},
    {"TWD", 2, "NT$", "NT${{amount}}", "NT${{amount}} TWD"},
    {"USD", 2, "$", "${{amount}}", "${{amount}} USD"},
    {"VND", 0, "₫", "{{amount_no_decimals_with_comma_separator}}₫", "{{amount_no_decimals_with_comma_separator}} VND"},
    {"ZAR", 2, "R", "R {{amount_with_space_separator}}", "R {{amount_with_space_separator}} ZAR"},
};

}  // namespace

const Currency* find_currency(std::string_view code) {
  for (const Currency& c : kCurrencies) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

std::span<const Currency> known_currencies() { return kCurrencies; }

bool is_currency_code(std::string_view code) {
  if (code.size() != 3) return false;
  for (char ch : code) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

}  // namespace shopflow
