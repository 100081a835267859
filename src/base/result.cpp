#include "base/result.hpp"

namespace agora {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::permission_denied: return "permission_denied";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::io: return "io";
    case ErrorKind::corrupt: return "corrupt";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace agora
