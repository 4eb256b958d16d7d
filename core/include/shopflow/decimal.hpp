// Exact decimal numbers for money: "49.90" stays 49.90, never a binary float.
//
// A Decimal is a signed coefficient of up to 38 decimal digits and a scale (digits after the
// point): 49.90 is 4990 with scale 2. Addition, subtraction, multiplication and comparison
// are exact; division and rounding take an explicit number of places and a rounding mode.
// An operation whose exact result does not fit 38 digits fails instead of losing precision.
// The core's one exact decimal: used by the JSON Logic money operators (condition.cpp), the
// Liquid `money` filters and number arithmetic (Ruby's BigDecimal as `plus`, `divided_by`,
// `modulo`, `round` use it) and the engine's table.add.
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

  // this / other to `digits` significant digits (1..38) rounded with `mode`, for quotients
  // that have no natural number of places (1 / 3 -> 0.333...3, 36 digits asked, 36 given).
  // Never fewer digits than asked when inexact, sometimes more: the places the operands give
  // are kept (12345.6 / 1 to 3 digits is 12345.6); an exact quotient has no trailing zeros
  // beyond them (10 / 4 is 2.5). Fails on division by zero, when the quotient needs more
  // than 38 digits before the point, and when its digits reach past the 38th place (1e-30 / 7
  // to 36 digits) rather than returning fewer digits than asked.
  Result<Decimal> div_digits(const Decimal& other, int digits, Rounding mode = Rounding::Down) const;

  // Remainder of the division rounded toward negative infinity, as Ruby's and Python's `%`:
  // it takes the sign of `other` (7.5 mod 2 = 1.5, -7.5 mod 2 = 0.5, 7.5 mod -2 = -0.5).
  // Exact. Fails on division by zero and when the operands' places do not fit together.
  Result<Decimal> mod(const Decimal& other) const;

  // Rounded to `places` digits after the point (0..38); never fails for places >= scale().
  // Negative `places` are treated as 0.
  Decimal round(int places, Rounding mode = Rounding::HalfUp) const;

  // Rounded to a multiple of 10^exponent with `mode`: exponent -2 keeps cents, 0 whole units,
  // 2 hundreds (1250 -> 1300 half up, 1234.5 -> 1200). Unchanged when it already is one.
  // Fails when the result needs more than 38 digits (rounding 9e37 up to 10^38).
  Result<Decimal> quantize(int exponent, Rounding mode = Rounding::HalfUp) const;

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

  // The nearest double, correctly rounded (ties to even), as strtod reads the exact text:
  // 0.1 -> 0.1, 1/3 to 36 digits -> 0.3333333333333333.
  double to_double() const;

  // The value as a 64-bit integer when it is a whole number in range (5.00 -> 5); fails
  // for 5.5 and for values beyond +-9223372036854775807.
  Result<std::int64_t> to_int64() const;

 private:
  __extension__ typedef __int128 Coef;
  Decimal(Coef coef, int scale) : coef_(coef), scale_(scale) {}
  static Result<Decimal> make(Coef coef, int scale);

  Coef coef_ = 0;
  int scale_ = 0;
};

}  // namespace shopflow
