#include "collab/protocol.hpp"

#include "crdt/test_bytes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

// Expected bytes below were printed by running the real npm packages in node (yjs 13.6.33,
// lib0 0.2.120, y-protocols 1.0.7, @hocuspocus/common and @hocuspocus/server 4.7/4.8 from
// tests/node_modules). The shared inputs:
//   const doc = new Y.Doc(); doc.clientID = 7; doc.getText('t').insert(0, 'hi')
//   kStateVector = Y.encodeStateVector(doc)
//   kUpdate      = Y.encodeStateAsUpdate(doc)
//   const aw = new Awareness(doc); aw.setLocalState({user: {name: 'Siân', color: '#f00'}})
//   kAwarenessUpdate = encodeAwarenessUpdate(aw, [doc.clientID])
//   Hocuspocus document name: 'doc-42'

namespace agora::collab {
namespace {

using crdt::test_bytes::Bytes;
using crdt::test_bytes::from_hex;
using crdt::test_bytes::to_hex;

const Bytes kStateVector = from_hex("010702");
const Bytes kUpdate = from_hex("010107000401017402686900");
const Bytes kAwarenessUpdate = from_hex(
    "010701287b2275736572223a7b226e616d65223a225369c3a26e222c22636f6c6f72223a2223663030227d7d");
constexpr std::string_view kDocument = "doc-42";

// y-websocket client frames, as y-websocket.js writes them:
//   e = createEncoder(); writeVarUint(e, 0 /* messageSync */); syncProtocol.writeSyncStep1(e, doc)
constexpr std::string_view kYwsStep1 = "000003010702";
//   writeVarUint(e, 0); syncProtocol.writeSyncStep2(e, doc, new Uint8Array([0]))
constexpr std::string_view kYwsStep2 = "00010c010107000401017402686900";
//   writeVarUint(e, 0); syncProtocol.writeUpdate(e, kUpdate)
constexpr std::string_view kYwsUpdate = "00020c010107000401017402686900";
//   writeVarUint(e, 1 /* messageAwareness */); writeVarUint8Array(e, kAwarenessUpdate)
constexpr std::string_view kYwsAwareness =
    "012c010701287b2275736572223a7b226e616d65223a225369c3a26e222c22636f6c6f72223a2223663030227d7d";
//   writeVarUint(e, 3 /* messageQueryAwareness */)
constexpr std::string_view kYwsQueryAwareness = "03";
//   writeVarUint(e, 2 /* messageAuth */); authProtocol.writePermissionDenied(e, 'no access')
constexpr std::string_view kYwsPermissionDenied = "0200096e6f20616363657373";

// Hocuspocus provider frames, written as @hocuspocus/provider's OutgoingMessages/*.ts get() do:
//   AuthenticationMessage: writeVarString(e, 'doc-42'); writeVarUint(e, 2);
//   writeAuthentication(e, 'tok.en') /* @hocuspocus/common */; writeVarString(e, '4.8.0')
constexpr std::string_view kHpAuth = "06646f632d3432020006746f6b2e656e05342e382e30";
//   SyncStepOneMessage: writeVarString(e, 'doc-42'); writeVarUint(e, 0); writeSyncStep1(e, doc)
constexpr std::string_view kHpStep1 = "06646f632d3432000003010702";
//   SyncStepTwoMessage: ...; writeVarUint(e, 0); writeSyncStep2(e, doc, new Uint8Array([0]))
constexpr std::string_view kHpStep2 = "06646f632d343200010c010107000401017402686900";
//   UpdateMessage: ...; writeVarUint(e, 0); writeUpdate(e, kUpdate)
constexpr std::string_view kHpUpdate = "06646f632d343200020c010107000401017402686900";
//   AwarenessMessage: ...; writeVarUint(e, 1); writeVarUint8Array(e, kAwarenessUpdate)
constexpr std::string_view kHpAwareness =
    "06646f632d3432012c010701287b2275736572223a7b226e616d65223a225369c3a26e222c22636f6c6f7222"
    "3a2223663030227d7d";
//   QueryAwarenessMessage: writeVarString(e, 'doc-42'); writeVarUint(e, 3)
constexpr std::string_view kHpQueryAwareness = "06646f632d343203";
//   StatelessMessage: ...; writeVarUint(e, 5); writeVarString(e, '{"x":1}')
constexpr std::string_view kHpStateless = "06646f632d343205077b2278223a317d";
//   CloseMessage: writeVarString(e, 'doc-42'); writeVarUint(e, 7)
constexpr std::string_view kHpClose = "06646f632d343207";
//   HocuspocusProviderWebsocket.sendPong: writeVarUint(e, 10)
constexpr std::string_view kHpPong = "0a";

// Hocuspocus server frames: @hocuspocus/server's OutgoingMessage('doc-42') ...
//   .createSyncMessage().writeFirstSyncStepFor(doc)
constexpr std::string_view kSrvStep1 = "06646f632d3432000003010702";
//   .createSyncMessage(); writeSyncStep2(m.encoder, doc, new Uint8Array([0]))
constexpr std::string_view kSrvStep2 = "06646f632d343200010c010107000401017402686900";
//   .createSyncMessage().writeUpdate(kUpdate)
constexpr std::string_view kSrvUpdate = "06646f632d343200020c010107000401017402686900";
//   .createAwarenessUpdateMessage(aw)
constexpr std::string_view kSrvAwareness = kHpAwareness;
//   .writePermissionDenied('no access')
constexpr std::string_view kSrvPermissionDenied = "06646f632d34320201096e6f20616363657373";
//   .writeAuthenticated(false) / .writeAuthenticated(true)
constexpr std::string_view kSrvAuthenticatedReadWrite = "06646f632d343202020a726561642d7772697465";
constexpr std::string_view kSrvAuthenticatedReadOnly = "06646f632d3432020208726561646f6e6c79";
//   .writeSyncStatus(true) / .writeSyncStatus(false)
constexpr std::string_view kSrvSyncStatusApplied = "06646f632d34320801";
constexpr std::string_view kSrvSyncStatusRefused = "06646f632d34320800";
//   .writeCloseMessage('document deleted')
constexpr std::string_view kSrvClose = "06646f632d34320710646f63756d656e742064656c65746564";
//   .createSyncReplyMessage(); writeSyncStep1(m.encoder, doc)
constexpr std::string_view kSrvSyncReplyStep1 = "06646f632d3432040003010702";

Bytes bytes_of(std::string_view hex) {
  return from_hex(hex);
}
std::string hex_of(const std::string& frame) {
  return to_hex(Bytes(frame.begin(), frame.end()));
}
Bytes to_vector(std::span<const std::uint8_t> span) {
  return Bytes(span.begin(), span.end());
}

Result<Incoming> parse(const Bytes& frame, Flavour flavour) {
  return parse_frame(frame, flavour);
}

// ---- parse_frame, y-websocket ----

TEST(ProtocolTest, ParsesYWebsocketSyncMessages) {
  const Bytes step1 = bytes_of(kYwsStep1);
  auto in = parse(step1, Flavour::y_websocket);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, "");
  EXPECT_EQ(in->type, MessageType::sync);
  EXPECT_EQ(in->step, SyncStep::step1);
  EXPECT_EQ(to_vector(in->payload), kStateVector);
  // The payload is a view into the frame, not a copy.
  EXPECT_EQ(in->payload.data(), step1.data() + 3);

