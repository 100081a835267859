#pragma once
// QR codes as inline SVG, for the otpauth:// URI a person scans when setting up TOTP. SVG keeps
// the page free of images and scripts (the Content-Security-Policy allows neither from data:).

#include "base/result.hpp"

#include <string>
#include <string_view>

namespace agora::auth {

/// `text` as a QR code (byte mode, error correction level M, the smallest version that fits)
/// drawn as an <svg> element: one module per user unit, a quiet zone of 4 modules, dark modules
/// as one <path>, and a <title> holding `title` (escaped) that screen readers announce. The
/// title has the id "qr-code-title", so put one QR code on a page.
/// invalid_input when `text` is too long for any QR code.
Result<std::string> qr_code_svg(std::string_view text, std::string_view title);

}  // namespace agora::auth
