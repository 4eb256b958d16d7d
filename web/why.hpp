// A decision's "why" as a sentence, made from the verdict tree the simulator records for each
// if, switch and trigger filter ({"op", "args", "result", "children"}, {"var", "result"},
// {"value"}): "Took then because email is not set", "Took else because total_price (129.00)
// is not an amount greater than 1000.00 and orders_count (0) is not 0". The Simulator's and
// the Tests panel's run traces show it beside the tree. Amounts read as the shop writes them,
// in the currency of the run's event when it names one: "total (€12.345,00) is an amount
// greater than threshold (€10.000,00)". Pure functions, no UI.
#pragma once

#include <optional>
#include <string>

#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "shopflow/template.hpp"

namespace shopflow::studio {

// How a why writes amounts: the shop's money format (the bundle's `shop`), or the format of
// `currency` (an ISO 4217 code the core knows) when the run's event names one.
struct MoneyWords {
  liquid::Options options;
  std::string currency;  // "" = the shop's format
};

// The money words for a run of `bundle` started by an event with `data`: its currency is the
// first of data.currency, data.presentment_currency, data.order.currency that is a known code.
MoneyWords money_words(const Bundle& bundle, const Json& data);

// `amount` ("12345.00", or a number) as `money` writes it, "€12.345,00"; nullopt when it is
// not an amount.
std::optional<std::string> money_text(const MoneyWords& money, const Json& amount);

// Why the verdict tree `tree` came out as it did, in words: the clauses that decided it (for
// "and" that was false only the false ones, for "or" that was true only the true ones), each
// as "<field> (<its value>) <operator in words> <value>", negated where the clause was false.
// Operators without words read as "<op>(...) gave <result>". "" when the tree is not one.
// With `money`, amounts (the operands of money operators, and text such as "129.00") are
// written as money.
std::string why_clauses(const Json& tree, const MoneyWords* money = nullptr);

// The whole sentence for a trace step: its outcome (from `kind`, "if" / "switch" / the
// trigger's filter, and `verdict`), then "because" and why_clauses(). "" without a tree.
std::string why_sentence(const std::string& kind, const std::string& path, const Json& verdict, const Json& tree,
                         const MoneyWords* money = nullptr);

}  // namespace shopflow::studio
