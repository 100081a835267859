#include "collab/awareness.hpp"

#include "crdt/error.hpp"
#include "crdt/lib0.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <set>

namespace agora::collab {

namespace {

struct Entry {
  std::uint64_t client = 0;
  std::uint64_t clock = 0;
  std::string_view json;
};

// Largest client id Yjs makes or accepts (2^53 - 1).
constexpr std::uint64_t kMaxClientId = (std::uint64_t{1} << 53) - 1;

}  // namespace

Result<bool> Awareness::apply(std::span<const std::uint8_t> update, Owner owner) {
  std::vector<Entry> entries;
  try {
    crdt::Decoder decoder(update);
    const std::uint64_t count = decoder.read_var_uint();
    // Each entry takes at least three bytes, so a count beyond that is a lie.
    if (count > decoder.remaining() / 3) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("the awareness update claims {} states in {} bytes", count,
                              update.size()));
    }
    entries.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      Entry e;
      e.client = decoder.read_var_uint();
      e.clock = decoder.read_var_uint();
      e.json = decoder.read_var_string();
      if (e.client > kMaxClientId) {
        return fail(ErrorKind::invalid_input, "an awareness client id is beyond 2^53");
      }
      if (e.json.size() > limits_.max_state_bytes) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("an awareness state is {} bytes; the limit is {}", e.json.size(),
                                limits_.max_state_bytes));
      }
      boost::system::error_code ec;
      boost::json::parse(e.json, ec);
      if (ec) return fail(ErrorKind::invalid_input, "an awareness state is not JSON");
      entries.push_back(e);
    }
  } catch (const crdt::DecodeError& e) {
    return fail(ErrorKind::invalid_input, fmt::format("malformed awareness update: {}", e.what()));
  }

  // Count the client ids `owner` would hold afterwards before changing anything.
  std::set<std::uint64_t> owned;
  for (const auto& [client, state] : states_) {
    if (state.owner == owner && state.json != "null") owned.insert(client);
  }
  // A client id announced by another connection moves to this one: a provider that reconnects
  // keeps its client id, and the server may not yet have seen its old socket close.
  for (const Entry& e : entries) {
    if (e.json == "null") {
      owned.erase(e.client);
    } else {
      owned.insert(e.client);
    }
  }
  if (owned.size() > limits_.max_clients_per_owner) {
    return fail(ErrorKind::invalid_input,
                fmt::format("one connection may announce at most {} awareness states",
                            limits_.max_clients_per_owner));
  }

  bool accepted = false;
  for (const Entry& e : entries) {
    auto [it, inserted] = states_.try_emplace(e.client);
    State& state = it->second;
    // y-protocols' rule: a newer clock wins; at an equal clock only a removal wins.
    const bool newer = inserted || state.clock < e.clock ||
                       (state.clock == e.clock && e.json == "null" && state.json != "null");
    if (!newer) continue;
    // Removing a client nobody announced tells nobody anything.
    if (!(inserted && e.json == "null")) accepted = true;
    state.clock = e.clock;
    state.json = std::string(e.json);
    state.owner = owner;
  }
  // Removed states need not be kept: a later announcement from the same client has a higher clock.
  std::erase_if(states_, [](const auto& entry) { return entry.second.json == "null"; });
  return accepted;
}

std::optional<std::vector<std::uint8_t>> Awareness::encode_all() const {
  if (states_.empty()) return std::nullopt;
  crdt::Encoder encoder;
  encoder.write_var_uint(states_.size());
  for (const auto& [client, state] : states_) {
    encoder.write_var_uint(client);
    encoder.write_var_uint(state.clock);
    encoder.write_var_string(std::string_view(state.json));
  }
  return encoder.take();
}

std::optional<std::vector<std::uint8_t>> Awareness::remove_owner(Owner owner) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> removed;
  for (auto it = states_.begin(); it != states_.end();) {
    if (it->second.owner == owner) {
      // The same clock, as y-protocols' removeAwarenessStates sends for others' states: peers
      // accept a removal at an equal clock, and the client's own next state (clock + 1) still
      // wins when it comes back.
      removed.emplace_back(it->first, it->second.clock);
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  if (removed.empty()) return std::nullopt;
  crdt::Encoder encoder;
  encoder.write_var_uint(removed.size());
  for (const auto& [client, clock] : removed) {
    encoder.write_var_uint(client);
    encoder.write_var_uint(clock);
    encoder.write_var_string(std::string_view("null"));
  }
  return encoder.take();
}

}  // namespace agora::collab
