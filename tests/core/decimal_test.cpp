// Tests for core/src/decimal.cpp: exact money arithmetic.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "shopflow/decimal.hpp"

using shopflow::Decimal;
using shopflow::Rounding;

namespace {

Decimal dec(const char* text) {
  auto d = Decimal::parse(text);
  REQUIRE_MESSAGE(d.ok(), text << ": " << (d.ok() ? "" : d.error().message));
  return d.value();
}

}  // namespace

TEST_CASE("Decimal::parse reads amounts exactly") {
  struct Case {
    const char* text;
    const char* exact;  // to_string()
    const char* money;  // to_money_string()
  };
  const Case cases[] = {
      {"49.90", "49.90", "49.90"},
      {"49.9", "49.9", "49.90"},
      {"10", "10", "10.00"},
      {"-3.5", "-3.5", "-3.50"},
      {"+0.5", "0.5", "0.50"},
      {".5", "0.5", "0.50"},
      {"5.", "5", "5.00"},
      {"0", "0", "0.00"},
      {"-0", "0", "0.00"},
      {"0.05", "0.05", "0.05"},
      {"000123.4500", "123.4500", "123.45"},
      {"2.9985", "2.9985", "2.9985"},
      {"1e3", "1000", "1000.00"},
      {"2.5E-2", "0.025", "0.025"},
      {"  7.25  ", "7.25", "7.25"},
      {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678",
       "12345678901234567890123456789012345678.00"},
      {"0.00000000000000000000000000000000000001", "0.00000000000000000000000000000000000001",
       "0.00000000000000000000000000000000000001"},
  };
  for (const Case& c : cases) {
    std::string cap_c_text = c.text;
    CAPTURE(cap_c_text);
    Decimal d = dec(c.text);
    CHECK(d.to_string() == c.exact);
    CHECK(d.to_money_string() == c.money);
  }
}

