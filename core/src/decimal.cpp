// Exact decimal arithmetic on a 128-bit coefficient and a scale. See decimal.hpp.
#include "shopflow/decimal.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "shopflow/json.hpp"

namespace shopflow {

namespace {

__extension__ typedef __int128 I128;

// 10^0 .. 10^38; 10^38 is the first magnitude a coefficient may not reach.
const I128* pow10_table() {
  static const auto table = [] {
    struct T {
      I128 v[39];
    } t{};
    t.v[0] = 1;
    for (int i = 1; i <= 38; ++i) t.v[i] = t.v[i - 1] * 10;
    return t;
  }();
  return table.v;
}

I128 pow10(int n) { return pow10_table()[n]; }

I128 abs128(I128 v) { return v < 0 ? -v : v; }

bool fits(I128 v) { return abs128(v) < pow10(38); }

// v * 10^n, or false when the result leaves 38 digits.
bool scale_up(I128 v, int n, I128* out) {
  if (n < 0 || n > 38) return false;
  I128 r;
  if (__builtin_mul_overflow(v, pow10(n), &r) || !fits(r)) return false;
  *out = r;
  return true;
}

// Whether an inexact result's magnitude goes up one unit under `mode`: `negative` is the
// result's sign, `vs_half` how the dropped part compares with half a unit (-1, 0, 1), `odd`
// whether the kept last digit is odd.
bool rounds_away(Rounding mode, bool negative, int vs_half, bool odd) {
  switch (mode) {
    case Rounding::Down: return false;
    case Rounding::Up: return true;
    case Rounding::Floor: return negative;
    case Rounding::Ceiling: return !negative;
    case Rounding::HalfUp: return vs_half >= 0;
    case Rounding::HalfEven: return vs_half > 0 || (vs_half == 0 && odd);
  }
  return false;
}

// -1, 0 or 1 as a remainder `r` is below, at or above half of `den` (both magnitudes).
int against_half(I128 r, I128 den) {
  const I128 rest = den - r;  // compares 2*r with den without overflow
  return r > rest ? 1 : (r < rest ? -1 : 0);
}

// num / den rounded with `mode`; den != 0.
I128 div_round(I128 num, I128 den, Rounding mode) {
  I128 q = num / den;
  I128 r = num % den;
  if (r == 0) return q;
  const bool negative = (num < 0) != (den < 0);
  return rounds_away(mode, negative, against_half(abs128(r), abs128(den)), q % 2 != 0) ? q + (negative ? -1 : 1) : q;
}

std::string digits_of(I128 v) {
  if (v == 0) return "0";
  std::string s;
  I128 a = abs128(v);
  while (a > 0) {
    s += static_cast<char>('0' + static_cast<int>(a % 10));
    a /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

// Decimal digits of v >= 0: 0 for 0, 39 for 10^38 and above.
int digit_count(I128 v) {
  int n = 0;
  while (n <= 38 && v >= pow10(n)) ++n;
  return n;
}

// (r * 10^m) / b, leaving the remainder in *r; 0 <= r < b, 1 <= m <= 38, and the quotient
// must fit. Where r * 10^m would leave 128 bits, digit by digit: ten additions of r modulo b
// make one digit, and the running sum stays below 2b < 2^128.
I128 shift_divide(I128* r, I128 b, int m) {
  if (*r < pow10(38 - m)) {
    I128 n = *r * pow10(m);
    *r = n % b;
    return n / b;
  }
  __extension__ typedef unsigned __int128 U128;
  const U128 ub = static_cast<U128>(b);
  I128 q = 0;
  for (int i = 0; i < m; ++i) {
    const U128 ur = static_cast<U128>(*r);
    U128 acc = 0;
    int digit = 0;
    for (int k = 0; k < 10; ++k) {
      acc += ur;
      if (acc >= ub) {
        acc -= ub;
        ++digit;
      }
    }
    *r = static_cast<I128>(acc);
    q = q * 10 + digit;
  }
  return q;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Error bad_amount(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 40));
  if (text.size() > 40) shown += "...";
  return Error{"\"" + shown + "\" is not an amount: " + why, "", 0, 0};
}

}  // namespace

Result<Decimal> Decimal::make(Coef coef, int scale) {
  if (!fits(coef)) return Error{"the amount needs more than 38 digits", "", 0, 0};
  // Trailing zeros beyond the point carry no value; drop them only when the scale is too big.
  while (scale > kMaxScale && coef % 10 == 0) {
    coef /= 10;
    --scale;
  }
  if (scale > kMaxScale) return Error{"the amount needs more than 38 digits after the point", "", 0, 0};
  return Decimal(coef, scale);
}

Result<Decimal> Decimal::parse(std::string_view text) {
  // Fast path for the usual "49.90": no exponent, at most 38 significant digits, no
  // allocation. Anything else takes the general reader below.
  {
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    I128 coef = 0;
    int digits = 0, frac = 0;
    bool any = false, point = false, simple = true;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c >= '0' && c <= '9') {
        any = true;
        if (point) ++frac;
        if (coef == 0 && c == '0') continue;
        if (++digits > kMaxDigits) {
          simple = false;
          break;
        }
        coef = coef * 10 + (c - '0');
      } else if (c == '.' && !point) {
        point = true;
      } else {
        simple = false;
        break;
      }
    }
    if (simple && any && frac <= kMaxScale) return Decimal(negative ? -coef : coef, frac);
  }
  size_t b = 0, e = text.size();
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  std::string_view s = text.substr(b, e - b);
  if (s.empty()) return bad_amount(text, "it is empty");
  size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') {
    negative = s[i] == '-';
    ++i;
  }
  std::string digits;
  int frac = 0;
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (!(digits.empty() && c == '0')) digits += c;
      else if (point) digits += c;  // keep zeros after the point for the scale
      if (point) ++frac;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return bad_amount(text, "write digits, such as 49.90");
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      eneg = s[i] == '-';
      ++i;
    }
    if (i >= s.size()) return bad_amount(text, "the exponent has no digits");
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > 1000) return bad_amount(text, "the exponent is too large");
    }
    if (eneg) exponent = -exponent;
  }
  if (i != s.size()) {
    return bad_amount(text, "unexpected '" + std::string(1, s[i]) +
                                "'; write digits with an optional '.' (no currency signs or thousands separators)");
  }
  long scale = frac - exponent;
  if (scale < 0) {
    if (!digits.empty()) digits.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  // Leading zeros (kept after the point above) carry no value.
  size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? std::string() : digits.substr(nz);
  while (scale > 0 && !digits.empty() && digits.back() == '0' &&
         (digits.size() > static_cast<size_t>(kMaxDigits) || scale > kMaxScale)) {
    digits.pop_back();
    --scale;
  }
  if (digits.empty()) scale = std::min<long>(scale, kMaxScale);
  if (digits.size() > static_cast<size_t>(kMaxDigits)) return bad_amount(text, "it has more than 38 digits");
  if (scale > kMaxScale) return bad_amount(text, "it has more than 38 digits after the point");
  I128 coef = 0;
  for (char c : digits) coef = coef * 10 + (c - '0');
  if (negative) coef = -coef;
  return Decimal(coef, static_cast<int>(scale));
}

