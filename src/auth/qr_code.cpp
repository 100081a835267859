#include "auth/qr_code.hpp"

#include "http/message.hpp"

#include <fmt/format.h>
#include <qrencode.h>

#include <memory>

namespace agora::auth {

namespace {

// Modules of light margin each side; ISO/IEC 18004 asks for 4 so scanners find the code.
constexpr int kQuietZone = 4;

struct QrDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> qr_code_svg(std::string_view text, std::string_view title) {
  const std::string input(text);  // libqrencode wants a NUL-terminated string
  if (input.find('\0') != std::string::npos) {
    return fail(ErrorKind::invalid_input, "a QR code cannot hold a NUL byte here");
  }
  std::unique_ptr<QRcode, QrDeleter> code(QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M));
  if (!code) {
    return fail(ErrorKind::invalid_input,
                fmt::format("{} bytes of text do not fit in a QR code", text.size()));
  }
  const int width = code->width;
  const int size = width + 2 * kQuietZone;
  // Each run of dark modules in a row becomes one rectangle: a short path, however large the code.
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      if ((code->data[y * width + x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (code->data[y * width + x + run] & 1) != 0) ++run;
      path += fmt::format("M{} {}h{}v1h-{}z", x + kQuietZone, y + kQuietZone, run, run);
      x += run;
    }
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" role=\"img\" "
      "aria-labelledby=\"qr-code-title\" shape-rendering=\"crispEdges\" class=\"agora-qr-code\">"
      "<title id=\"qr-code-title\">{1}</title>"
      "<rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/>"
      "<path fill=\"#000\" d=\"{2}\"/></svg>",
      size, http::escape_html(title), path);
}

}  // namespace agora::auth
