#pragma once
// `agora mail test`: sends one message with the mail settings (--smtp-url, --mail-from), so an
// operator can see that mail leaves before anyone needs an invitation or a password reset.

#include "base/result.hpp"
#include "base/settings.hpp"

#include <string>

namespace agora::app {

/// What `agora mail test` was given; an empty subject or text means the standard test message.
struct MailTestArguments {
  std::string to;
  std::string subject;
  std::string text;
};

/// Sends the test message to `args.to` through the mailer `settings` choose and returns the line
/// to print. invalid_input for a bad address or setting; unavailable, with the server's words,
/// when the mail server cannot be reached or refuses.
Result<std::string> send_test_mail(const base::Settings& settings, const MailTestArguments& args);

}  // namespace agora::app
