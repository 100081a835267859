#include "collab/room.hpp"

#include "base/logging.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"
#include "crdt/updates.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <map>

namespace agora::collab {

namespace asio = boost::asio;
namespace log = base::log;

namespace {

// The empty update: no structs, no deletions. Storing it would only lengthen the log.
bool is_empty_update(std::span<const std::uint8_t> update) {
  return update.size() == 2 && update[0] == 0 && update[1] == 0;
}

// Whether `doc` already holds every struct of `update` (used to acknowledge a read-only
// client's sync step 2 that brings nothing new, as Hocuspocus does).
bool holds_everything_in(const crdt::Doc& doc, std::span<const std::uint8_t> update) {
  auto vector = crdt::encode_state_vector_from_update(update);
  if (!vector) return false;
  auto theirs = crdt::decode_state_vector(*vector);
  if (!theirs) return false;
  const crdt::StateVector ours = doc.state_vector();
  for (const auto& [client, clock] : *theirs) {
    auto it = ours.find(client);
    if (clock > (it == ours.end() ? 0 : it->second)) return false;
  }
  return true;
}

}  // namespace

void send_denial(Binding& binding, std::string_view reason) {
  send_frame(binding, permission_denied_frame(binding.flavour, binding.document, reason));
  if (binding.flavour == Flavour::y_websocket) {
    binding.socket->close(http::CloseCode::policy_violation, close_reason(reason));
  }
  binding.mark_closed();
}

void send_frame(const Binding& binding, std::string frame) {
  binding.socket->send(std::move(frame), true);
}

std::string close_reason(std::string_view reason) {
  constexpr std::size_t kMax = 123;
  if (reason.size() <= kMax) return std::string(reason);
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
  return std::string(reason.substr(0, cut));
}

Room::Room(std::int64_t document_id, RoomContext& context, asio::thread_pool& pool)
    : document_id_(document_id),
      context_(context),
      strand_(asio::make_strand(pool.get_executor())),
      idle_timer_(strand_),
      awareness_(context.awareness_limits) {}

void Room::join(const std::shared_ptr<Binding>& binding) {
  if (broken_) {
    deny(binding, "the document is being reopened after a failure; try again");
    return;
  }
  if (!doc_) {
    auto loaded = load_doc(context_.database, context_.clock, document_id_);
    if (!loaded) {
      log::error("collab.load_failed", {{"document", document_id_}, {"error", loaded.error().message}});
      deny(binding, "the document could not be loaded; try again later");
      return;
    }
    doc_ = std::move(*loaded);
    log::info("collab.room_loaded", {{"document", document_id_}});
  }
  idle_timer_.cancel();
  bindings_.push_back(binding);
  if (binding->flavour == Flavour::hocuspocus) {
    send_frame(*binding, authenticated_frame(binding->document, binding->read_only));
  } else {
    send_frame(*binding, sync_step1_frame(binding->flavour, binding->document,
                                          doc_->encode_state_vector()));
  }
  if (auto states = awareness_.encode_all()) {
    send_frame(*binding, awareness_frame(binding->flavour, binding->document, *states));
  }
  std::deque<std::string> early;
  {
    std::lock_guard lock(binding->mutex);
    if (binding->state == Binding::State::closed) {
      remove(binding);
      return;
    }
    binding->state = Binding::State::joined;
    early.swap(binding->early);
  }
  for (const std::string& frame : early) handle(binding, frame);
}

void Room::handle(const std::shared_ptr<Binding>& binding, const std::string& frame) {
  if (broken_) return;
  if (std::find(bindings_.begin(), bindings_.end(), binding) == bindings_.end()) return;
  const std::span<const std::uint8_t> bytes = as_bytes(frame);
  auto message = parse_frame(bytes, binding->flavour);
  if (!message) {
    refuse(binding, http::CloseCode::protocol_error, message.error().message);
    return;
  }
  if (message->type != MessageType::awareness && !charge(binding)) return;
  switch (message->type) {
    case MessageType::sync:
    case MessageType::sync_reply:
      if (message->step == SyncStep::step1) {
        auto answer = doc_->encode_state_as_update(message->payload);
        if (!answer) {
          refuse(binding, http::CloseCode::invalid_payload,
                 "malformed state vector: " + answer.error().message);
          return;
        }
        // Hocuspocus servers ask back with their own step 1 in the same breath (the provider
        // counts our acknowledgement of its answer as "synced"); y-websocket clients already had
        // ours when they joined.
        if (binding->flavour == Flavour::hocuspocus && message->type == MessageType::sync) {
          send_frame(*binding, sync_step1_frame(binding->flavour, binding->document,
                                                doc_->encode_state_vector()));
        }
        // What the client lacks may include updates not yet durable: answer once they are.
        after_durable([binding, frame = sync_step2_frame(binding->flavour, binding->document,
                                                         *answer)]() mutable {
          send_frame(*binding, std::move(frame));
        });
      } else {
        handle_update(binding, message->payload, message->step == SyncStep::step2);
      }
      break;
    case MessageType::awareness: {
      auto accepted = awareness_.apply(message->payload, binding.get());
      if (!accepted) {
        refuse(binding, http::CloseCode::policy_violation, accepted.error().message);
        return;
      }
      // Echoes of what the room already has are neither charged nor relayed: relaying them
      // would make every y-websocket client echo them again to everyone.
      if (!*accepted || !charge(binding)) return;
      // Relayed to everyone, the sender included: clients count their own echo as a sign of life.
      broadcast_awareness(message->payload);
      break;
    }
    case MessageType::query_awareness:
      if (auto states = awareness_.encode_all()) {
        send_frame(*binding, awareness_frame(binding->flavour, binding->document, *states));
      }
      break;
    case MessageType::close:
      leave(binding);
      context_.on_dropped(binding);
      break;
    default:
      // Tokens after joining, stateless messages, pings and statuses need no answer.
      break;
  }
}

bool Room::charge(const std::shared_ptr<Binding>& binding) {
  if (binding->allowance.take(context_.messages_per_second, context_.message_burst)) return true;
  refuse(binding, http::CloseCode::policy_violation,
         fmt::format("too many messages: the limit is {} a second",
                     static_cast<int>(context_.messages_per_second)));
  return false;
}

void Room::handle_update(const std::shared_ptr<Binding>& binding,
                         std::span<const std::uint8_t> update, bool from_sync_step2) {
  const bool hocuspocus = binding->flavour == Flavour::hocuspocus;
  if (binding->read_only) {
    // Dropped, not refused: viewers' editors may still emit updates (selections, cleanups).
    if (hocuspocus) {
      const bool nothing_new = from_sync_step2 && holds_everything_in(*doc_, update);
      send_frame(*binding, sync_status_frame(binding->document, nothing_new));
    }
    return;
  }
  if (auto applied = doc_->apply_update(update); !applied) {
    log::warn("collab.update_refused", {{"document", document_id_},
                                        {"person", binding->person_id},
                                        {"error", applied.error().message}});
    refuse(binding, http::CloseCode::invalid_payload, "update refused: " + applied.error().message);
    return;
  }
  if (is_empty_update(update)) {
    if (hocuspocus) {
      after_durable([binding] { send_frame(*binding, sync_status_frame(binding->document, true)); });
    }
    return;
  }
  const std::uint64_t sequence = ++appended_;
  std::weak_ptr<Room> weak = weak_from_this();
  context_.log.append(
      document_id_, std::string(reinterpret_cast<const char*>(update.data()), update.size()),
      [weak, sequence](Result<std::int64_t> outcome) {
        auto room = weak.lock();
        if (!room) return;
        asio::post(room->strand_, [room, sequence, outcome = std::move(outcome)] {
          room->on_durable(sequence, outcome);
        });
      });
  std::string copy(reinterpret_cast<const char*>(update.data()), update.size());
  after_durable([this, binding, hocuspocus, copy = std::move(copy)] {
    broadcast_update(as_bytes(copy), binding.get());
    if (hocuspocus) send_frame(*binding, sync_status_frame(binding->document, true));
  });
}

void Room::apply_from_server(UpdateMaker make_update, std::function<void(Result<>)> done) {
  auto finish = [this, done](Result<> outcome) {
    context_.release(shared_from_this());
    if (bindings_.empty()) schedule_idle_check();
    done(std::move(outcome));
  };
  if (broken_) return finish(fail(ErrorKind::unavailable, "the document is being reopened; try again"));
  if (!doc_) {
    auto loaded = load_doc(context_.database, context_.clock, document_id_);
    if (!loaded) return finish(loaded.error());
    doc_ = std::move(*loaded);
  }
  auto update = make_update(*doc_);
  if (!update) return finish(update.error());
  if (update->empty()) return finish({});
  if (auto applied = doc_->apply_update(*update); !applied) {
    return finish(fail(ErrorKind::internal, "the server's own update was refused: " +
                                                applied.error().message));
  }
  const std::uint64_t sequence = ++appended_;
  std::weak_ptr<Room> weak = weak_from_this();
  context_.log.append(
      document_id_, std::string(reinterpret_cast<const char*>(update->data()), update->size()),
      [weak, sequence, finish](Result<std::int64_t> outcome) {
        auto room = weak.lock();
        if (!room) return;
        asio::post(room->strand_, [room, sequence, finish, outcome = std::move(outcome)] {
          // A failed save breaks the room, which drops the action below; report it here.
          if (!outcome) finish(outcome.error());
          room->on_durable(sequence, outcome);
        });
      });
  after_durable([this, update = std::move(*update), finish] {
    broadcast_update(update, nullptr);
    finish({});
  });
}

void Room::after_durable(std::function<void()> action) {
  if (durable_ == appended_) {
    action();
    return;
  }
  waiting_for_durable_.emplace_back(appended_, std::move(action));
}

void Room::on_durable(std::uint64_t sequence, const Result<std::int64_t>& outcome) {
  if (broken_) return;
  if (!outcome) {
    fail_all("the document could not be saved; reconnect to try again");
    return;
  }
  durable_ = sequence;
  while (!waiting_for_durable_.empty() && waiting_for_durable_.front().first <= durable_) {
    auto action = std::move(waiting_for_durable_.front().second);
    waiting_for_durable_.pop_front();
    action();
  }
  if (bindings_.empty()) schedule_idle_check();
}

void Room::broadcast_update(std::span<const std::uint8_t> update, const Binding* except) {
  std::string y_frame, h_frame;
  for (const auto& other : bindings_) {
    if (other.get() == except) continue;
    if (other->flavour == Flavour::y_websocket) {
      if (y_frame.empty()) y_frame = sync_update_frame(Flavour::y_websocket, {}, update);
      send_frame(*other, y_frame);
    } else {
      // Hocuspocus frames carry the name each client used, which is the same document id text.
      if (h_frame.empty()) h_frame = sync_update_frame(Flavour::hocuspocus, other->document, update);
      send_frame(*other, h_frame);
    }
  }
}

void Room::broadcast_awareness(std::span<const std::uint8_t> update) {
  std::string y_frame, h_frame;
  for (const auto& member : bindings_) {
    std::string& frame = member->flavour == Flavour::y_websocket ? y_frame : h_frame;
    if (frame.empty()) frame = awareness_frame(member->flavour, member->document, update);
    send_frame(*member, frame);
  }
}

void Room::leave(const std::shared_ptr<Binding>& binding) {
  binding->mark_closed();
  remove(binding);
}

void Room::remove(const std::shared_ptr<Binding>& binding) {
  if (binding->attached) {
    binding->attached = false;
    context_.release(shared_from_this());
  }
  auto it = std::find(bindings_.begin(), bindings_.end(), binding);
  if (it == bindings_.end()) return;
  bindings_.erase(it);
  if (auto removal = awareness_.remove_owner(binding.get())) broadcast_awareness(*removal);
  if (bindings_.empty()) schedule_idle_check();
}

void Room::deny(const std::shared_ptr<Binding>& binding, std::string_view reason) {
  send_denial(*binding, reason);
  remove(binding);
  context_.on_dropped(binding);
}

void Room::refuse(const std::shared_ptr<Binding>& binding, http::CloseCode code,
                  std::string_view reason) {
  if (binding->flavour == Flavour::hocuspocus) {
    send_frame(*binding, close_frame(binding->document, close_reason(reason)));
  }
  binding->socket->close(code, close_reason(reason));
  binding->mark_closed();
  remove(binding);
}

void Room::recheck_roles() {
  if (bindings_.empty() || broken_) return;
  const std::vector<std::shared_ptr<Binding>> members = bindings_;
  // Each member's role as every other check finds it: their own grant or their space's
  // (collab::document_role), so a space share or removal reaches open sockets too.
  using Roles = std::map<std::int64_t, std::optional<auth::Role>>;
  auto roles = context_.database.with_connection([&](store::Connection& c) -> Result<Roles> {
    Roles found;
    auto document = DocumentStore(c, context_.clock).find(document_id_);
    if (!document) return document.error();
    if (!*document) return found;  // deleted: nobody keeps a role on it
    for (const auto& member : members) {
      if (found.contains(member->person_id)) continue;
      auto role =
          document_role(c, context_.clock, member->person_id, member->organisation_id, **document);
      if (!role) return role.error();
      found.emplace(member->person_id, *role);
    }
    return found;
  });
  if (!roles) {
    log::warn("collab.recheck_failed",
              {{"document", document_id_}, {"error", roles.error().message}});
    return;
  }
  for (const auto& member : members) {
    auth::Resource resource{"document", std::to_string(document_id_), std::nullopt};
    if (auto it = roles->find(member->person_id); it != roles->end()) resource.role = it->second;
    const auto principal = auth::Principal::person(member->person_id, member->organisation_id,
                                                   member->socket->request().remote_address);
    if (!context_.policy.check(principal, auth::kDocumentRead, resource)) {
      deny(member, "your access to this document has been withdrawn");
      continue;
    }
    const bool read_only = !context_.policy.check(principal, auth::kDocumentEdit, resource);
    if (read_only != member->read_only) {
      member->read_only = read_only;
      if (member->flavour == Flavour::hocuspocus) {
        send_frame(*member, authenticated_frame(member->document, read_only));
      }
    }
  }
}

void Room::schedule_idle_check() {
  idle_timer_.expires_after(context_.unload_after);
  idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->idle()) return;
    self->context_.on_idle(self);
  });
}

void Room::fail_all(std::string_view reason) {
  broken_ = true;
  log::error("collab.room_failed", {{"document", document_id_}, {"reason", reason}});
  const std::vector<std::shared_ptr<Binding>> members = bindings_;
  for (const auto& member : members) refuse(member, http::CloseCode::internal_error, reason);
  waiting_for_durable_.clear();
  // The document in memory holds what could not be saved; drop it so the next client reloads
  // what is durable and sends its missing edits again while syncing.
  doc_.reset();
  context_.on_idle(shared_from_this());
}

}  // namespace agora::collab
