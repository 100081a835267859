#include "notify/mailer.hpp"

#include "base/base64.hpp"
#include "base/config.hpp"
#include "base/logging.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>
#include <mutex>
#include <span>
#include <vector>

namespace agora::notify {

namespace {

namespace log = base::log;

// RFC 5322 recommends header lines of at most 78 characters; RFC 2047 encoded words of at most 75.
constexpr std::size_t kHeaderLineLimit = 78;
// Quoted-printable lines, soft line break included (RFC 2045 section 6.7, rule 5).
constexpr std::size_t kQuotedPrintableLineLimit = 76;
// UTF-8 bytes per encoded word: 39 bytes make 52 base64 characters, 64 with "=?UTF-8?B?" and "?=",
// which fit after "Subject: " and after the folding space of a continuation line.
constexpr std::size_t kEncodedWordBytes = 39;
// Longest subject accepted, in bytes: far beyond any real subject, short of abuse.
constexpr std::size_t kMaxSubjectBytes = 1000;

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The length of the UTF-8 sequence starting at `i`, or 0 when it is not well formed (overlong,
// surrogate, above U+10FFFF, truncated).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Header text may hold neither line breaks (they would start a new header) nor other control
// characters, and must be UTF-8 for the encoded words to say what they mean.
Result<> check_header_text(std::string_view what, std::string_view text) {
  if (has_line_break(text)) {
    return fail(ErrorKind::invalid_input, fmt::format("the {} contains a line break", what));
  }
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("the {} contains a control character (0x{:02x})", what, u));
    }
  }
  if (!is_valid_utf8(text)) {
    return fail(ErrorKind::invalid_input, fmt::format("the {} is not valid UTF-8", what));
  }
  return {};
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// `text` as RFC 2047 "B" encoded words, each at most kEncodedWordBytes of UTF-8 cut at character
// boundaries, separated by a folding CRLF and space.
std::string encoded_words(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size()) {
      const std::size_t length = std::max<std::size_t>(1, utf8_sequence_length(text, end));
      if (end + length - start > kEncodedWordBytes) break;
      end += length;
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data() + start);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += base::to_base64(std::span<const std::uint8_t>(bytes, end - start));
    out += "?=";
    start = end;
  }
  return out;
}

// Unstructured header text (Subject): as it is when it is short ASCII that no reader could take
// for an encoded word, as encoded words otherwise.
std::string unstructured_text(std::string_view header_name, std::string_view text) {
  const bool fits = header_name.size() + 2 + text.size() <= kHeaderLineLimit;
  if (fits && is_ascii(text) && text.find("=?") == std::string_view::npos) return std::string(text);
  return encoded_words(text);
}

// A display name as an RFC 5322 phrase: an atom sequence when it can be, a quoted string when it
// holds specials, encoded words when it is not ASCII or too long for one line.
std::string display_name(std::string_view name) {
  if (!is_ascii(name) || name.size() > 60 || name.find("=?") != std::string_view::npos) {
    return encoded_words(name);
  }
  constexpr std::string_view kSpecials = "()<>[]:;@\\,.\"";
  if (name.find_first_of(kSpecials) == std::string_view::npos) return std::string(name);
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string mailbox_header(const Mailbox& mailbox) {
  if (mailbox.name.empty()) return mailbox.address;
  return fmt::format("{} <{}>", display_name(mailbox.name), mailbox.address);
}

// RFC 5322 date-time in UTC, in English whatever the locale: "Sun, 22 Nov 2026 14:01:22 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point date) {
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(date);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays.at(utc.tm_wday), utc.tm_mday,
                     kMonths.at(utc.tm_mon), utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                     utc.tm_sec);
}

// One line of the body (without its line break) in quoted-printable, with soft line breaks so
// that no encoded line is longer than kQuotedPrintableLineLimit.
void append_quoted_printable_line(std::string& out, std::string_view line) {
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto u = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    // Spaces and tabs are literal except at the end of a line, where transports may strip them.
    const bool literal = (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !last);
    const std::string token = literal ? std::string(1, line[i]) : fmt::format("={:02X}", u);
    // Keep room for the "=" of a soft break unless this token ends the line.
    const std::size_t room = last ? kQuotedPrintableLineLimit : kQuotedPrintableLineLimit - 1;
    if (column + token.size() > room) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  }
}

