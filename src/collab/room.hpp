#pragma once
// One room per open document (DESIGN.md "A keystroke"): the crdt::Doc, the connections editing
// it, and their presence. Everything a room does runs on its strand, one step at a time, so the
// room needs no locks; blocking work (loading, role look-ups) runs there too, on the collab
// thread pool, never on an HTTP I/O thread.

#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "collab/awareness.hpp"
#include "collab/protocol.hpp"
#include "collab/update_log.hpp"
#include "crdt/doc.hpp"
#include "http/websocket.hpp"
#include "store/database.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace agora::collab {

class Room;

/// A rate limit: `rate` a second sustained, `burst` at once. Starts full. Not thread-safe: each
/// bucket is touched by one caller at a time (a socket's reader, or a room's strand).
struct TokenBucket {
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled{};

  /// Takes one token if there is one.
  bool take(double rate, double burst) {
    const auto now = std::chrono::steady_clock::now();
    if (refilled == std::chrono::steady_clock::time_point{}) {
      tokens = burst;
    } else {
      tokens = std::min(burst, tokens + std::chrono::duration<double>(now - refilled).count() * rate);
    }
    refilled = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

/// One socket's membership of one document: a y-websocket socket has one, a Hocuspocus socket
/// one per document it opened. Frames that arrive before the room has accepted it wait in
/// `early`, because clients send their first sync messages without waiting to be told they may.
struct Binding {
  enum class State { authorising, joined, closed };

  std::shared_ptr<http::WebSocketConnection> socket;
  Flavour flavour = Flavour::y_websocket;
  std::string document;        // the document's name on the wire (its id as text)
  std::int64_t document_id = 0;
  std::int64_t person_id = 0;
  std::int64_t organisation_id = 0;
  bool read_only = true;       // only touched on the room's strand once joined
  bool attached = false;       // counted in room->users; cleared on the strand when it leaves
  TokenBucket allowance;        // on the strand: what the binding sends that costs the room work

  std::shared_ptr<Room> room;  // set (under mutex) when the registry hands it a room

  std::mutex mutex;            // guards state and early
  State state = State::authorising;
  std::deque<std::string> early;

  /// Marks the binding closed and drops the frames that waited: nothing more is handled.
  void mark_closed() {
    std::lock_guard lock(mutex);
    state = State::closed;
    early.clear();
  }
};

/// What every room shares: the database, the log, the policy and the limits.
struct RoomContext {
  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  UpdateLog& log;
  Awareness::Limits awareness_limits;
  /// Messages a binding may send per second, sustained and in one burst; echoes of presence the
  /// room already has are free (y-websocket clients send one back for every change they hear).
  double messages_per_second;
  double message_burst;
  std::chrono::milliseconds unload_after;
  /// Called on the room's strand when the room is empty and may be unloaded, or broken.
  std::function<void(const std::shared_ptr<Room>&)> on_idle;
  /// Called on the room's strand when a binding stops counting as a user of the room.
  std::function<void(const std::shared_ptr<Room>&)> release;
  /// Called on the room's strand when a binding leaves the room for good (denied or closed by
  /// the server), so its socket's session forgets it.
  std::function<void(const std::shared_ptr<Binding>&)> on_dropped;
};

/// An open document.
class Room : public std::enable_shared_from_this<Room> {
 public:
  Room(std::int64_t document_id, RoomContext& context, boost::asio::thread_pool& pool);

  std::int64_t document_id() const { return document_id_; }
  /// The strand every call below must run on.
  boost::asio::strand<boost::asio::thread_pool::executor_type>& strand() { return strand_; }

  /// Adds an authorised binding: loads the document if needed, greets the client (Hocuspocus:
  /// Authenticated; y-websocket: sync step 1; both: current presence), then handles the frames
  /// that waited. A document that cannot be loaded denies the binding.
  void join(const std::shared_ptr<Binding>& binding);
  /// Handles one frame from a joined binding.
  void handle(const std::shared_ptr<Binding>& binding, const std::string& frame);
  /// Removes a binding whose socket closed or which closed the document; its presence goes.
  void leave(const std::shared_ptr<Binding>& binding);
  /// Makes a change of the server's own (restoring a version): `make_update` gets the current
  /// document and returns the update to apply (empty: nothing to do), which is then handled as
  /// if a client had sent it: durable first, then sent to every member. `done` gets the
  /// outcome; the registry's acquisition for it is released first.
  using UpdateMaker = std::function<Result<std::vector<std::uint8_t>>(const crdt::Doc& current)>;
  void apply_from_server(UpdateMaker make_update, std::function<void(Result<>)> done);
  /// Looks up every member's role again (after a grant changed) and applies the answers:
  /// revoked members are denied, changed ones become read-only or read-write.
  void recheck_roles();

  /// Whether nobody is in the room and nothing waits to be made durable.
  bool idle() const { return bindings_.empty() && appended_ == durable_; }
  /// Whether saving failed; the room then takes nothing more and must be unloaded.
  bool broken() const { return broken_; }

  /// Bindings the registry has handed this room and that have not left it yet. Guarded by the
  /// registry's mutex, not the strand: the registry unloads a room only when it is zero.
  int users = 0;

 private:
  // Takes one message's cost from the binding's allowance; false when it has none left.
  bool charge(const std::shared_ptr<Binding>& binding);
  void handle_update(const std::shared_ptr<Binding>& binding, std::span<const std::uint8_t> update,
                     bool from_sync_step2);
  void on_durable(std::uint64_t sequence, const Result<std::int64_t>& outcome);
  // Runs `action` once every update appended so far is durable.
  void after_durable(std::function<void()> action);
  void broadcast_update(std::span<const std::uint8_t> update, const Binding* except);
  void broadcast_awareness(std::span<const std::uint8_t> update);
  void deny(const std::shared_ptr<Binding>& binding, std::string_view reason);
  void refuse(const std::shared_ptr<Binding>& binding, http::CloseCode code, std::string_view reason);
  void remove(const std::shared_ptr<Binding>& binding);
  void schedule_idle_check();
  void fail_all(std::string_view reason);

  std::int64_t document_id_;
  RoomContext& context_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::steady_timer idle_timer_;
  std::unique_ptr<crdt::Doc> doc_;
  bool broken_ = false;  // saving failed: the room takes nothing more and unloads
  Awareness awareness_;
  std::vector<std::shared_ptr<Binding>> bindings_;
  std::uint64_t appended_ = 0;  // updates handed to the log
  std::uint64_t durable_ = 0;   // of those, how many are durable
  std::deque<std::pair<std::uint64_t, std::function<void()>>> waiting_for_durable_;
};

/// Tells the binding's client that it may not open the document (a y-websocket socket, which
/// carries only that document, is also closed) and marks the binding closed.
void send_denial(Binding& binding, std::string_view reason);
/// Sends `frame` (binary) to the binding's socket.
void send_frame(const Binding& binding, std::string frame);
/// Cuts `reason` to what a WebSocket close frame carries (123 bytes), at a UTF-8 boundary.
std::string close_reason(std::string_view reason);

}  // namespace agora::collab
