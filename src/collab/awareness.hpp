#pragma once
// Presence (y-protocols/awareness): each client id's latest state (name, colour, organisation,
// cursor) as JSON with a clock. The server keeps the room's states so that a newcomer sees who
// is there, remembers which connection announced which client ids, and removes them when that
// connection leaves.

#include "base/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace agora::collab {

/// The awareness states of one room. Not thread-safe: the room's strand owns it.
class Awareness {
 public:
  /// Who announced a state: an opaque key per connection-in-room.
  using Owner = const void*;

  /// Limits on what one connection may announce.
  struct Limits {
    std::size_t max_clients_per_owner = 8;
    std::size_t max_state_bytes = 64 * 1024;
  };

  explicit Awareness(Limits limits) : limits_(limits) {}

  /// Applies an awareness update from `owner`. invalid_input (applying nothing) when it is
  /// malformed, a state is not JSON or too large, or it would make `owner` announce more client
  /// ids than the limit. Returns whether anything was accepted (a new state, a renewal with a
  /// higher clock, a removal): only then is the update worth relaying. Echoes of states the
  /// room already has, which y-websocket clients send back for every change they hear, are not.
  Result<bool> apply(std::span<const std::uint8_t> update, Owner owner);
  /// An update holding every current state, or nullopt when there are none.
  std::optional<std::vector<std::uint8_t>> encode_all() const;
  /// Removes `owner`'s states and returns the update that tells others (state null at the same clock, as y-protocols does),
  /// or nullopt when it had none.
  std::optional<std::vector<std::uint8_t>> remove_owner(Owner owner);
  /// How many client ids have a state.
  std::size_t size() const { return states_.size(); }

 private:
  struct State {
    std::uint64_t clock = 0;
    std::string json;  // "null" once removed
    Owner owner = nullptr;
  };

  Limits limits_;
  std::map<std::uint64_t, State> states_;
};

}  // namespace agora::collab