std::string quoted_printable_body(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    const bool has_break = end != std::string_view::npos;
    if (!has_break) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (has_break && line.ends_with('\r')) line.remove_suffix(1);
    if (!has_break && line.empty()) break;  // text ended with a line break
    append_quoted_printable_line(out, line);
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

// A domain for Message-ID: the sender's, so ids are unique per installation.
std::string_view address_domain(std::string_view address) {
  return address.substr(address.rfind('@') + 1);
}

std::string new_message_id(base::Random& random, const Mailbox& from) {
  std::array<std::byte, 16> bytes{};
  random.fill(bytes);
  std::string id;
  for (const std::byte b : bytes) id += fmt::format("{:02x}", static_cast<unsigned>(b));
  return fmt::format("{}@{}", id, address_domain(from.address));
}

// libcurl's global state must be set up once, before any thread uses it.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What a transfer needs while libcurl runs: the message to upload and the server's last reply.
struct Transfer {
  std::string_view data;
  std::size_t offset = 0;
  // The last refusal (a 4xx or 5xx reply) the server sent, e.g. "550 5.1.1 No such user". Not
  // simply the last reply: after a refusal curl says QUIT, and "221 Bye" would hide it.
  std::string last_refusal;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t n = std::min(size * count, transfer.data.size() - transfer.offset);
  std::memcpy(buffer, transfer.data.data() + transfer.offset, n);
  transfer.offset += n;
  return n;
}

// True when `url` carries user:password@ before the host.
bool has_user_info(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  return authority.find('@') != std::string_view::npos;
}

bool is_refusal(std::string_view reply) {
  return reply.size() >= 3 && (reply[0] == '4' || reply[0] == '5') &&
         std::isdigit(static_cast<unsigned char>(reply[1])) &&
         std::isdigit(static_cast<unsigned char>(reply[2]));
}

int record_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view text(data, size);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto newline = text.rfind('\n');
  if (newline != std::string_view::npos) text.remove_prefix(newline + 1);
  if (is_refusal(text)) transfer.last_refusal = std::string(text.substr(0, 300));
  return 0;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

Result<> check_message(const MailMessage& message) {
  AGORA_TRY(check_address(message.to));
  AGORA_TRY(check_header_text("recipient's name", message.to_name));
  AGORA_TRY(check_header_text("subject", message.subject));
  if (message.subject.size() > kMaxSubjectBytes) {
    return fail(ErrorKind::invalid_input, fmt::format("the subject is {} bytes; the limit is {}",
                                                      message.subject.size(), kMaxSubjectBytes));
  }
  if (!is_valid_utf8(message.text)) {
    return fail(ErrorKind::invalid_input, "the message text is not valid UTF-8");
  }
  return {};
}

}  // namespace

Result<> check_address(std::string_view address) {
  const auto bad = [&](std::string_view why) {
    return fail(
        ErrorKind::invalid_input,
        fmt::format("\"{}\" is not an email address we can send to: {}",
                    has_line_break(address) ? "(an address with a line break)" : address, why));
  };
  if (address.empty()) return fail(ErrorKind::invalid_input, "the email address is empty");
  if (has_line_break(address)) return bad("it contains a line break");
  if (address.size() > 254) return bad("it is longer than 254 characters");
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || address.find('@') != at) {
    return bad("it needs exactly one @");
  }
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.empty() || domain.empty()) return bad("it needs text before and after the @");
  if (local.size() > 64) return bad("the part before the @ is longer than 64 characters");
  constexpr std::string_view kLocalSpecials = "!#$%&'*+-/=?^_`{|}~.";
  for (const char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return bad("only ASCII letters are supported");
    if (!std::isalnum(u) && kLocalSpecials.find(c) == std::string_view::npos) {
      return bad(fmt::format("the character '{}' is not allowed", c));
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return bad("dots may not start, end or double up before the @");
  }
  for (const char c : domain) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return bad("write an international domain in its xn-- form");
    if (!std::isalnum(u) && c != '-' && c != '.') {
      return bad(fmt::format("the character '{}' is not allowed after the @", c));
    }
  }
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return bad("the domain has an empty part");
  }
  return {};
}

Result<Mailbox> parse_mailbox(std::string_view text) {
  if (has_line_break(text)) {
    return fail(ErrorKind::invalid_input, "the sender contains a line break");
  }
  Mailbox mailbox;
  const auto open = text.find('<');
  if (open == std::string_view::npos) {
    mailbox.address = std::string(trim(text));
  } else {
    const auto close = text.find('>', open);
    if (close == std::string_view::npos || !trim(text.substr(close + 1)).empty()) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("\"{}\" should look like Name <address@example.org>", text));
    }
    mailbox.address = std::string(trim(text.substr(open + 1, close - open - 1)));
    std::string_view name = trim(text.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        mailbox.name += name[i];
      }
    } else {
      mailbox.name = std::string(name);
    }
  }
  AGORA_TRY(check_address(mailbox.address));
  AGORA_TRY(check_header_text("sender's name", mailbox.name));
  return mailbox;
}

