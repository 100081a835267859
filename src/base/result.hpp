#pragma once
// Errors as values (CONVENTIONS.md "Errors"): an expected failure is an Error carried in a
// Result<T>; exceptions are for bugs and for aborting one request.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace agora {

/// What kind of failure an Error is; http/ maps each kind to one status code.
enum class ErrorKind {
  invalid_input,      // the caller sent something wrong: 400
  not_found,          // 404
  conflict,           // the state does not allow it (duplicate, stale): 409
  permission_denied,  // 403
  too_large,          // 413
  unavailable,        // a dependency (database, disk) is not answering: 503
  io,                 // the operating system refused (disk full, unreadable): 500
  corrupt,            // stored data failed a check: 500
  internal,           // a bug: 500
};

/// A failure with a message a person can act on, e.g. "title is 312 characters; the limit is 200".
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;

  /// Builds an Error of `kind` with `message`.
  static Error make(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }
};

/// Thrown by Result::value() on an error: it means the caller did not check, so a bug.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

/// Found by boost::system::result through argument-dependent lookup.
[[noreturn]] inline void throw_exception_from_error(const Error& error,
                                                    const boost::source_location&) {
  throw ErrorException(error);
}

/// A T or an Error.
template <typename T = void>
using Result = boost::system::result<T, Error>;

/// Shorthand for returning an error from a function that returns any Result<T>.
inline Error fail(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

/// A short name of `kind` for logs and JSON ("invalid_input").
std::string_view to_string(ErrorKind kind) noexcept;

}  // namespace agora

/// Evaluates `expr` (a Result); on error returns that error from the enclosing function.
#define AGORA_TRY(expr)                                          \
  do {                                                           \
    auto&& agora_try_result_ = (expr);                           \
    if (!agora_try_result_) return agora_try_result_.error();    \
  } while (false)
