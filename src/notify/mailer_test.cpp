#include "notify/mailer.hpp"

#include "base/base64.hpp"
#include "base/logging.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace agora::notify {
namespace {

using std::chrono::system_clock;

const Mailbox kFrom{"Agora", "agora@afonvalley.gov.uk"};
// 1,000,000,000 seconds after the epoch; `date -u -d @1000000000` gives the Date: below.
const system_clock::time_point kDate = system_clock::from_time_t(1'000'000'000);

MailMessage message(std::string subject = "Your invitation", std::string text = "Hello.\n") {
  return MailMessage{.to = "ann@afonvalley.gov.uk",
                     .to_name = "Ann Jones",
                     .subject = std::move(subject),
                     .text = std::move(text)};
}

std::vector<std::string> split_crlf(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find("\r\n", start);
    if (end == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      return lines;
    }
    lines.emplace_back(text.substr(start, end - start));
    start = end + 2;
  }
}

struct Parsed {
  std::vector<std::pair<std::string, std::string>> headers;  // unfolded, in order
  std::string body;                                          // still encoded
};

Parsed parse(std::string_view message) {
  Parsed parsed;
  const auto blank = message.find("\r\n\r\n");
  EXPECT_NE(blank, std::string_view::npos);
  for (const std::string& line : split_crlf(message.substr(0, blank))) {
    if (line.starts_with(" ") || line.starts_with("\t")) {
      parsed.headers.back().second += line;
      continue;
    }
    const auto colon = line.find(": ");
    EXPECT_NE(colon, std::string::npos) << line;
    parsed.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  parsed.body = std::string(message.substr(blank + 4));
  return parsed;
}

std::string header(const Parsed& parsed, std::string_view name) {
  for (const auto& [key, value] : parsed.headers) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "no " << name << " header";
  return {};
}

// Decodes RFC 2047 "B" encoded words separated by folding white space, as a mail reader would.
std::string decode_words(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    EXPECT_TRUE(text.substr(i).starts_with("=?UTF-8?B?")) << text;
    const auto end = text.find("?=", i + 10);
    EXPECT_NE(end, std::string_view::npos);
    auto bytes = base::from_base64(text.substr(i + 10, end - i - 10), "encoded word");
    EXPECT_TRUE(bytes) << text;
    if (bytes) out.append(bytes->begin(), bytes->end());
    i = end + 2;
  }
  return out;
}

// Decodes a quoted-printable body (RFC 2045 section 6.7).
std::string decode_quoted_printable(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '=') {
      out += body[i];
      continue;
    }
    if (body.substr(i + 1).starts_with("\r\n")) {
      i += 2;  // soft line break
      continue;
    }
    out += static_cast<char>(std::stoi(std::string(body.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  // Independent of the mailer's own check: decode with the standard library's rules.
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const int length = b < 0x80         ? 1
                       : (b >> 5) == 6  ? 2
                       : (b >> 4) == 14 ? 3
                       : (b >> 3) == 30 ? 4
                                        : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (int k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += length;
  }
  return true;
}

TEST(MailFormat, HeadersOfAPlainMessage) {
  auto formatted = format_message(message(), kFrom, kDate, "abc123@afonvalley.gov.uk");
  ASSERT_TRUE(formatted) << formatted.error().message;
  const Parsed parsed = parse(*formatted);
  EXPECT_EQ(header(parsed, "Date"), "Sun, 09 Sep 2001 01:46:40 +0000");
  EXPECT_EQ(header(parsed, "From"), "Agora <agora@afonvalley.gov.uk>");
  EXPECT_EQ(header(parsed, "To"), "Ann Jones <ann@afonvalley.gov.uk>");
  EXPECT_EQ(header(parsed, "Subject"), "Your invitation");
  EXPECT_EQ(header(parsed, "Message-ID"), "<abc123@afonvalley.gov.uk>");
  EXPECT_EQ(header(parsed, "MIME-Version"), "1.0");
  EXPECT_EQ(header(parsed, "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(header(parsed, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(parsed.body, "Hello.\r\n");
  // Every line break is CRLF: no bare LF or CR anywhere.
  for (std::size_t i = 0; i < formatted->size(); ++i) {
    if ((*formatted)[i] == '\n') {
      EXPECT_EQ((*formatted)[i - 1], '\r') << "at " << i;
    }
    if ((*formatted)[i] == '\r') {
      EXPECT_EQ((*formatted)[i + 1], '\n') << "at " << i;
    }
  }
}

TEST(MailFormat, WelshSubjectAndNamesTravelAsEncodedWords) {
  MailMessage welsh = message("Gwahoddiad i ymuno â’r gweithle: ŵ ŷ");
  welsh.to_name = "Siân Ŵyn";
  auto formatted = format_message(welsh, Mailbox{"Cyngor Dyffryn Afon", "agora@afonvalley.gov.uk"},
                                  kDate, "id@afonvalley.gov.uk");
  ASSERT_TRUE(formatted) << formatted.error().message;
  const Parsed parsed = parse(*formatted);
  const std::string subject = header(parsed, "Subject");
  EXPECT_TRUE(subject.starts_with("=?UTF-8?B?")) << subject;
  EXPECT_EQ(decode_words(subject), welsh.subject);
  const std::string to = header(parsed, "To");
  const auto angle = to.find(" <");
  ASSERT_NE(angle, std::string::npos) << to;
  EXPECT_EQ(decode_words(to.substr(0, angle)), "Siân Ŵyn");
  EXPECT_EQ(to.substr(angle), " <ann@afonvalley.gov.uk>");
  // Headers are 7-bit ASCII.
  const std::string head = formatted->substr(0, formatted->find("\r\n\r\n"));
  for (const char c : head) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

TEST(MailFormat, LongSubjectsFoldWithoutSplittingCharacters) {
  std::string subject;
  for (int i = 0; i < 60; ++i) subject += "ŵŷ ";
  auto formatted = format_message(message(subject), kFrom, kDate, "id@afonvalley.gov.uk");
  ASSERT_TRUE(formatted);
  const std::string head = formatted->substr(0, formatted->find("\r\n\r\n"));
  int subject_lines = 0;
  bool in_subject = false;
  for (const std::string& line : split_crlf(head)) {
    EXPECT_LE(line.size(), 78u) << line;
    if (line.starts_with("Subject: "))
      in_subject = true;
    else if (!line.starts_with(" "))
      in_subject = false;
    if (!in_subject) continue;
    ++subject_lines;
    // Each encoded word stands alone: its bytes are whole UTF-8 characters.
    const std::string word = line.substr(line.find("=?"));
    EXPECT_LE(word.size(), 75u);
    EXPECT_TRUE(valid_utf8(decode_words(word))) << word;
  }
  EXPECT_GT(subject_lines, 3);
  EXPECT_EQ(decode_words(header(parse(*formatted), "Subject")), subject);
}

TEST(MailFormat, AsciiThatLooksLikeAnEncodedWordIsEncoded) {
  auto formatted = format_message(message("=?UTF-8?B?SGk=?="), kFrom, kDate, "id@x.org");
  ASSERT_TRUE(formatted);
  const std::string subject = header(parse(*formatted), "Subject");
  EXPECT_EQ(decode_words(subject), "=?UTF-8?B?SGk=?=");
}

TEST(MailFormat, NamesWithSpecialsAreQuoted) {
  MailMessage m = message();
  m.to_name = "Jones, Ann \"Nan\"";
  auto formatted = format_message(m, kFrom, kDate, "id@x.org");
  ASSERT_TRUE(formatted);
  EXPECT_EQ(header(parse(*formatted), "To"), "\"Jones, Ann \\\"Nan\\\"\" <ann@afonvalley.gov.uk>");
}

TEST(MailFormat, BodyIsQuotedPrintableWithShortLines) {
  std::string text = "Annwyl Siân,\n\n";
  text += std::string(200, 'a') + "\n";
  text += "2 + 2 = 4, trailing space \n";
  text += "tab at end\t\r\n";
  for (int i = 0; i < 40; ++i) text += "ŵ";
  text += "\n=\n";
  auto formatted = format_message(message("Test", text), kFrom, kDate, "id@x.org");
  ASSERT_TRUE(formatted);
  const std::string body = parse(*formatted).body;
  for (const std::string& line : split_crlf(body)) {
    EXPECT_LE(line.size(), 76u) << line;
    for (const char c : line) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 32 && u < 127) << "byte " << int(u) << " in " << line;
    }
    EXPECT_FALSE(line.ends_with(" ") || line.ends_with("\t")) << line;
  }
  std::string expected;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) expected += '\r';
    expected += text[i];
  }
  EXPECT_EQ(decode_quoted_printable(body), expected);
}

TEST(MailFormat, LeadingDotsAreLeftForTheSmtpClientToStuff) {
  // libcurl doubles a dot at the start of a line while sending (RFC 5321 section 4.5.2); the
  // message itself carries the text as written. tests/auth/mail.test.mjs checks the round trip.
  auto formatted = format_message(message("Dots", ".\n.hidden\n"), kFrom, kDate, "id@x.org");
  ASSERT_TRUE(formatted);
  EXPECT_EQ(parse(*formatted).body, ".\r\n.hidden\r\n");
}

TEST(MailFormat, RefusesHeaderInjection) {
  const std::vector<MailMessage> bad = {
      {.to = "ann@x.org\r\nBcc: eve@evil.example", .to_name = "", .subject = "s", .text = ""},
      {.to = "ann@x.org", .to_name = "Ann\nBcc: eve@evil.example", .subject = "s", .text = ""},
      {.to = "ann@x.org", .to_name = "", .subject = "Hi\r\nBcc: eve@evil.example", .text = ""},
      {.to = "ann@x.org", .to_name = "", .subject = "Hi\rthere", .text = ""},
      {.to = "<ann@x.org>", .to_name = "", .subject = "s", .text = ""},
      {.to = "ann@x.org>\r\nRCPT TO:<eve@evil.example", .to_name = "", .subject = "s", .text = ""},
  };
  for (const MailMessage& m : bad) {
    auto formatted = format_message(m, kFrom, kDate, "id@x.org");
    ASSERT_FALSE(formatted) << m.to << " / " << m.to_name << " / " << m.subject;
    EXPECT_EQ(formatted.error().kind, ErrorKind::invalid_input);
  }
  auto nul = format_message(MailMessage{.to = "ann@x.org", .subject = std::string("a\0b", 3)},
                            kFrom, kDate, "id@x.org");
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().message, "the subject contains a control character (0x00)");
  auto subject = format_message(message("Hi\r\nBcc: eve@evil.example"), kFrom, kDate, "id@x.org");
  ASSERT_FALSE(subject);
  EXPECT_EQ(subject.error().message, "the subject contains a line break");
}

TEST(MailFormat, RefusesTextThatIsNotUtf8) {
  auto subject = format_message(message("caf\xe9"), kFrom, kDate, "id@x.org");
  ASSERT_FALSE(subject);
  EXPECT_EQ(subject.error().message, "the subject is not valid UTF-8");
  auto body = format_message(message("ok", "caf\xe9\n"), kFrom, kDate, "id@x.org");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().message, "the message text is not valid UTF-8");
}