TEST_CASE("Decimal::parse refuses what is not an amount, with a reason") {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"49,90", "unexpected ','"},
      {"$5", "write digits"},
      {"1.2.3", "unexpected '.'"},
      {"NaN", "write digits"},
      {"12abc", "unexpected 'a'"},
      {"1e", "exponent has no digits"},
      {"1e99999", "exponent is too large"},
      {"123456789012345678901234567890123456789", "more than 38 digits"},
  };
  for (const Case& c : cases) {
    std::string cap_c_text = c.text;
    CAPTURE(cap_c_text);
    auto d = Decimal::parse(c.text);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("Decimal arithmetic is exact") {
  struct Case {
    const char* a;
    char op;
    const char* b;
    const char* want;  // to_money_string()
  };
  const Case cases[] = {
      {"49.90", '+', "49.90", "99.80"},  {"0.1", '+', "0.2", "0.30"},     {"19.99", '*', "3", "59.97"},
      {"19.99", '*', "0.15", "2.9985"},  {"2.50", '*', "2", "5.00"},      {"100", '-', "0.01", "99.99"},
      {"-5", '+', "5", "0.00"},          {"1.005", '*', "1000", "1005.00"}, {"0.07", '-', "0.1", "-0.03"},
      {"99999999999999999999.99", '+', "0.01", "100000000000000000000.00"},
  };
  for (const Case& c : cases) {
    std::string cap_c_a = c.a;
    CAPTURE(cap_c_a);
    CAPTURE(c.op);
    std::string cap_c_b = c.b;
    CAPTURE(cap_c_b);
    Decimal a = dec(c.a), b = dec(c.b);
    auto r = c.op == '+' ? a.add(b) : c.op == '-' ? a.sub(b) : a.mul(b);
    REQUIRE(r.ok());
    CHECK(r.value().to_money_string() == c.want);
  }
}

TEST_CASE("Decimal fails instead of losing digits") {
  Decimal big = dec("99999999999999999999999999999999999999");
  CHECK_FALSE(big.add(dec("1")).ok());
  CHECK_FALSE(big.mul(dec("10")).ok());
  CHECK(big.mul(dec("1.000")).ok());  // trailing zeros do not count
  CHECK_FALSE(dec("1").div(dec("0"), 2).ok());
}

TEST_CASE("Decimal rounding modes") {
  struct Case {
    const char* value;
    int places;
    Rounding mode;
    const char* want;
  };
  const Case cases[] = {
      {"2.345", 2, Rounding::HalfUp, "2.35"},     {"-2.345", 2, Rounding::HalfUp, "-2.35"},
      {"2.345", 2, Rounding::HalfEven, "2.34"},   {"2.355", 2, Rounding::HalfEven, "2.36"},
      {"2.3451", 2, Rounding::HalfEven, "2.35"},  {"2.349", 2, Rounding::Down, "2.34"},
      {"-2.349", 2, Rounding::Down, "-2.34"},     {"2.341", 2, Rounding::Up, "2.35"},
      {"-2.341", 2, Rounding::Floor, "-2.35"},    {"2.341", 2, Rounding::Floor, "2.34"},
      {"-2.349", 2, Rounding::Ceiling, "-2.34"},  {"2.341", 2, Rounding::Ceiling, "2.35"},
      {"49.5", 0, Rounding::HalfUp, "50"},        {"48.5", 0, Rounding::HalfEven, "48"},
      {"1.5", 2, Rounding::HalfUp, "1.5"},  // nothing to round
  };
  for (const Case& c : cases) {
    std::string cap_c_value = c.value;
    CAPTURE(cap_c_value);
    CAPTURE(c.places);
    CHECK(dec(c.value).round(c.places, c.mode).to_string() == c.want);
  }
}

TEST_CASE("Decimal division rounds to the places asked for") {
  struct Case {
    const char* a;
    const char* b;
    int places;
    Rounding mode;
    const char* want;
  };
  const Case cases[] = {
      {"10", "3", 2, Rounding::HalfUp, "3.33"},
      {"20", "3", 2, Rounding::HalfUp, "6.67"},
      {"20", "3", 2, Rounding::Down, "6.66"},
      {"-20", "3", 2, Rounding::HalfUp, "-6.67"},
      {"1", "8", 2, Rounding::HalfEven, "0.12"},
      {"1", "8", 2, Rounding::HalfUp, "0.13"},
      {"100", "0.03", 2, Rounding::HalfUp, "3333.33"},
      // The divisor has more places than the quotient keeps.
      {"0.00000000000000000000000000000000000001", "0.00000000000000000000000000000000000003", 2, Rounding::HalfUp,
       "0.33"},
      {"5", "10000000000000000000000000000000000000", 2, Rounding::HalfUp, "0.00"},
      {"5", "10000000000000000000000000000000000000", 2, Rounding::Up, "0.01"},
  };
  for (const Case& c : cases) {
    std::string cap_c_a = c.a;
    CAPTURE(cap_c_a);
    std::string cap_c_b = c.b;
    CAPTURE(cap_c_b);
    auto r = dec(c.a).div(dec(c.b), c.places, c.mode);
    REQUIRE(r.ok());
    CHECK(r.value().to_string() == c.want);
  }
}

TEST_CASE("Decimal comparison is exact across scales") {
  CHECK(dec("1.5").compare(dec("1.50")) == 0);
  CHECK(dec("49.90") < dec("100"));
  CHECK(dec("-1") < dec("0.01"));
  CHECK(dec("0.1").compare(dec("0.10000000000000000000000000000000000001")) < 0);
  CHECK(dec("99999999999999999999999999999999999999").compare(dec("0.00000000000000000000000000000000000001")) > 0);
  CHECK(dec("-99999999999999999999999999999999999999").compare(dec("-0.1")) < 0);
}

TEST_CASE("Decimal from numbers") {
  CHECK(Decimal::from_int(-42).to_money_string() == "-42.00");
  CHECK(Decimal::from_double(0.1).value().to_string() == "0.1");
  CHECK(Decimal::from_double(49.9).value().to_string() == "49.9");
  CHECK(Decimal::from_double(1e21).value().to_string() == "1000000000000000000000");
  CHECK_FALSE(Decimal::from_double(1.0 / 0.0).ok());
  CHECK(dec("49.90").to_double() == 49.9);
  CHECK(Decimal::parse_rounding("half_even").value() == Rounding::HalfEven);
  CHECK_FALSE(Decimal::parse_rounding("bankers").ok());
}

TEST_CASE("Decimal division to significant digits") {
  struct Case {
    const char* a;
    const char* b;
    int digits;
    Rounding mode;
    const char* want;
  };
  const Case cases[] = {
      {"1", "3", 36, Rounding::Down, "0.333333333333333333333333333333333333"},
      {"2", "3", 36, Rounding::Down, "0.666666666666666666666666666666666666"},
      {"2", "3", 5, Rounding::HalfUp, "0.66667"},
      {"-2", "3", 5, Rounding::HalfUp, "-0.66667"},
      {"-2", "3", 5, Rounding::Floor, "-0.66667"},
      {"-2", "3", 5, Rounding::Ceiling, "-0.66666"},
      {"10", "4", 36, Rounding::Down, "2.5"},  // exact: no padding
      {"7", "0.5", 36, Rounding::Down, "14"},
      {"1", "1000", 3, Rounding::Down, "0.001"},
      {"12345", "1", 3, Rounding::HalfUp, "12345"},  // the whole part is kept
      {"12345.6", "1", 3, Rounding::HalfUp, "12345.6"},  // and the places the operands give
      {"0.000001", "0.000003", 4, Rounding::HalfEven, "0.3333"},
      {"1E+20", "0.0001", 36, Rounding::Down, "1000000000000000000000000"},  // places below zero
      // A 38-digit divisor: the long division cannot scale the remainder in one step.
      {"12345678901234567890123456789012345678", "99999999999999999999999999999999999999", 10, Rounding::Down,
       "0.1234567890"},
      {"5", "0.99999999999999999999999999999999999999", 10, Rounding::HalfUp, "5.000000000"},
      {"0.00000000000000000000000000000000000003", "3", 36, Rounding::Down, "0.00000000000000000000000000000000000001"},
  };
  for (const Case& c : cases) {
    std::string cap_a = c.a, cap_b = c.b;
    CAPTURE(cap_a);
    CAPTURE(cap_b);
    auto r = dec(c.a).div_digits(dec(c.b), c.digits, c.mode);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r.value().to_string() == c.want);
  }
  CHECK_FALSE(dec("1").div_digits(dec("0"), 36).ok());
  CHECK_FALSE(dec("1").div_digits(dec("3"), 0).ok());
  CHECK_FALSE(dec("99999999999999999999999999999999999999").div_digits(dec("0.1"), 36).ok());
  // Digits past the 38th place would be lost: refused rather than returned short.
  CHECK_FALSE(dec("0.00000000000000000000000000000000000001").div_digits(dec("3"), 36).ok());
  CHECK_FALSE(dec("0.000000000000000000000000000001").div_digits(dec("7"), 36).ok());
  CHECK(dec("0.000000000000000000000000000001").div_digits(dec("7"), 8).value().to_string() ==
        "0.00000000000000000000000000000014285714");
}

