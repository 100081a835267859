#include "collab/service.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/request_principal.hpp"
#include "auth/signed_token.hpp"
#include "base/logging.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"
#include "collab/room.hpp"
#include "collab/versions.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <charconv>
#include <condition_variable>
#include <future>
#include <thread>
#include <unordered_map>

namespace agora::collab {

namespace asio = boost::asio;
namespace log = base::log;

namespace {

// One WebSocket: its protocol, its rate limit and the documents it has open.
struct Session {
  std::shared_ptr<http::WebSocketConnection> socket;
  Flavour flavour = Flavour::y_websocket;

  // Touched only from on_message, whose calls never overlap for one socket.
  TokenBucket frames;

  std::mutex mutex;  // guards bindings and closed
  std::map<std::string, std::shared_ptr<Binding>, std::less<>> bindings;
  bool closed = false;
};

// Every frame a socket sends costs a little before anyone looks at it, so the socket as a whole
// has a coarse allowance this many times a binding's: it stops floods of frames that are
// refused, echoed or queued, while each document's own limit (Room::charge) counts real work.
constexpr double kFloodFactor = 10;


}  // namespace

struct Service::Impl : std::enable_shared_from_this<Service::Impl> {
  Impl(store::Database& database, const base::Clock& clock, const auth::Policy& policy,
       std::string token_key, ServiceOptions options)
      : database(database),
        clock(clock),
        policy(policy),
        signer(std::move(token_key)),
        options(options),
        pool(static_cast<std::size_t>(std::max(1, options.threads))),
        log(database, clock, UpdateLog::Options{.compact_after = options.compact_after}),
        context{database,
                clock,
                policy,
                log,
                Awareness::Limits{.max_clients_per_owner = options.max_awareness_per_connection},
                options.messages_per_second,
                options.message_burst,
                options.unload_after,
                {},
                {},
                {}} {}

  // --- sockets ---------------------------------------------------------------------------

  void open(const std::shared_ptr<http::WebSocketConnection>& socket, Flavour flavour) {
    auto session = std::make_shared<Session>();
    session->socket = socket;
    session->flavour = flavour;
    {
      std::lock_guard lock(sessions_mutex);
      sessions[socket.get()] = session;
    }
    if (flavour == Flavour::y_websocket) {
      const std::string document(socket->request().param("document_id"));
      auto binding = add_binding(*session, document);
      start_auth(binding, socket->request().query_param("token").value_or(""));
    }
  }

  void message(const std::shared_ptr<http::WebSocketConnection>& socket, std::string frame) {
    std::shared_ptr<Session> session = find_session(socket.get());
    if (!session) return;
    if (!session->frames.take(options.messages_per_second * kFloodFactor,
                              options.message_burst * kFloodFactor)) {
      socket->close(http::CloseCode::policy_violation,
                    fmt::format("too many messages: the limit is {} a second",
                                static_cast<int>(options.messages_per_second * kFloodFactor)));
      return;
    }
    if (session->flavour == Flavour::y_websocket) {
      std::shared_ptr<Binding> binding;
      {
        std::lock_guard lock(session->mutex);
        if (!session->bindings.empty()) binding = session->bindings.begin()->second;
      }
      if (binding) deliver(binding, std::move(frame));
      return;
    }

    const auto bytes = std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size());
    if (is_pong(bytes)) return;
    auto header = parse_frame(bytes, Flavour::hocuspocus);
    if (!header) {
      socket->close(http::CloseCode::protocol_error, close_reason(header.error().message));
      return;
    }
    std::shared_ptr<Binding> binding;
    bool full = false;
    {
      std::lock_guard lock(session->mutex);
      auto it = session->bindings.find(header->document);
      if (it != session->bindings.end()) {
        binding = it->second;
      } else if (header->type == MessageType::auth) {
        full = session->bindings.size() >= options.max_documents_per_connection;
      }
    }
    if (binding) {
      // A repeated token for an open document changes nothing (Hocuspocus does the same).
      if (header->type != MessageType::auth) deliver(binding, std::move(frame));
      return;
    }
    if (header->type == MessageType::close) return;
    if (header->type != MessageType::auth) {
      socket->send(permission_denied_frame(Flavour::hocuspocus, header->document,
                                           "send a token for this document first"),
                   true);
      return;
    }
    if (full) {
      socket->send(permission_denied_frame(
                       Flavour::hocuspocus, header->document,
                       fmt::format("one connection may open at most {} documents",
                                   options.max_documents_per_connection)),
                   true);
      return;
    }
    binding = add_binding(*session, header->document);
    start_auth(binding, header->text);
  }