TEST(MailAddress, AcceptsOrdinaryAddresses) {
  for (const std::string_view good :
       {"ann@afonvalley.gov.uk", "agora@localhost", "first.last+tag@nhs.net", "o'brien@example.org",
        "a_b-c@xn--bcher-kva.example"}) {
    EXPECT_TRUE(check_address(good)) << good;
  }
}

TEST(MailAddress, RefusesWhatCouldBreakHeadersOrCommands) {
  for (const std::string_view bad :
       {"", "ann", "ann@", "@x.org", "ann@@x.org", "ann@x@y.org", "ann smith@x.org", "ann@x .org",
        "<ann@x.org>", "ann@x.org\n", "ann\r@x.org", "ann,bob@x.org", "ann@x..org", ".ann@x.org",
        "siân@x.org", "ann@bücher.example", "ann@x.org>"}) {
    auto checked = check_address(bad);
    ASSERT_FALSE(checked) << bad;
    EXPECT_EQ(checked.error().kind, ErrorKind::invalid_input);
  }
  EXPECT_EQ(check_address("ann@@x.org").error().message,
            "\"ann@@x.org\" is not an email address we can send to: it needs exactly one @");
}

TEST(MailAddress, ParsesSenders) {
  auto plain = parse_mailbox("agora@localhost");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->name, "");
  EXPECT_EQ(plain->address, "agora@localhost");

  auto named = parse_mailbox("Agora <agora@localhost>");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->name, "Agora");
  EXPECT_EQ(named->address, "agora@localhost");

  auto quoted = parse_mailbox("\"Agora, Cyngor \\\"Afon\\\"\" <agora@afon.gov.uk>");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->name, "Agora, Cyngor \"Afon\"");

  auto welsh = parse_mailbox("Cyngor Dyffryn Ŵy <post@wy.gov.uk>");
  ASSERT_TRUE(welsh);
  EXPECT_EQ(welsh->name, "Cyngor Dyffryn Ŵy");

  for (const std::string_view bad : {"Agora <agora@localhost", "Agora <agora@localhost> extra",
                                     "Agora\r\nBcc: x@y.org <agora@localhost>", "Agora <>"}) {
    EXPECT_FALSE(parse_mailbox(bad)) << bad;
  }
}