  const Bytes step2 = bytes_of(kYwsStep2);
  in = parse(step2, Flavour::y_websocket);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::sync);
  EXPECT_EQ(in->step, SyncStep::step2);
  EXPECT_EQ(to_vector(in->payload), kUpdate);

  const Bytes update = bytes_of(kYwsUpdate);
  in = parse(update, Flavour::y_websocket);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::sync);
  EXPECT_EQ(in->step, SyncStep::update);
  EXPECT_EQ(to_vector(in->payload), kUpdate);
}

TEST(ProtocolTest, ParsesYWebsocketAwarenessAndQueryAwareness) {
  const Bytes awareness = bytes_of(kYwsAwareness);
  auto in = parse(awareness, Flavour::y_websocket);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::awareness);
  EXPECT_EQ(to_vector(in->payload), kAwarenessUpdate);

  const Bytes query = bytes_of(kYwsQueryAwareness);
  in = parse(query, Flavour::y_websocket);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::query_awareness);
  EXPECT_TRUE(in->payload.empty());
}

TEST(ProtocolTest, RefusesHocuspocusOnlyTypesOnAYWebsocketSocket) {
  // The same payloads as valid Hocuspocus messages, without the document name.
  const std::vector<std::string_view> frames = {
      "040003010702",                          // sync reply, step 1
      "05077b2278223a317d",                    // stateless '{"x":1}'
      "05",                                    // stateless without payload
      "07",                                    // close
      "0710646f63756d656e742064656c65746564",  // close with a reason
      "0801",                                  // sync status
      "09",                                    // ping
      "0a",                                    // pong
  };
  for (std::string_view hex : frames) {
    const Bytes frame = bytes_of(hex);
    auto in = parse(frame, Flavour::y_websocket);
    EXPECT_FALSE(in) << hex << " parsed as type " << static_cast<int>(in->type);
    if (!in) {
      EXPECT_EQ(in.error().kind, ErrorKind::invalid_input) << hex;
    }
  }
}