Result<std::string> format_message(const MailMessage& message, const Mailbox& from,
                                   std::chrono::system_clock::time_point date,
                                   std::string_view message_id) {
  AGORA_TRY(check_message(message));
  AGORA_TRY(check_address(from.address));
  AGORA_TRY(check_header_text("sender's name", from.name));
  AGORA_TRY(check_header_text("message id", message_id));

  std::string out;
  out += fmt::format("Date: {}\r\n", rfc5322_date(date));
  out += fmt::format("From: {}\r\n", mailbox_header(from));
  out += fmt::format("To: {}\r\n", mailbox_header(Mailbox{message.to_name, message.to}));
  out += fmt::format("Subject: {}\r\n", unstructured_text("Subject", message.subject));
  out += fmt::format("Message-ID: <{}>\r\n", message_id);
  // RFC 3834: a message sent by software, so out-of-office replies are not sent back.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += quoted_printable_body(message.text);
  return out;
}

SmtpMailer::SmtpMailer(SmtpOptions options, const base::Clock& clock, base::Random& random)
    : options_(std::move(options)), clock_(clock), random_(random) {
  init_curl_once();
}

Result<> SmtpMailer::send(const MailMessage& message) {
  const std::string message_id = new_message_id(random_, options_.from);
  auto formatted = format_message(message, options_.from, clock_.now(), message_id);
  if (!formatted) return formatted.error();

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return fail(ErrorKind::internal, "cannot start a mail transfer (curl_easy_init)");
  const std::string sender = fmt::format("<{}>", options_.from.address);
  std::unique_ptr<curl_slist, SlistDeleter> recipients(
      curl_slist_append(nullptr, fmt::format("<{}>", message.to).c_str()));
  if (!recipients) return fail(ErrorKind::internal, "out of memory listing the recipient");

  Transfer transfer{.data = *formatted};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS whenever an smtp:// server offers it, and required when there is a password to send,
  // so that no one between here and the server can strip the offer and read it; smtps:// is TLS
  // from the first byte.
  const bool signs_in = has_user_info(options_.url);
  curl_easy_setopt(handle, CURLOPT_USE_SSL,
                   static_cast<long>(signs_in ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  curl_easy_setopt(handle, CURLOPT_MAIL_FROM, sender.c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(handle, CURLOPT_READDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  // Signals cannot carry timeouts in a multi-threaded process.
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
  // The debug callback is the only way to hear what the server said when it refuses.
  curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, record_reply);
  curl_easy_setopt(handle, CURLOPT_DEBUGDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);

  const CURLcode code = curl_easy_perform(handle);
  const std::string server = base::redact_url(options_.url);
  if (code == CURLE_OK) {
    log::info("mail.sent", {{"to", message.to}, {"message_id", message_id}});
    return {};
  }
  const std::string detail = error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                                     : std::string(curl_easy_strerror(code));
  if (code == CURLE_USE_SSL_FAILED) {
    return fail(ErrorKind::unavailable,
                fmt::format("the mail server {} does not offer STARTTLS, and the password in "
                            "--smtp-url is only ever sent encrypted; use smtps:// or a server "
                            "with STARTTLS",
                            server));
  }
  if (code == CURLE_LOGIN_DENIED) {
    return fail(ErrorKind::unavailable,
                fmt::format("the mail server {} refused the user name or password: {}", server,
                            transfer.last_refusal.empty() ? detail : transfer.last_refusal));
  }
  if (!transfer.last_refusal.empty()) {
    return fail(ErrorKind::unavailable,
                fmt::format("the mail server {} refused the message to {}: {}", server, message.to,
                            transfer.last_refusal));
  }
  return fail(ErrorKind::unavailable,
              fmt::format("cannot send mail through {}: {}", server, detail));
}

LogMailer::LogMailer(Mailbox from) : from_(std::move(from)) {}

Result<> LogMailer::send(const MailMessage& message) {
  auto formatted = format_message(message, from_, base::system_clock().now(), "log@localhost");
  if (!formatted) return formatted.error();
  log::info("mail.not_sent", {{"to", message.to},
                              {"subject", message.subject},
                              {"text", message.text},
                              {"reason", "no --smtp-url is set"}});
  return {};
}

Result<std::unique_ptr<Mailer>> make_mailer(const base::Settings& settings) {
  auto from = parse_mailbox(settings.mail_from);
  if (!from) {
    return fail(ErrorKind::invalid_input,
                fmt::format("--mail-from \"{}\": {}", settings.mail_from, from.error().message));
  }
  if (settings.smtp_url.empty()) {
    return std::unique_ptr<Mailer>(std::make_unique<LogMailer>(std::move(*from)));
  }
  const std::string_view url = settings.smtp_url;
  if (!url.starts_with("smtp://") && !url.starts_with("smtps://")) {
    return fail(ErrorKind::invalid_input,
                fmt::format("--smtp-url \"{}\": expected smtp://HOST:PORT or smtps://HOST:PORT",
                            base::redact_url(url)));
  }
  return std::unique_ptr<Mailer>(
      std::make_unique<SmtpMailer>(SmtpOptions{.url = settings.smtp_url, .from = std::move(*from)},
                                   base::system_clock(), base::system_random()));
}

}  // namespace agora::notify