TEST(MakeMailer, WithoutAServerMailIsLogged) {
  std::ostringstream lines;
  base::log::init(base::log::Level::info, lines);
  base::Settings settings;
  auto mailer = make_mailer(settings);
  ASSERT_TRUE(mailer) << mailer.error().message;
  auto sent =
      (*mailer)->send(message("Ailosod eich cyfrinair", "Dilynwch y ddolen: https://x/r/1\n"));
  EXPECT_TRUE(sent) << sent.error().message;
  base::log::init(base::log::Level::info);
  const std::string logged = lines.str();
  EXPECT_NE(logged.find("\"msg\":\"mail.not_sent\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"to\":\"ann@afonvalley.gov.uk\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("Ailosod eich cyfrinair"), std::string::npos) << logged;
  EXPECT_NE(logged.find("https://x/r/1"), std::string::npos) << logged;

  // The log mailer checks messages as the real one does, so mistakes show up in development.
  auto injected = (*mailer)->send(message("Hi\nBcc: eve@evil.example"));
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().kind, ErrorKind::invalid_input);
}

TEST(MakeMailer, RefusesBadSettings) {
  base::Settings settings;
  settings.smtp_url = "http://mail.example.org";
  auto wrong_scheme = make_mailer(settings);
  ASSERT_FALSE(wrong_scheme);
  EXPECT_EQ(wrong_scheme.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(
      wrong_scheme.error().message,
      "--smtp-url \"http://mail.example.org\": expected smtp://HOST:PORT or smtps://HOST:PORT");

  settings.smtp_url = "smtp://127.0.0.1:25";
  settings.mail_from = "Agora <not an address>";
  auto bad_from = make_mailer(settings);
  ASSERT_FALSE(bad_from);
  EXPECT_EQ(bad_from.error().kind, ErrorKind::invalid_input);
  EXPECT_TRUE(bad_from.error().message.starts_with("--mail-from \"Agora <not an address>\": "))
      << bad_from.error().message;
}

// A loopback port with nothing listening: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(SmtpMailer, UnreachableServerIsUnavailable) {
  base::SeededRandom random(1);
  const std::string url = "smtp://127.0.0.1:" + std::to_string(closed_port());
  SmtpMailer mailer(SmtpOptions{.url = url, .from = kFrom}, base::system_clock(), random);
  auto sent = mailer.send(message());
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(sent.error().message.starts_with("cannot send mail through " + url + ": "))
      << sent.error().message;
}

TEST(SmtpMailer, BadMessagesAreRefusedBeforeConnecting) {
  base::SeededRandom random(1);
  SmtpMailer mailer(SmtpOptions{.url = "smtp://127.0.0.1:1", .from = kFrom}, base::system_clock(),
                    random);
  auto sent = mailer.send(message("Hi\r\nBcc: eve@evil.example"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, ErrorKind::invalid_input);
}

}  // namespace
}  // namespace agora::notify