TEST(ProtocolTest, YWebsocketRefusesAuthMessagesOtherThanAToken) {
  // Kind 1 is Hocuspocus's "permission denied", which only a server sends.
  auto in = parse(bytes_of("0201096e6f20616363657373"), Flavour::y_websocket);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().kind, ErrorKind::invalid_input);
}

// ---- parse_frame, Hocuspocus ----

TEST(ProtocolTest, ParsesTheHocuspocusProvidersAuthMessageWithItsVersionTrailer) {
  const Bytes frame = bytes_of(kHpAuth);
  auto in = parse(frame, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, kDocument);
  EXPECT_EQ(in->type, MessageType::auth);
  EXPECT_EQ(in->text, "tok.en");
}

TEST(ProtocolTest, ParsesHocuspocusSyncMessages) {
  struct Case {
    std::string_view hex;
    SyncStep step;
    const Bytes& payload;
  };
  const Case cases[] = {{kHpStep1, SyncStep::step1, kStateVector},
                        {kHpStep2, SyncStep::step2, kUpdate},
                        {kHpUpdate, SyncStep::update, kUpdate}};
  for (const Case& c : cases) {
    const Bytes frame = bytes_of(c.hex);
    auto in = parse(frame, Flavour::hocuspocus);
    ASSERT_TRUE(in) << c.hex << ": " << in.error().message;
    EXPECT_EQ(in->document, kDocument);
    EXPECT_EQ(in->type, MessageType::sync);
    EXPECT_EQ(in->step, c.step);
    EXPECT_EQ(to_vector(in->payload), c.payload);
  }
}

TEST(ProtocolTest, ParsesAHocuspocusSyncReply) {
  const Bytes frame = bytes_of(kSrvSyncReplyStep1);
  auto in = parse(frame, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, kDocument);
  EXPECT_EQ(in->type, MessageType::sync_reply);
  EXPECT_EQ(in->step, SyncStep::step1);
  EXPECT_EQ(to_vector(in->payload), kStateVector);
}

