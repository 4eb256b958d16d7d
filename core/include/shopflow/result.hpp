// Errors as values for the whole core.
//
// Every public function of the core that can fail returns a Result<T> (or a Status), never
// throws. An Error carries a sentence a user can act on and, where it applies, the place it
// concerns: a JSON Pointer into a document, or a line and column in a text. Its kind tells a
// caller whether doing the same again may succeed (the store's conflicts and lost connections).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace shopflow {

// What a caller can do about an error.
enum class ErrorKind {
  Fatal,      // doing the same again fails the same way (bad input, a broken store): the default
  Retryable,  // a passing condition: a conflict with another writer (serialization failure,
              // deadlock) or a lost database connection; roll back and try the same work again
  LeaseLost,  // a claimed work item was taken over by another owner after its lease ran out:
              // roll its transaction back and move on (the new owner does the work)
};

struct Error {
  std::string message;  // what is wrong and, where possible, what to do
  std::string pointer;  // JSON Pointer of the offending value ("" when not about JSON)
  int line = 0;         // 1-based line in a text input, 0 when unknown
  int column = 0;       // 1-based column in a text input, 0 when unknown
  ErrorKind kind = ErrorKind::Fatal;

  bool retryable() const { return kind == ErrorKind::Retryable; }
  bool lease_lost() const { return kind == ErrorKind::LeaseLost; }

  // "pointer: message", "line L, column C: message", or just the message.
  std::string to_string() const {
    if (!pointer.empty()) return pointer + ": " + message;
    if (line > 0) return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
    return message;
  }
};

// One problem found by a validator; validators report every problem at once.
using Problem = Error;
using Problems = std::vector<Problem>;

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}            // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // By value: `for (auto& x : f().value())` then keeps the value alive for the whole loop.
  T value() && { return std::get<0>(std::move(v_)); }
  // Precondition: !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// A Result with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace shopflow
