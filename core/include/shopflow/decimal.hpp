// Exact decimal numbers for money: "49.90" stays 49.90, never a binary float.
//
// A Decimal is a signed coefficient of up to 38 decimal digits and a scale (digits after the
// point): 49.90 is 4990 with scale 2. Addition, subtraction, multiplication and comparison
// are exact; division and rounding take an explicit number of places and a rounding mode.
// An operation whose exact result does not fit 38 digits fails instead of losing precision.
// The core's one exact decimal: used by the JSON Logic money operators (condition.cpp), the
// Liquid `money` filters and the engine's table.add.
// No locale, no floating point except reading a double's shortest decimal form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shopflow/result.hpp"

namespace shopflow {

enum class Rounding {
  HalfUp,    // ties away from zero: 2.345 -> 2.35, -2.345 -> -2.35 (what shops print)
  HalfEven,  // ties to the even digit ("banker's"): 2.345 -> 2.34, 2.355 -> 2.36
  Down,      // toward zero (truncate)
  Up,        // away from zero
  Floor,     // toward negative infinity
  Ceiling,   // toward positive infinity
};

class Decimal {
 public:
  static constexpr int kMaxDigits = 38;  // significant digits a coefficient holds
  static constexpr int kMaxScale = 38;   // digits after the point

  Decimal() = default;  // zero

  // Parses "49.90", "-3", "+0.5", ".5", "1e3", "2.5E-2" (surrounding ASCII spaces allowed).
  // Fails with a sentence for anything else ("49,90", "$5", "", "1.2.3", "NaN") and when the
  // number needs more than 38 digits or 38 places.
  static Result<Decimal> parse(std::string_view text);

  // Exact value of an integer.
  static Decimal from_int(std::int64_t value);

  // The decimal a double prints as (its shortest round-trip form): 0.1 -> 0.1, 49.9 -> 49.9.
  // Fails for NaN and infinities.
  static Result<Decimal> from_double(double value);

  // Parses a rounding mode name: "half_up", "half_even", "down", "up", "floor", "ceiling".
  static Result<Rounding> parse_rounding(std::string_view name);

  // Exact arithmetic; fails only when the result needs more than 38 digits.
  Result<Decimal> add(const Decimal& other) const;
  Result<Decimal> sub(const Decimal& other) const;
  Result<Decimal> mul(const Decimal& other) const;

  // this / other rounded to `places` digits after the point (0..18) with `mode`.
  // Fails on division by zero and on overflow.
  Result<Decimal> div(const Decimal& other, int places, Rounding mode = Rounding::HalfUp) const;

  // Rounded to `places` digits after the point (0..38); never fails for places >= scale().
  // Negative `places` are treated as 0.
  Decimal round(int places, Rounding mode = Rounding::HalfUp) const;

  Decimal negate() const;
  Decimal abs() const;

  // -1, 0 or 1; exact (1.50 equals 1.5).
  int compare(const Decimal& other) const;
  bool operator==(const Decimal& other) const { return compare(other) == 0; }
  bool operator<(const Decimal& other) const { return compare(other) < 0; }

  bool is_zero() const { return coef_ == 0; }
  bool is_negative() const { return coef_ < 0; }
  int scale() const { return scale_; }

  // Exact text with exactly scale() places: 4990/2 -> "49.90", -5/0 -> "-5".
  std::string to_string() const;

  // Money form: trailing zeros dropped down to `min_places`, never below; nothing is
  // rounded. 49.9 -> "49.90", 10 -> "10.00", 2.9985 -> "2.9985", 1.500 -> "1.50".
  std::string to_money_string(int min_places = 2) const;

  // The nearest double (for callers that must hand a JSON number on). Exact for values
  // with up to 15 significant digits.
  double to_double() const;

 private:
  __extension__ typedef __int128 Coef;
  Decimal(Coef coef, int scale) : coef_(coef), scale_(scale) {}
  static Result<Decimal> make(Coef coef, int scale);

  Coef coef_ = 0;
  int scale_ = 0;
};

}  // namespace shopflow