TEST(ProtocolTest, ParsesHocuspocusAwarenessQueryStatelessAndClose) {
  const Bytes awareness = bytes_of(kHpAwareness);
  auto in = parse(awareness, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, kDocument);
  EXPECT_EQ(in->type, MessageType::awareness);
  EXPECT_EQ(to_vector(in->payload), kAwarenessUpdate);

  const Bytes query = bytes_of(kHpQueryAwareness);
  in = parse(query, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, kDocument);
  EXPECT_EQ(in->type, MessageType::query_awareness);

  const Bytes stateless = bytes_of(kHpStateless);
  in = parse(stateless, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::stateless);
  EXPECT_EQ(in->text, R"({"x":1})");

  const Bytes close = bytes_of(kHpClose);
  in = parse(close, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, kDocument);
  EXPECT_EQ(in->type, MessageType::close);
  EXPECT_EQ(in->text, "");

  const Bytes close_with_reason = bytes_of(kSrvClose);
  in = parse(close_with_reason, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::close);
  EXPECT_EQ(in->text, "document deleted");
}

TEST(ProtocolTest, ParsesAnEmptyAndALongDocumentName) {
  // A name of 200 bytes has a two-byte length prefix (lib0: c8 01).
  const std::string long_name(200, 'd');
  const std::string frame = sync_update_frame(Flavour::hocuspocus, long_name, kUpdate);
  ASSERT_EQ(hex_of(frame).substr(0, 8), "c8016464");
  const Bytes bytes(frame.begin(), frame.end());
  auto in = parse(bytes, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, long_name);
  EXPECT_EQ(to_vector(in->payload), kUpdate);

  const Bytes unnamed = bytes_of("0003");
  in = parse(unnamed, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->document, "");
  EXPECT_EQ(in->type, MessageType::query_awareness);
}

TEST(ProtocolTest, RefusesUnknownMessageTypes) {
  // 6 is Hocuspocus's BroadcastStateless, which clients do not send; 8-10 are server-to-client
  // or connection-level; 11 and a huge number are nobody's.
  for (std::string_view type_hex : {"06", "08", "09", "0a", "0b", "7f", "ffffffff0f"}) {
    const Bytes y_frame = bytes_of(std::string(type_hex) + "00");
    auto y = parse(y_frame, Flavour::y_websocket);
    EXPECT_FALSE(y) << "y-websocket type " << type_hex;
    if (!y) {
      EXPECT_EQ(y.error().kind, ErrorKind::invalid_input);
    }

    const Bytes h_frame = bytes_of("06646f632d3432" + std::string(type_hex) + "00");
    auto h = parse(h_frame, Flavour::hocuspocus);
    EXPECT_FALSE(h) << "Hocuspocus type " << type_hex;
    if (!h) {
      EXPECT_EQ(h.error().kind, ErrorKind::invalid_input);
    }
  }
}

TEST(ProtocolTest, RefusesUnknownSyncStepsAndAuthKinds) {
  auto bad_step = parse(bytes_of("0003"
                                 "03010702"),
                        Flavour::y_websocket);
  ASSERT_FALSE(bad_step);
  EXPECT_EQ(bad_step.error().kind, ErrorKind::invalid_input);

  // Auth kinds 1 (permission denied) and 2 (authenticated) are the server's to send.
  for (std::string_view kind : {"01", "02"}) {
    auto auth =
        parse(bytes_of("06646f632d343202" + std::string(kind) + "03616263"), Flavour::hocuspocus);
    EXPECT_FALSE(auth) << "auth kind " << kind;
  }
}