  void close(const std::shared_ptr<http::WebSocketConnection>& socket) {
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(sessions_mutex);
      auto it = sessions.find(socket.get());
      if (it == sessions.end()) return;
      session = std::move(it->second);
      sessions.erase(it);
    }
    std::map<std::string, std::shared_ptr<Binding>, std::less<>> bindings;
    {
      std::lock_guard lock(session->mutex);
      session->closed = true;
      bindings.swap(session->bindings);
    }
    for (auto& [name, binding] : bindings) leave(binding);
  }

  // --- bindings --------------------------------------------------------------------------

  std::shared_ptr<Binding> add_binding(Session& session, const std::string& document) {
    auto binding = std::make_shared<Binding>();
    binding->socket = session.socket;
    binding->flavour = session.flavour;
    binding->document = document;
    std::lock_guard lock(session.mutex);
    if (!session.closed) session.bindings[document] = binding;
    return binding;
  }

  void deliver(const std::shared_ptr<Binding>& binding, std::string frame) {
    std::shared_ptr<Room> room;
    {
      std::lock_guard lock(binding->mutex);
      switch (binding->state) {
        case Binding::State::closed:
          return;
        case Binding::State::authorising:
          if (binding->early.size() >= options.max_frames_before_joining) {
            binding->socket->close(http::CloseCode::policy_violation,
                                   "too many messages before the document opened");
            return;
          }
          binding->early.push_back(std::move(frame));
          return;
        case Binding::State::joined:
          room = binding->room;
          break;
      }
    }
    asio::post(room->strand(), [room, binding, frame = std::move(frame)] {
      room->handle(binding, frame);
    });
  }

  void leave(const std::shared_ptr<Binding>& binding) {
    binding->mark_closed();
    std::shared_ptr<Room> room;
    {
      std::lock_guard lock(binding->mutex);
      room = binding->room;
    }
    // Without a room yet, the authorisation under way sees `closed` and lets go itself.
    if (room) asio::post(room->strand(), [room, binding] { room->leave(binding); });
  }

  // Forgets a binding the room dropped, so that a Hocuspocus client can open the document again.
  void forget(const std::shared_ptr<Binding>& binding) {
    std::shared_ptr<Session> session = find_session(binding->socket.get());
    if (!session) return;
    std::lock_guard lock(session->mutex);
    auto it = session->bindings.find(binding->document);
    if (it != session->bindings.end() && it->second == binding) session->bindings.erase(it);
  }

  // Checks the token and the person's role off the I/O thread, then hands the binding to its room.
  void start_auth(const std::shared_ptr<Binding>& binding, std::string token) {
    asio::post(pool, [self = shared_from_this(), binding, token = std::move(token)] {
      self->authorise(binding, token);
    });
  }

  void authorise(const std::shared_ptr<Binding>& binding, const std::string& token) {
    auto refuse = [&](std::string_view reason) {
      send_denial(*binding, reason);
      forget(binding);
    };
    // A browser on Agora's own pages is identified by its session cookie (the sign-in
    // middleware ignores the cookie on an upgrade from another site); other clients bring a
    // signed token for the document.
    const auth::Principal upgrade = auth::principal_of(binding->socket->request());
    std::int64_t token_person_id = 0;
    const bool by_session = token.empty() && upgrade.signed_in() && !upgrade.api_token;
    if (by_session) {
      token_person_id = upgrade.person_id;
    } else {
      auto claims = signer.verify(token, kTokenPurpose, clock.now());
      if (!claims) return refuse(claims.error().message);
      if (claims->resource_id != binding->document)
        return refuse("the token is for another document");
      token_person_id = claims->person_id;
    }
    auto document_id = parse_id(binding->document);
    if (!document_id) return refuse("there is no such document");

    struct Facts {
      bool document_exists = false;
      std::optional<auth::Person> person;
      std::optional<auth::Role> role;
    };
    auto facts = database.with_connection([&](store::Connection& c) -> Result<Facts> {
      Facts f;
      auto document = DocumentStore(c, clock).find(*document_id);
      if (!document) return document.error();
      f.document_exists = document->has_value();
      auto person = auth::DirectoryStore(c, clock).find_person(token_person_id);
      if (!person) return person.error();
      f.person = std::move(*person);
      if (!*document || !f.person) return f;
      // Their own grant or their space's, as every other check finds it.
      auto role = document_role(c, clock, f.person->id, f.person->organisation_id, **document);
      if (!role) return role.error();
      f.role = *role;
      return f;
    });
    if (!facts) {
      log::warn("collab.auth_failed", {{"error", facts.error().message}});
      return refuse("the server could not check your access; try again");
    }
    if (!facts->document_exists) return refuse("there is no such document");
    if (!facts->person) return refuse("the token names someone who no longer exists");
    // Someone with no role learns no more than someone guessing ids: the same words as for a
    // document that does not exist (a token, by contrast, already names its document).
    if (by_session && !facts->role) return refuse("there is no such document");

    const auto principal = auth::Principal::person(facts->person->id, facts->person->organisation_id,
                                                   binding->socket->request().remote_address);
    const auth::Resource resource{"document", binding->document, facts->role};
    if (auto read = policy.check(principal, auth::kDocumentRead, resource); !read) {
      return refuse(fmt::format("you may not open this document ({})", read.reason));
    }
    binding->person_id = facts->person->id;
    binding->organisation_id = facts->person->organisation_id;
    binding->document_id = *document_id;
    binding->read_only = !policy.check(principal, auth::kDocumentEdit, resource);

    std::shared_ptr<Room> room = acquire_room(*document_id);
    binding->attached = true;
    {
      std::lock_guard lock(binding->mutex);
      binding->room = room;
    }
    asio::post(room->strand(), [room, binding] { room->join(binding); });
  }

  // --- rooms -----------------------------------------------------------------------------

  std::shared_ptr<Room> acquire_room(std::int64_t document_id) {
    std::lock_guard lock(rooms_mutex);
    auto& room = rooms[document_id];
    if (!room) room = std::make_shared<Room>(document_id, context, pool);
    ++room->users;
    return room;
  }

  void release_room(const std::shared_ptr<Room>& room) {
    std::lock_guard lock(rooms_mutex);
    --room->users;
  }

  void unload_if_idle(const std::shared_ptr<Room>& room) {
    std::lock_guard lock(rooms_mutex);
    auto it = rooms.find(room->document_id());
    if (it == rooms.end() || it->second != room) return;
    if (room->users == 0 || room->broken()) {
      rooms.erase(it);
      log::info("collab.room_unloaded", {{"document", room->document_id()}});
    }
  }

  // --- revocations -----------------------------------------------------------------------

  void watch_grants() {
    std::optional<std::int64_t> seen;
    std::unique_lock lock(watch_mutex);
    while (!stopping) {
      lock.unlock();
      auto generation = database.with_connection(
          [&](store::Connection& c) { return auth::GrantStore(c, clock).generation(); });
      if (generation && seen && *generation != *seen) {
        std::vector<std::shared_ptr<Room>> open;
        {
          std::lock_guard rooms_lock(rooms_mutex);
          for (auto& [id, room] : rooms) open.push_back(room);
        }
        for (auto& room : open) asio::post(room->strand(), [room] { room->recheck_roles(); });
      }
      if (generation) seen = *generation;
      lock.lock();
      watch_wake.wait_for(lock, options.grant_poll, [this] { return stopping; });
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  std::shared_ptr<Session> find_session(const http::WebSocketConnection* socket) {
    std::lock_guard lock(sessions_mutex);
    auto it = sessions.find(socket);
    return it == sessions.end() ? nullptr : it->second;
  }

  void stop() {
    {
      std::lock_guard lock(watch_mutex);
      if (stopping) return;
      stopping = true;
    }
    watch_wake.notify_all();
    if (watcher.joinable()) watcher.join();
    // The sockets are closed by now. Rooms may still wait on unload timers; stop rather than
    // wait for them. Updates already handed to the log are written by its destructor.
    pool.stop();
    pool.join();
    std::lock_guard lock(rooms_mutex);
    rooms.clear();
    std::lock_guard sessions_lock(sessions_mutex);
    sessions.clear();
  }

  store::Database& database;
  const base::Clock& clock;
  const auth::Policy& policy;
  auth::TokenSigner signer;
  ServiceOptions options;
  asio::thread_pool pool;
  UpdateLog log;
  RoomContext context;

  mutable std::mutex rooms_mutex;
  std::unordered_map<std::int64_t, std::shared_ptr<Room>> rooms;
  std::mutex sessions_mutex;
  std::unordered_map<const http::WebSocketConnection*, std::shared_ptr<Session>> sessions;

  std::mutex watch_mutex;
  std::condition_variable watch_wake;
  bool stopping = false;
  std::thread watcher;
};

namespace {

// The WebSocket handler of one endpoint; both hand everything to the service.
class Endpoint final : public http::WebSocketHandler {
 public:
  Endpoint(std::shared_ptr<Service::Impl> impl, Flavour flavour)
      : impl_(std::move(impl)), flavour_(flavour) {}

  void on_open(const std::shared_ptr<http::WebSocketConnection>& connection) override {
    impl_->open(connection, flavour_);
  }
  void on_message(const std::shared_ptr<http::WebSocketConnection>& connection,
                  std::string message, bool /*binary*/) override {
    impl_->message(connection, std::move(message));
  }
  void on_close(const std::shared_ptr<http::WebSocketConnection>& connection) override {
    impl_->close(connection);
  }

 private:
  std::shared_ptr<Service::Impl> impl_;
  Flavour flavour_;
};

}  // namespace

Service::Service(store::Database& database, const base::Clock& clock, const auth::Policy& policy,
                 std::string token_key, ServiceOptions options)
    : impl_(std::make_shared<Impl>(database, clock, policy, std::move(token_key), options)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->context.on_idle = [weak](const std::shared_ptr<Room>& room) {
    if (auto impl = weak.lock()) impl->unload_if_idle(room);
  };
  impl_->context.release = [weak](const std::shared_ptr<Room>& room) {
    if (auto impl = weak.lock()) impl->release_room(room);
  };
  impl_->context.on_dropped = [weak](const std::shared_ptr<Binding>& binding) {
    if (auto impl = weak.lock()) impl->forget(binding);
  };
  impl_->watcher = std::thread([impl = impl_.get()] { impl->watch_grants(); });
}

Service::~Service() { stop(); }

std::shared_ptr<http::WebSocketHandler> Service::y_websocket_handler() {
  return std::make_shared<Endpoint>(impl_, Flavour::y_websocket);
}

std::shared_ptr<http::WebSocketHandler> Service::hocuspocus_handler() {
  return std::make_shared<Endpoint>(impl_, Flavour::hocuspocus);
}

void Service::stop() { impl_->stop(); }

Result<> Service::restore(std::int64_t document_id, std::span<const std::uint8_t> target) {
  auto version = new_doc();
  if (auto applied = version->apply_update(target); !applied) {
    return fail(ErrorKind::corrupt, "the stored version does not apply: " + applied.error().message);
  }
  std::shared_ptr<Room> room = impl_->acquire_room(document_id);
  auto outcome = std::make_shared<std::promise<Result<>>>();
  auto future = outcome->get_future();
  std::shared_ptr<const crdt::Doc> shared_version(std::move(version));
  asio::post(room->strand(), [room, shared_version, outcome] {
    room->apply_from_server(
        [shared_version](const crdt::Doc& current) { return restore_update(current, *shared_version); },
        [outcome](Result<> result) { outcome->set_value(std::move(result)); });
  });
  return future.get();
}

std::size_t Service::open_rooms() const {
  std::lock_guard lock(impl_->rooms_mutex);
  return impl_->rooms.size();
}

}  // namespace agora::collab