Decimal Decimal::from_int(std::int64_t value) { return Decimal(static_cast<Coef>(value), 0); }

Result<Decimal> Decimal::from_double(double value) {
  if (value != value || value - value != 0) return Error{"the amount is not a finite number", "", 0, 0};
  // The shortest text that reads back as the same double (what nlohmann prints).
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, value);
  return parse(std::string_view(buf, static_cast<size_t>(end - buf)));
}

Result<Rounding> Decimal::parse_rounding(std::string_view name) {
  if (name == "half_up") return Rounding::HalfUp;
  if (name == "half_even") return Rounding::HalfEven;
  if (name == "down") return Rounding::Down;
  if (name == "up") return Rounding::Up;
  if (name == "floor") return Rounding::Floor;
  if (name == "ceiling") return Rounding::Ceiling;
  std::string message = "\"";
  message.append(name.substr(0, 40));
  message.append("\" is not a rounding mode; use half_up, half_even, down, up, floor or ceiling");
  return Error{std::move(message), "", 0, 0};
}

Result<Decimal> Decimal::add(const Decimal& other) const {
  int s = std::max(scale_, other.scale_);
  I128 a, b, r;
  if (!scale_up(coef_, s - scale_, &a) || !scale_up(other.coef_, s - other.scale_, &b) ||
      __builtin_add_overflow(a, b, &r)) {
    return Error{"the sum needs more than 38 digits", "", 0, 0};
  }
  return make(r, s);
}

Result<Decimal> Decimal::sub(const Decimal& other) const { return add(other.negate()); }

