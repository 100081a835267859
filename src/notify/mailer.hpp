#pragma once
// Outgoing mail: invitations, password resets and alerts leave as plain-text UTF-8 messages through
// an SMTP server (libcurl), or, when no server is configured (--smtp-url empty), are written to
// the log so that a development machine needs no mail server.

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "base/settings.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace agora::notify {

/// One message to one person.
struct MailMessage {
  std::string to;       // the address, e.g. "ann@afonvalley.gov.uk"
  std::string to_name;  // how to address them, any language; may be empty
  std::string subject;  // one line of UTF-8
  std::string text;     // the plain-text body, UTF-8; lines end with "\n" or "\r\n"
};

/// Sends mail. Implementations are thread-safe. send() blocks until the server has answered, so
/// call it from a worker thread, never from an I/O thread.
class Mailer {
 public:
  virtual ~Mailer() = default;
  /// Sends `message`. invalid_input when an address is malformed or a header would hold a line
  /// break (header injection) or text that is not UTF-8; unavailable when the server cannot be
  /// reached or refuses the message, with what it said.
  virtual Result<> send(const MailMessage& message) = 0;
};

/// A display name and an address, as in a From: or To: header.
struct Mailbox {
  std::string name;  // may be empty
  std::string address;
};

/// Parses "Agora <agora@example.gov.uk>", "\"Agora, Afon Valley\" <agora@example.gov.uk>" or a
/// bare address; invalid_input saying what is wrong otherwise.
Result<Mailbox> parse_mailbox(std::string_view text);

/// Checks that `address` is one plain ASCII address, local@domain, with nothing in it that could
/// end a header or an SMTP command; invalid_input naming the address and the problem otherwise.
Result<> check_address(std::string_view address);

/// The RFC 5322 message that carries `message` from `from`: Date (`date`, in UTC), From, To,
/// Subject (RFC 2047 encoded words unless short ASCII), Message-ID (`message_id`, given without
/// angle brackets), MIME-Version, a text/plain UTF-8 body in quoted-printable with lines of at
/// most 76 characters. Lines end in CRLF; leading dots are left for the SMTP client to stuff.
/// Fails as Mailer::send does on bad input.
Result<std::string> format_message(const MailMessage& message, const Mailbox& from,
                                   std::chrono::system_clock::time_point date,
                                   std::string_view message_id);

/// Where and how SmtpMailer sends.
struct SmtpOptions {
  /// smtp://HOST:PORT (STARTTLS whenever the server offers it) or smtps://HOST:PORT (TLS from
  /// the start); user:password@ before the host signs in, and then an smtp:// server must offer
  /// STARTTLS, so the password never travels in clear.
  std::string url;
  Mailbox from;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // the whole conversation
};

/// Sends each message through an SMTP server with libcurl, one connection per message.
class SmtpMailer final : public Mailer {
 public:
  /// Sends as `options` say; `clock` (for Date:) and `random` (for Message-ID:) must outlive
  /// the mailer.
  SmtpMailer(SmtpOptions options, const base::Clock& clock, base::Random& random);

  Result<> send(const MailMessage& message) override;

 private:
  SmtpOptions options_;
  const base::Clock& clock_;
  base::Random& random_;
};

/// Writes each message to the log (event "mail.not_sent", with to, subject and text) instead of
/// sending it, after the same checks SmtpMailer makes.
class LogMailer final : public Mailer {
 public:
  /// Checks messages as if sending them from `from`.
  explicit LogMailer(Mailbox from);

  Result<> send(const MailMessage& message) override;

 private:
  Mailbox from_;
};

/// The mailer `settings` ask for: an SmtpMailer on the system clock and randomness when
/// --smtp-url is set, a LogMailer when it is empty. invalid_input when --smtp-url is not an
/// smtp:// or smtps:// URL or --mail-from is not a usable sender.
Result<std::unique_ptr<Mailer>> make_mailer(const base::Settings& settings);

}  // namespace agora::notify
