#pragma once
// Errors of the crdt library. crdt depends on nothing else in Agora (DESIGN.md "Layout"), so it
// carries its own small error type; callers in other modules turn it into agora::Error.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>

namespace agora::crdt {

/// Why an update, state vector or other input was refused, in words a person can act on.
struct Error {
  std::string message;
};

/// Thrown inside the library while decoding malformed input; public functions catch it and
/// return an Error instead, so it never escapes the library.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by Result::value() on an error: the caller did not check it, so a bug.
class ErrorException : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_exception_from_error(const Error& error,
                                                    const boost::source_location&) {
  throw ErrorException(error.message);
}

/// A T or an Error.
template <typename T = void>
using Result = boost::system::result<T, Error>;

}  // namespace agora::crdt