TEST(ProtocolTest, RefusesEveryTruncationOfFramesThatNeedTheirWholePayload) {
  // Every proper prefix of these frames lacks a required field (step, length or bytes).
  const std::vector<std::pair<std::string_view, Flavour>> frames = {
      {kYwsStep1, Flavour::y_websocket},         {kYwsStep2, Flavour::y_websocket},
      {kYwsUpdate, Flavour::y_websocket},        {kYwsAwareness, Flavour::y_websocket},
      {kHpStep1, Flavour::hocuspocus},           {kHpStep2, Flavour::hocuspocus},
      {kHpUpdate, Flavour::hocuspocus},          {kHpAwareness, Flavour::hocuspocus},
      {kSrvSyncReplyStep1, Flavour::hocuspocus},
  };
  for (const auto& [hex, flavour] : frames) {
    const Bytes whole = bytes_of(hex);
    ASSERT_TRUE(parse(whole, flavour)) << hex;
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
      auto in = parse(prefix, flavour);
      EXPECT_FALSE(in) << hex << " cut to " << cut << " bytes";
      if (!in) {
        EXPECT_EQ(in.error().kind, ErrorKind::invalid_input);
      }
    }
  }
  // An auth message is usable once the token is complete (the version trailer is optional),
  // never before.
  const Bytes auth = bytes_of(kHpAuth);
  const std::size_t token_end = 7 + 1 + 1 + 7;  // name, type, kind, varString("tok.en")
  for (std::size_t cut = 0; cut < token_end; ++cut) {
    const Bytes prefix(auth.begin(), auth.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(parse(prefix, Flavour::hocuspocus)) << "auth cut to " << cut << " bytes";
  }
  const Bytes just_the_token(auth.begin(), auth.begin() + static_cast<std::ptrdiff_t>(token_end));
  auto in = parse(just_the_token, Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->text, "tok.en");
}

TEST(ProtocolTest, RefusesALengthThatRunsPastTheFrame) {
  // varUint8Array claiming 200 bytes where 3 follow.
  auto in = parse(bytes_of("0000c801010702"), Flavour::y_websocket);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().kind, ErrorKind::invalid_input);
  // A document name claiming more bytes than the frame holds.
  in = parse(bytes_of("7f646f63"), Flavour::hocuspocus);
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().kind, ErrorKind::invalid_input);
}

TEST(ProtocolTest, BareConnectionLevelBytesAreNotHocuspocusMessages) {
  // The contract: callers handle ping and pong before parse_frame, which refuses them.
  EXPECT_FALSE(parse(bytes_of(kHpPong), Flavour::hocuspocus));
  EXPECT_FALSE(parse(bytes_of("09"), Flavour::hocuspocus));
  EXPECT_FALSE(parse(Bytes{}, Flavour::hocuspocus));
  EXPECT_FALSE(parse(Bytes{}, Flavour::y_websocket));
}

// ---- is_pong ----

TEST(ProtocolTest, IsPongRecognisesOnlyTheBareProviderPong) {
  EXPECT_TRUE(is_pong(bytes_of(kHpPong)));
  EXPECT_FALSE(is_pong(bytes_of("09")));
  EXPECT_FALSE(is_pong(Bytes{}));
  EXPECT_FALSE(is_pong(bytes_of("0a00")));
  // A message for a document whose name is ten bytes long also starts with 0x0a.
  const std::string named = sync_step1_frame(Flavour::hocuspocus, "ten-bytes!", kStateVector);
  ASSERT_EQ(static_cast<std::uint8_t>(named[0]), 0x0a);
  EXPECT_FALSE(is_pong(Bytes(named.begin(), named.end())));
}

// ---- frame builders against the npm libraries' bytes ----

TEST(ProtocolTest, BuildsYWebsocketFramesLikeYProtocols) {
  // `document` is ignored for y-websocket.
  EXPECT_EQ(hex_of(sync_step1_frame(Flavour::y_websocket, "ignored", kStateVector)), kYwsStep1);
  EXPECT_EQ(hex_of(sync_step2_frame(Flavour::y_websocket, "ignored", kUpdate)), kYwsStep2);
  EXPECT_EQ(hex_of(sync_update_frame(Flavour::y_websocket, "", kUpdate)), kYwsUpdate);
  EXPECT_EQ(hex_of(awareness_frame(Flavour::y_websocket, "", kAwarenessUpdate)), kYwsAwareness);
  EXPECT_EQ(hex_of(permission_denied_frame(Flavour::y_websocket, "", "no access")),
            kYwsPermissionDenied);
}

