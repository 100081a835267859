#include "app/mail_commands.hpp"

#include "base/config.hpp"
#include "notify/mailer.hpp"

#include <fmt/format.h>

namespace agora::app {

namespace {

// In English and Welsh, like everything else Agora says to people.
constexpr std::string_view kTestSubject = "Agora: test message / Neges brawf";
constexpr std::string_view kTestText =
    "This message was sent by \"agora mail test\" to check that Agora can send mail.\n"
    "\n"
    "Anfonwyd y neges hon gan \"agora mail test\" i wirio bod Agora yn gallu anfon post.\n";

}  // namespace

Result<std::string> send_test_mail(const base::Settings& settings, const MailTestArguments& args) {
  auto mailer = notify::make_mailer(settings);
  if (!mailer) return mailer.error();
  const notify::MailMessage message{
      .to = args.to,
      .to_name = "",
      .subject = args.subject.empty() ? std::string(kTestSubject) : args.subject,
      .text = args.text.empty() ? std::string(kTestText) : args.text,
  };
  AGORA_TRY((*mailer)->send(message));
  if (settings.smtp_url.empty()) {
    return fmt::format(
        "No --smtp-url is set, so the message to {} was written to the log "
        "instead of being sent.",
        args.to);
  }
  return fmt::format("Sent a test message to {} through {}.", args.to,
                     base::redact_url(settings.smtp_url));
}

}  // namespace agora::app