Result<Decimal> Decimal::mul(const Decimal& other) const {
  I128 a = coef_, b = other.coef_;
  int sa = scale_, sb = other.scale_;
  // Trailing zeros after the point make the product longer without changing its value.
  while (sa > 0 && a % 10 == 0) {
    a /= 10;
    --sa;
  }
  while (sb > 0 && b % 10 == 0) {
    b /= 10;
    --sb;
  }
  I128 r;
  if (__builtin_mul_overflow(a, b, &r) || !fits(r)) return Error{"the product needs more than 38 digits", "", 0, 0};
  int s = sa + sb;
  // Keep at least the places the operands had (2.50 * 2 -> 5.00), when that still fits.
  int want = std::max(scale_, other.scale_);
  I128 widened;
  if (want > s && scale_up(r, want - s, &widened)) {
    r = widened;
    s = want;
  }
  return make(r, s);
}

Result<Decimal> Decimal::div(const Decimal& other, int places, Rounding mode) const {
  if (other.coef_ == 0) return Error{"division by zero", "", 0, 0};
  if (places < 0 || places > 18) return Error{"division keeps 0 to 18 places", "", 0, 0};
  // q = coef_ * 10^(places + other.scale_ - scale_) / other.coef_
  int k = places + other.scale_ - scale_;
  if (k >= 0) {
    I128 num;
    if (!scale_up(coef_, k, &num)) return Error{"the quotient needs more than 38 digits", "", 0, 0};
    return make(div_round(num, other.coef_, mode), places);
  }
  // The divisor would need scaling up, which may not fit: divide magnitudes first, then
  // drop the last -k digits of the quotient, rounding on what they and the remainder hold.
  int m = -k;
  bool negative = (coef_ < 0) != (other.coef_ < 0);
  I128 n = abs128(coef_), d = abs128(other.coef_);
  I128 q0 = n / d, r0 = n % d;
  I128 q = 0;
  int vs_half = -1;  // the dropped part compared with one half unit
  bool exact = q0 == 0 && r0 == 0;
  if (m <= 38) {
    I128 p = pow10(m), half = p / 2;
    q = q0 / p;
    I128 rest = q0 % p;
    exact = rest == 0 && r0 == 0;
    vs_half = rest > half ? 1 : (rest < half ? -1 : (r0 > 0 ? 1 : 0));
  }
  if (!exact && rounds_away(mode, negative, vs_half, q % 2 != 0)) ++q;
  return make(negative ? -q : q, places);
}

Result<Decimal> Decimal::div_digits(const Decimal& other, int digits, Rounding mode) const {
  if (other.coef_ == 0) return Error{"division by zero", "", 0, 0};
  if (digits < 1 || digits > kMaxDigits) return Error{"division keeps 1 to 38 significant digits", "", 0, 0};
  const bool negative = (coef_ < 0) != (other.coef_ < 0);
  const I128 b = abs128(other.coef_);
  I128 q = abs128(coef_) / b, r = abs128(coef_) % b;
  // The quotient so far is q * 10^-scale; each digit of the long division adds one place.
  int scale = scale_ - other.scale_;
  // As many digits per step as r * 10^m < b * 10^m keeps within 38 digits.
  const int step = std::max(1, kMaxDigits - digit_count(b));
  int sig = digit_count(q);
  while (r != 0 && sig < digits && scale < kMaxScale) {
    int m = std::min({step, digits - sig, kMaxScale - scale});
    q = q * pow10(m) + shift_divide(&r, b, m);
    scale += m;
    sig = digit_count(q);
  }
  if (r != 0 && sig < digits) return Error{"the quotient needs more than 38 digits after the point", "", 0, 0};
  if (r != 0) {
    if (rounds_away(mode, negative, against_half(r, b), q % 2 != 0)) ++q;
  } else {
    // Exact: the zeros the last step of the long division wrote carry nothing.
    while (scale > std::max(0, scale_ - other.scale_) && q % 10 == 0) {
      q /= 10;
      --scale;
    }
  }
  if (q == 0) return Decimal();
  if (scale < 0) {
    I128 widened;
    if (!scale_up(q, -scale, &widened)) return Error{"the quotient needs more than 38 digits", "", 0, 0};
    q = widened;
    scale = 0;
  }
  return make(negative ? -q : q, scale);
}

Result<Decimal> Decimal::mod(const Decimal& other) const {
  if (other.coef_ == 0) return Error{"division by zero", "", 0, 0};
  const int s = std::max(scale_, other.scale_);
  I128 a, b;
  if (!scale_up(coef_, s - scale_, &a) || !scale_up(other.coef_, s - other.scale_, &b)) {
    return Error{"the remainder needs more than 38 digits", "", 0, 0};
  }
  I128 r = a % b;
  if (r != 0 && (r < 0) != (b < 0)) r += b;
  return make(r, s);
}

