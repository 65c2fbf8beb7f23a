// Java's Double.toString / Float.toString, so Ember prints numbers exactly as Spark does.

#include <charconv>
#include <cmath>
#include <ember/render.hpp>
#include <string>
#include <system_error>

namespace ember {
namespace {

/// A positive finite number as decimal significand digits (no leading zero, no dot) and
/// the exponent of the first digit: value = d.ddd * 10^exponent.
struct Decimal {
  std::string digits;
  int exponent = 0;
};

/// Parses `to_chars` scientific output such as "1.2345e+07" or "5e-324".
Decimal parseScientific(const char* first, const char* last) {
  Decimal d;
  const char* p = first;
  for (; p != last && *p != 'e'; ++p) {
    if (*p != '.') d.digits += *p;
  }
  if (p != last) {
    ++p;  // 'e'
    if (*p == '+') ++p;
    std::from_chars(p, last, d.exponent);
  }
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

/// Java's choice of digits (JDK 19+ `Double.toString` specification): the shortest decimal
/// that rounds to `value`; but when that has one digit, the closest decimal of one or two
/// digits, which is why Double.MIN_VALUE prints as 4.9E-324 rather than 5.0E-324.
template <class F>
Decimal javaDigits(F value) {
  char buf[64];
  const auto shortest = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  Decimal d = parseScientific(buf, shortest.ptr);
  if (d.digits.size() == 1) {
    // Correctly rounded to two digits: the closest two-digit decimal to `value`.
    const auto two = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific, 1);
    F back{};
    const auto parsed = std::from_chars(buf, two.ptr, back);
    if (parsed.ec == std::errc() && back == value) d = parseScientific(buf, two.ptr);
  }
  return d;
}

template <class F>
void renderJava(std::string& out, F value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::signbit(value)) {
    out += '-';
    value = -value;
  }
  if (std::isinf(value)) {
    out += "Infinity";
    return;
  }
  if (value == 0) {
    out += "0.0";
    return;
  }
  const Decimal d = javaDigits(value);
  const int e = d.exponent;
  const size_t n = d.digits.size();
  if (e >= -3 && e < 7) {  // plain notation for 1e-3 <= |value| < 1e7
    if (e >= 0) {
      const size_t int_len = static_cast<size_t>(e) + 1;
      if (n <= int_len) {
        out += d.digits;
        out.append(int_len - n, '0');
        out += ".0";
      } else {
        out.append(d.digits, 0, int_len);
        out += '.';
        out.append(d.digits, int_len, std::string::npos);
      }
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-e - 1), '0');
      out += d.digits;
    }
  } else {  // computerized scientific notation: "1.0E-4", "1.23456789E7"
    out += d.digits[0];
    out += '.';
    if (n > 1) {
      out.append(d.digits, 1, std::string::npos);
    } else {
      out += '0';
    }
    out += 'E';
    out += std::to_string(e);
  }
}

}  // namespace

void renderDouble(std::string& out, double value) { renderJava(out, value); }

void renderFloat(std::string& out, float value) { renderJava(out, value); }

}  // namespace ember