TEST_CASE("Decimal modulo takes the divisor's sign, as Ruby's %") {
  struct Case {
    const char* a;
    const char* b;
    const char* want;
  };
  const Case cases[] = {
      {"7", "3", "1"},       {"-7", "3", "2"},        {"7", "-3", "-2"},     {"-7", "-3", "-1"},
      {"7.5", "2", "1.5"},   {"-7.5", "2", "0.5"},    {"7.5", "-2", "-0.5"}, {"6", "1.5", "0.0"},
      {"0.3", "0.1", "0.0"}, {"10", "0.03", "0.01"},  {"-0.01", "5", "4.99"},
  };
  for (const Case& c : cases) {
    std::string cap_a = c.a, cap_b = c.b;
    CAPTURE(cap_a);
    CAPTURE(cap_b);
    auto r = dec(c.a).mod(dec(c.b));
    REQUIRE(r.ok());
    CHECK(r.value().to_string() == c.want);
  }
  CHECK_FALSE(dec("1").mod(dec("0")).ok());
  CHECK_FALSE(dec("99999999999999999999999999999999999999").mod(dec("0.1")).ok());
}

TEST_CASE("Decimal quantize rounds to tens, units or places") {
  struct Case {
    const char* value;
    int exponent;
    Rounding mode;
    const char* want;
  };
  const Case cases[] = {
      {"1250", 2, Rounding::HalfUp, "1300"},      {"1249.99", 2, Rounding::HalfUp, "1200"},
      {"-1250", 2, Rounding::HalfUp, "-1300"},    {"1250", 2, Rounding::HalfEven, "1200"},
      {"1234.5", 0, Rounding::HalfUp, "1235"},    {"1234.5", 0, Rounding::Floor, "1234"},
      {"-1234.5", 0, Rounding::Floor, "-1235"},   {"-1234.5", 0, Rounding::Ceiling, "-1234"},
      {"2.345", -2, Rounding::HalfUp, "2.35"},    {"2.3", -2, Rounding::HalfUp, "2.3"},  // already a multiple
      {"5", 1, Rounding::HalfUp, "10"},           {"4", 1, Rounding::HalfUp, "0"},
      {"4", 60, Rounding::HalfUp, "0"},           {"0.4", 60, Rounding::Down, "0"},
      {"12.5", 1000, Rounding::HalfEven, "0"},
  };
  for (const Case& c : cases) {
    std::string cap = c.value;
    CAPTURE(cap);
    CAPTURE(c.exponent);
    auto r = dec(c.value).quantize(c.exponent, c.mode);
    REQUIRE(r.ok());
    CHECK(r.value().to_string() == c.want);
  }
  CHECK_FALSE(dec("95000000000000000000000000000000000000").quantize(37, Rounding::HalfUp).ok());
  CHECK_FALSE(dec("4").quantize(60, Rounding::Up).ok());
}

TEST_CASE("Decimal to_double is correctly rounded and to_int64 exact") {
  CHECK(dec("0.1").to_double() == 0.1);
  CHECK(dec("-49.90").to_double() == -49.9);
  CHECK(dec("1").div_digits(dec("3"), 36).value().to_double() == 1.0 / 3.0);
  CHECK(dec("12345678901234567890123456789").to_double() == 12345678901234567890123456789.0);
  CHECK(dec("0.00000000000000000000000000000000000001").to_double() == 1e-38);
  // Halfway between the doubles 2^53 and 2^53 + 2: ties go to the even one.
  CHECK(dec("9007199254740993").to_double() == 9007199254740992.0);
  CHECK(dec("9007199254740993.000000000000000001").to_double() == 9007199254740994.0);
  CHECK(dec("5.00").to_int64().value() == 5);
  CHECK(dec("-9223372036854775808").to_int64().value() == INT64_MIN);
  CHECK_FALSE(dec("5.5").to_int64().ok());
  CHECK_FALSE(dec("9223372036854775808").to_int64().ok());
}
