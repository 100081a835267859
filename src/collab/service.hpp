#pragma once
// The collaboration server: WebSocket handlers for the y-websocket and Hocuspocus endpoints,
// the registry of open rooms, token checks on connect, and the watch for revoked grants.

#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "http/websocket.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace agora::collab {

/// Tunables, with the defaults the limits call for.
struct ServiceOptions {
  /// How long a room stays loaded after its last client leaves.
  std::chrono::milliseconds unload_after{30'000};
  /// How often grants are polled for changes; a revocation takes effect within this.
  std::chrono::milliseconds grant_poll{500};
  /// Messages a socket may send per document per second, sustained, and in one burst, that cost
  /// the room work (updates, sync requests, new presence); echoes of presence are free. The
  /// socket as a whole may send ten times as many frames of any kind before it is cut off.
  double messages_per_second = 200;
  double message_burst = 1000;
  /// Awareness client ids one socket may announce per document.
  std::size_t max_awareness_per_connection = 8;
  /// Documents one Hocuspocus socket may open.
  std::size_t max_documents_per_connection = 100;
  /// Frames a socket may send for a document before it has been let in.
  std::size_t max_frames_before_joining = 256;
  /// Log rows per document before it is compacted into its snapshot.
  std::size_t compact_after = 500;
  /// Threads for rooms (document work, loads, role look-ups).
  int threads = 2;
};

/// The purpose signed tokens for the collaboration endpoints carry.
inline constexpr std::string_view kTokenPurpose = "collab";

/// Serves collaborative editing. Create once at start-up; call stop() before the HTTP server
/// that owns the sockets is destroyed.
class Service {
 public:
  /// `token_key` verifies tokens (auth::load_or_create_server_key(kTokenKeyName)). Everything
  /// passed must outlive the service.
  Service(store::Database& database, const base::Clock& clock, const auth::Policy& policy,
          std::string token_key, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// The handler for `/collab/ws/{document_id}` (y-websocket; the token in ?token=).
  std::shared_ptr<http::WebSocketHandler> y_websocket_handler();
  /// The handler for `/collab/ws` (Hocuspocus; the token in each document's auth message).
  std::shared_ptr<http::WebSocketHandler> hocuspocus_handler();

  /// Restores the document's content to what `target` (a version's state, Yjs v1) holds, as a
  /// new edit: through the document's room, so open editors merge it, and durably. Blocks until
  /// it is saved; call it from a worker thread, not from the collab threads.
  Result<> restore(std::int64_t document_id, std::span<const std::uint8_t> target);

  /// Finishes queued work, writes every pending update, and drops every room.
  void stop();
  /// How many documents are open (for metrics and tests).
  std::size_t open_rooms() const;

  /// The implementation, shared with the handlers so that they stay valid as long as a router
  /// holds them.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// The name of the server key that signs collaboration tokens.
inline constexpr std::string_view kTokenKeyName = "collab-token";

}  // namespace agora::collab