Result<Decimal> Decimal::quantize(int exponent, Rounding mode) const {
  if (exponent <= -scale_) return *this;
  const long drop = static_cast<long>(scale_) + exponent;  // digits to remove, > 0
  I128 q = 0;
  if (drop <= 38) {
    q = div_round(coef_, pow10(static_cast<int>(drop)), mode);
  } else if (coef_ != 0) {
    // |coef| < 10^38 is less than half a unit: only the directed modes move it, by one unit.
    const int sign = coef_ < 0 ? -1 : 1;
    if (mode == Rounding::Up || (mode == Rounding::Floor && sign < 0) || (mode == Rounding::Ceiling && sign > 0)) {
      q = sign;
    }
  }
  if (exponent <= 0) return make(q, -exponent);
  I128 widened;
  if (q == 0) return Decimal();
  if (exponent > 38 || !scale_up(q, exponent, &widened)) {
    return Error{"the rounded amount needs more than 38 digits", "", 0, 0};
  }
  return make(widened, 0);
}

Decimal Decimal::round(int places, Rounding mode) const {
  if (places < 0) places = 0;
  if (places >= scale_) return *this;
  return Decimal(div_round(coef_, pow10(scale_ - places), mode), places);
}

Decimal Decimal::negate() const { return Decimal(-coef_, scale_); }

Decimal Decimal::abs() const { return Decimal(abs128(coef_), scale_); }

int Decimal::compare(const Decimal& other) const {
  int sa = coef_ < 0 ? -1 : (coef_ > 0 ? 1 : 0);
  int sb = other.coef_ < 0 ? -1 : (other.coef_ > 0 ? 1 : 0);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  I128 a = coef_, b = other.coef_;
  if (scale_ < other.scale_) {
    // Scaling overflows only when |this| is the larger magnitude.
    if (!scale_up(coef_, other.scale_ - scale_, &a)) return sa;
  } else if (other.scale_ < scale_) {
    if (!scale_up(other.coef_, scale_ - other.scale_, &b)) return -sa;
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

std::string Decimal::to_string() const {
  std::string d = digits_of(coef_);
  if (scale_ > 0) {
    if (d.size() <= static_cast<size_t>(scale_)) d.insert(0, static_cast<size_t>(scale_) + 1 - d.size(), '0');
    std::string fraction = d.substr(d.size() - static_cast<size_t>(scale_));
    d.resize(d.size() - static_cast<size_t>(scale_));
    d += '.';
    d += fraction;
  }
  return coef_ < 0 ? "-" + d : d;
}

std::string Decimal::to_money_string(int min_places) const {
  if (min_places < 0) min_places = 0;
  I128 c = coef_;
  int s = scale_;
  while (s > min_places && c % 10 == 0) {
    c /= 10;
    --s;
  }
  std::string out = Decimal(c, s).to_string();
  // Padding is only text: it works even where the coefficient could not grow.
  if (s < min_places) {
    if (s == 0) out += '.';
    out.append(static_cast<size_t>(min_places - s), '0');
  }
  return out;
}

double Decimal::to_double() const {
  static const double kExact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const I128 a = abs128(coef_);
  if (a < (static_cast<I128>(1) << 53) && scale_ <= 22) {
    // Both operands are exact doubles: one correctly rounded division.
    double r = static_cast<double>(static_cast<std::int64_t>(a)) / kExact[scale_];
    return coef_ < 0 ? -r : r;
  }
  // "-<digits>e-<scale>" has no decimal point, so strtod reads it the same in every locale.
  std::string text = coef_ < 0 ? "-" : "";
  text += digits_of(coef_);
  text += "e-";
  text += std::to_string(scale_);
  return std::strtod(text.c_str(), nullptr);
}

Result<std::int64_t> Decimal::to_int64() const {
  const I128 p = pow10(scale_);
  if (coef_ % p != 0) return Error{"the amount is not a whole number", "", 0, 0};
  const I128 v = coef_ / p;
  if (v > std::numeric_limits<std::int64_t>::max() || v < std::numeric_limits<std::int64_t>::min()) {
    return Error{"the amount is beyond 64-bit integers", "", 0, 0};
  }
  return static_cast<std::int64_t>(v);
}

}  // namespace shopflow