TEST(ProtocolTest, BuildsHocuspocusFramesLikeTheHocuspocusServer) {
  EXPECT_EQ(hex_of(sync_step1_frame(Flavour::hocuspocus, kDocument, kStateVector)), kSrvStep1);
  EXPECT_EQ(hex_of(sync_step2_frame(Flavour::hocuspocus, kDocument, kUpdate)), kSrvStep2);
  EXPECT_EQ(hex_of(sync_update_frame(Flavour::hocuspocus, kDocument, kUpdate)), kSrvUpdate);
  EXPECT_EQ(hex_of(awareness_frame(Flavour::hocuspocus, kDocument, kAwarenessUpdate)),
            kSrvAwareness);
  EXPECT_EQ(hex_of(permission_denied_frame(Flavour::hocuspocus, kDocument, "no access")),
            kSrvPermissionDenied);
  EXPECT_EQ(hex_of(authenticated_frame(kDocument, false)), kSrvAuthenticatedReadWrite);
  EXPECT_EQ(hex_of(authenticated_frame(kDocument, true)), kSrvAuthenticatedReadOnly);
  EXPECT_EQ(hex_of(sync_status_frame(kDocument, true)), kSrvSyncStatusApplied);
  EXPECT_EQ(hex_of(sync_status_frame(kDocument, false)), kSrvSyncStatusRefused);
  EXPECT_EQ(hex_of(close_frame(kDocument, "document deleted")), kSrvClose);
  // The Hocuspocus server's ping: a bare MessageType.Ping byte, which the provider recognises
  // by `data.length === 1 && data[0] === MessageType.Ping`.
  EXPECT_EQ(hex_of(ping_frame()), "09");
}

TEST(ProtocolTest, BuiltFramesParseBackToWhatWasWritten) {
  // A payload over 127 bytes needs a two-byte length.
  Bytes big(300);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  for (Flavour flavour : {Flavour::y_websocket, Flavour::hocuspocus}) {
    const std::string expected_document = flavour == Flavour::hocuspocus ? "Ŵyddfa" : "";
    struct Case {
      std::string frame;
      MessageType type;
      SyncStep step;
    };
    const Case cases[] = {
        {sync_step1_frame(flavour, "Ŵyddfa", big), MessageType::sync, SyncStep::step1},
        {sync_step2_frame(flavour, "Ŵyddfa", big), MessageType::sync, SyncStep::step2},
        {sync_update_frame(flavour, "Ŵyddfa", big), MessageType::sync, SyncStep::update},
        {awareness_frame(flavour, "Ŵyddfa", big), MessageType::awareness, SyncStep::step1},
    };
    for (const Case& c : cases) {
      const Bytes bytes(c.frame.begin(), c.frame.end());
      auto in = parse(bytes, flavour);
      ASSERT_TRUE(in) << in.error().message;
      EXPECT_EQ(in->document, expected_document);
      EXPECT_EQ(in->type, c.type);
      if (c.type == MessageType::sync) {
        EXPECT_EQ(in->step, c.step);
      }
      EXPECT_EQ(to_vector(in->payload), big);
    }
    // Empty payloads survive too (an empty state vector is one byte, but the frame must not
    // depend on that).
    const std::string empty = sync_update_frame(flavour, "Ŵyddfa", {});
    auto in = parse(Bytes(empty.begin(), empty.end()), flavour);
    ASSERT_TRUE(in) << in.error().message;
    EXPECT_TRUE(in->payload.empty());
  }
  const std::string close = close_frame("Ŵyddfa", "gone");
  auto in = parse(Bytes(close.begin(), close.end()), Flavour::hocuspocus);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->type, MessageType::close);
  EXPECT_EQ(in->text, "gone");
}

}  // namespace
}  // namespace agora::collab
